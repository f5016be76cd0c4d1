// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A campaign: every chosen scenario on every chosen guarantee, {@code trials} times, one run
 * after another, each on a freshly booted machine, with its progress on stderr ({@link Progress});
 * the report is then rendered from the interval log the runs wrote.
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
 * {@code /proc} snapshots at the start and end of each run), and what the report ({@code report.Report}) renders:
 * {@code summary.json}, {@code index.html}, the plots and the {@code .hgrm} files.
 */
public final class Campaign {
    /** The interval log's file name in the output folder. */
    public static final String LOG = "kalloc.hlog";
    /** The folder of /proc snapshots. */
    public static final String PROC = "proc";

    private final RunConfig config;
    /** The configuration's scenarios by name, resolved once through the catalogue given. */
    private final Map<String, Scenario> scenarios = new LinkedHashMap<>();
    private final PrintStream err;
    /** Put before each run's status on the progress bar (a sweep's point), or empty. */
    private final String label;

    /**
     * A campaign of {@code config}, its scenario names looked up in {@code catalogue} (the
     * scenarios package's {@code Scenarios::byName}: the run package runs scenarios but does not
     * list them, so that the scenarios can build on it), progress to {@code err}.
     *
     * @throws IllegalArgumentException if the catalogue knows a name not
     */
    public Campaign(RunConfig config, Function<String, Scenario> catalogue, PrintStream err) {
        this(config, catalogue, err, "");
    }

    /** As {@link #Campaign(RunConfig, Function, PrintStream)}, {@code label} put before each run's status. */
    public Campaign(RunConfig config, Function<String, Scenario> catalogue, PrintStream err, String label) {
        this.config = config;
        for (String name : config.scenarios()) {
            scenarios.put(name, catalogue.apply(name));
        }
        this.err = err;
        this.label = label.isEmpty() ? "" : label + " ";
    }

    /** The settings line recorded in the log. */
    public String settings() {
        return String.format(Locale.ROOT, "scenarios=%s guarantees=%s duration=%s trials=%d rate=%.0f/s memory=%dMiB cpus=%d"
                + " seed=%d disk-error-rate=%s page-fail=%d%%/%d slab-fail=%d%% workers=%d watchdog=%s stall-threshold=%s"
                + " service-time=%s kswapd=%s oom=%s free=%s%% warmup=%s",
                String.join(",", config.scenarios()), labels(), Text.duration(config.duration()), config.trials(),
                config.rate(),
                config.memoryMiB(), config.cpus(), config.seed(), config.diskErrorRate(), config.pageFailPercent(),
                config.pageFailInterval(), config.slabFailPercent(), config.workers(), Text.duration(config.watchdog()),
                Text.duration(config.stallThreshold()), Text.duration(config.serviceTime()), config.kswapd(),
                config.oomWaits() ? "wait" : "fail", Text.percent(config.freePercent()), Text.duration(config.warmup()));
    }

    private String labels() {
        List<String> l = new ArrayList<>();
        for (GuaranteeKind k : config.guarantees()) {
            l.add(k.label());
        }
        return String.join(",", l);
    }

    /**
     * Runs everything, with progress of its own as plain lines (the form for a stream that is not
     * a terminal); returns the results in run order.
     */
    public List<RunResult> run() throws IOException, InterruptedException {
        return run(Progress.Mode.LINES);
    }

    /** Runs everything, with progress of its own looking as {@code mode} says; returns the results in run order. */
    public List<RunResult> run(Progress.Mode mode) throws IOException, InterruptedException {
        try (Progress bar = Progress.open(err, "kalloc", runs(), mode)) {
            return run(bar, 0);
        }
    }

    /**
     * Runs everything, moving progress the caller owns (a sweep's) from {@code base}, in
     * hundredths of a run; returns the results in run order.
     */
    public List<RunResult> run(Progress bar, long base) throws IOException, InterruptedException {
        Files.createDirectories(config.out().resolve(PROC));
        List<RunResult> results = new ArrayList<>();
        warmUp(bar);
        runAll(bar, base, results);
        return results;
    }

    /** The runs this campaign makes: trials x scenarios x guarantees. */
    public int runs() {
        return config.trials() * config.scenarios().size() * config.guarantees().size();
    }

    /**
     * One short unrecorded run of each scenario on each guarantee, its log discarded: the JIT
     * compiles every guarantee's paths before anything is measured, so that the guarantee a
     * trial's rotation puts first in its first trial does not pay for it (six trials rotated over
     * four guarantees put two of them first twice).
     */
    private void warmUp(Progress bar) throws InterruptedException {
        if (config.warmup().isZero()) {
            return;
        }
        RunConfig brief = config.withDuration(config.warmup());
        try (LatencyLog discard = new LatencyLog(java.io.OutputStream.nullOutputStream(), 0, "warm-up")) {
            for (String name : config.scenarios()) {
                for (GuaranteeKind kind : config.guarantees()) {
                    RunExecutor run = new RunExecutor(brief, scenarios.get(name), kind, 1, config.trialSeed(0),
                            discard, null);
                    bar.status(label + "warm-up " + name);
                    run.execute(() -> bar.status(label + "warm-up " + run.status()));
                }
            }
        }
    }

    private void runAll(Progress bar, long base0, List<RunResult> results) throws IOException, InterruptedException {
        Path out = config.out();
        Environment env = Environment.capture();
        try (LatencyLog log = new LatencyLog(out.resolve(LOG), System.currentTimeMillis(), settings())) {
            log.comment(env.encode());
            AtomicInteger ended = new AtomicInteger();
            // SIGTERM and Ctrl-C run the JVM's shutdown hooks and nothing else of ours: this one
            // leaves the log saying it is incomplete, and after how many runs, rather than
            // ending as if its last run were the campaign's.
            Thread hook = new Thread(() -> log.interrupted("stopped by a signal (SIGTERM or Ctrl-C) after "
                    + ended.get() + " of " + runs() + " runs"), "kalloc-interrupted");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                runTrials(bar, base0, results, log, ended);
                log.comment(env.with(Environment.LOAD_END, Environment.loadAverage()).encode());
                log.end(results.size());
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // Shutting down already: the hook is running or has run.
                }
            }
        }
    }

    private void runTrials(Progress bar, long base0, List<RunResult> results, LatencyLog log,
            AtomicInteger ended) throws InterruptedException {
        Path out = config.out();
        int done = 0;
        for (int trial = 1; trial <= config.trials(); trial++) {
            long seed = config.trialSeed(trial);
            for (String name : config.scenarios()) {
                Scenario scenario = scenarios.get(name);
                for (GuaranteeKind kind : rotated(config.guarantees(), trial - 1)) {
                    RunExecutor run = new RunExecutor(config, scenario, kind, trial, seed, log, out.resolve(PROC));
                    long base = base0 + done * 100L;
                    bar.status(label + run.status());
                    RunResult r = run.execute(() -> {
                        bar.stepTo(base + Math.round(run.loadFraction() * 90));
                        bar.status(label + run.status());
                    });
                    results.add(r);
                    ended.incrementAndGet();
                    done++;
                    bar.finished(base0 + done * 100L, label + r.id() + " " + r.outcome());
                }
            }
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
}
