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
 * A campaign: every chosen scenario on every chosen guarantee, one run after another, each on a
 * freshly booted machine, with a progress bar on stderr, then the report rendered from the
 * interval log the runs wrote.
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
        return String.format(Locale.ROOT, "scenarios=%s guarantees=%s duration=%s rate=%.0f/s memory=%dMiB cpus=%d"
                + " seed=%d disk-error-rate=%s page-fail=%d%%/%d workers=%d watchdog=%s stall-threshold=%s"
                + " service-time=%s kswapd=%s oom=%s warmup=%s",
                String.join(",", config.scenarios()), labels(), Text.duration(config.duration()), config.rate(),
                config.memoryMiB(), config.cpus(), config.seed(), config.diskErrorRate(), config.pageFailPercent(),
                config.pageFailInterval(), config.workers(), Text.duration(config.watchdog()),
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
        int total = config.scenarios().size() * config.guarantees().size();
        try (ProgressBar bar = progressBar(total)) {
            warmUp(bar);
            runAll(bar, results);
        }
        return results;
    }

    /**
     * One short unrecorded run of each scenario on the first guarantee, its log discarded: the
     * JIT compiles the paths every guarantee shares before anything is measured.
     */
    private void warmUp(ProgressBar bar) throws InterruptedException {
        if (config.warmup().isZero()) {
            return;
        }
        RunConfig short_ = config.withDuration(config.warmup());
        try (LatencyLog discard = new LatencyLog(java.io.OutputStream.nullOutputStream(), 0, "warm-up")) {
            for (String name : config.scenarios()) {
                RunExecutor run = new RunExecutor(short_, Scenarios.byName(name), config.guarantees().get(0), discard, null);
                bar.setExtraMessage("warm-up " + name);
                run.execute(() -> bar.setExtraMessage("warm-up " + run.status()));
            }
        }
    }

    private void runAll(ProgressBar bar, List<RunResult> results) throws IOException, InterruptedException {
        Path out = config.out();
        try (LatencyLog log = new LatencyLog(out.resolve(LOG), System.currentTimeMillis(), settings())) {
            int done = 0;
            for (String name : config.scenarios()) {
                Scenario scenario = Scenarios.byName(name);
                for (StandardGuarantee kind : config.guarantees()) {
                    RunExecutor run = new RunExecutor(config, scenario, kind, log, out.resolve(PROC));
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
