package dev.kalloc.stress.workload;

import dev.kalloc.bio.StandardGuarantee;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A campaign: every chosen scenario on every chosen guarantee, {@code trials} times, one run
 * after another, each on a freshly booted machine, with a progress bar on stderr; the report is
 * then rendered from the interval log the runs wrote.
 *
 * <h2>Why trials, in this order</h2>
 * One run per cell measures one draw of a noisy process: on 2 shared cores the p99 of the same
 * cell moved twenty-fold between two runs of one commit. So every cell runs {@code trials}
 * independent trials, each on a fresh machine with its own seed ({@link RunConfig#trialSeed}),
 * and every figure is a statistic over trials. The loop is trial-major (all cells of trial 1,
 * then all of trial 2, ...), so slow drifts of the machine (another process, a thermal change,
 * heap growth) fall on every cell alike rather than on whichever ran last; and within a trial
 * the order of the guarantees is rotated by one from trial to trial, so that no guarantee always
 * runs first after a scenario change (when the JIT and the GC have the most catching up to do).
 *
 * <p>Output folder layout: {@code kalloc.hlog} (the interval log), {@code proc/} (the
 * {@code /proc} snapshots at the start and end of each run), and what {@link Report} renders:
 * {@code summary.json}, {@code index.html}, the plots and the {@code .hgrm} files.
 */
final class Campaign {
    /** The interval log's file name in the output folder. */
    static final String LOG = "kalloc.hlog";
    /** The folder of /proc snapshots. */
    static final String PROC = "proc";

    private final RunConfig config;
    private final PrintStream err;

    Campaign(RunConfig config, PrintStream err) {
        this.config = config;
        this.err = err;
    }

    /** The settings line recorded in the log. */
    String settings() {
        return String.format(Locale.ROOT, "scenarios=%s guarantees=%s duration=%s trials=%d rate=%.0f/s memory=%dMiB cpus=%d"
                + " seed=%d disk-error-rate=%s page-fail=%d%%/%d slab-fail=%d%% workers=%d watchdog=%s stall-threshold=%s"
                + " service-time=%s kswapd=%s oom=%s warmup=%s",
                String.join(",", config.scenarios()), labels(), Text.duration(config.duration()), config.trials(),
                config.rate(),
                config.memoryMiB(), config.cpus(), config.seed(), config.diskErrorRate(), config.pageFailPercent(),
                config.pageFailInterval(), config.slabFailPercent(), config.workers(), Text.duration(config.watchdog()),
                Text.duration(config.stallThreshold()), Text.duration(config.serviceTime()), config.kswapd(),
                config.oomWaits() ? "wait" : "fail", Text.duration(config.warmup()));
    }

    private String labels() {
        List<String> l = new ArrayList<>();
        for (StandardGuarantee k : config.guarantees()) {
            l.add(k.label());
        }
        return String.join(",", l);
    }

    /** Runs everything and renders the report; returns the results in run order. */
    List<RunResult> run() throws IOException, InterruptedException {
        Path out = config.out();
        Files.createDirectories(out.resolve(PROC));
        List<RunResult> results = new ArrayList<>();
        int total = config.trials() * config.scenarios().size() * config.guarantees().size();
        try (ProgressBar bar = progressBar(total)) {
            warmUp(bar);
            runAll(bar, results);
        }
        return results;
    }

    /**
     * One short unrecorded run of each scenario on each guarantee, its log discarded: the JIT
     * compiles every guarantee's paths before anything is measured, so that the guarantee a
     * trial's rotation puts first in its first trial does not pay for it (six trials rotated over
     * four guarantees put two of them first twice).
     */
    private void warmUp(ProgressBar bar) throws InterruptedException {
        if (config.warmup().isZero()) {
            return;
        }
        RunConfig brief = config.withDuration(config.warmup());
        try (LatencyLog discard = new LatencyLog(java.io.OutputStream.nullOutputStream(), 0, "warm-up")) {
            for (String name : config.scenarios()) {
                for (StandardGuarantee kind : config.guarantees()) {
                    RunExecutor run = new RunExecutor(brief, Scenarios.byName(name), kind, 1, config.trialSeed(0),
                            discard, null);
                    bar.setExtraMessage("warm-up " + name);
                    run.execute(() -> bar.setExtraMessage("warm-up " + run.status()));
                }
            }
        }
    }

    private void runAll(ProgressBar bar, List<RunResult> results) throws IOException, InterruptedException {
        Path out = config.out();
        Environment env = Environment.capture();
        try (LatencyLog log = new LatencyLog(out.resolve(LOG), System.currentTimeMillis(), settings())) {
            log.comment(env.encode());
            int done = 0;
            for (int trial = 1; trial <= config.trials(); trial++) {
                long seed = config.trialSeed(trial);
                for (String name : config.scenarios()) {
                    Scenario scenario = Scenarios.byName(name);
                    for (StandardGuarantee kind : rotated(config.guarantees(), trial - 1)) {
                        RunExecutor run = new RunExecutor(config, scenario, kind, trial, seed, log, out.resolve(PROC));
                        int base = done * 100;
                        bar.setExtraMessage(run.status());
                        RunResult r = run.execute(() -> {
                            bar.stepTo(base + Math.round(run.loadFraction() * 90));
                            bar.setExtraMessage(run.status());
                        });
                        results.add(r);
                        done++;
                        bar.stepTo(done * 100L);
                        bar.setExtraMessage(r.id() + " " + r.outcome());
                    }
                }
            }
            log.comment(env.with(Environment.LOAD_END, Environment.loadAverage()).encode());
        }
    }

    /** {@code list} rotated left by {@code by} places: trial t starts with the t-th guarantee. */
    static <T> List<T> rotated(List<T> list, int by) {
        List<T> r = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            r.add(list.get((i + by) % list.size()));
        }
        return r;
    }

    private ProgressBar progressBar(int runs) {
        return new ProgressBarBuilder()
                .setTaskName("kalloc")
                .setInitialMax(runs * 100L)
                .setUnit(" runs", 100)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(err, 110))
                .build();
    }
}
