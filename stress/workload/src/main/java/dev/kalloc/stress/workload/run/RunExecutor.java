// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.ProcFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * One run: one trial of a scenario on a guarantee, from boot to verdict.
 *
 * <h2>Threads</h2>
 * The run's own threads (the runner, the load generator's workers, a sampler, and whatever the
 * machine and scenario start: kswapd, request queues, a flusher) all live in one
 * {@link ThreadGroup}, so the watchdog can list exactly them. The caller's thread waits for
 * either the runner's end or the watchdog's verdict ({@code outcome}), and on a deadlock takes
 * the run down itself: it interrupts the group. Either way it closes the rig from a helper thread
 * it waits for a bounded time, and abandons what does not die (every run thread is a daemon).
 *
 * <h2>Phases</h2>
 * boot (machine, slab, reservations, guarantee), {@code /proc} snapshot, prepare, pressure,
 * load (the open loop), drain (every operation begun has ended), finish (flush and verify),
 * {@code /proc} snapshot. The watchdog runs through all of them; each phase moves the progress
 * count once, operations and verification steps move it as they go. Set-up (up to the load) is
 * held to {@link #SETUP_LIMIT} rather than {@code --watchdog}: booting and filling the largest
 * machine is one long step, not a stall.
 *
 * <h2>Measurements</h2>
 * Every second the sampler moves each operation type's interval histograms into the log; every
 * 100 ms, from the start of the load to the end of the drain, it takes a {@link MemorySample}
 * (free, clean and dirty pages and reserved pages per zone, the guarantee's held memory and
 * price, elements in use). The series goes into the log as one {@code #kalloc-series} line
 * before the run's result, and its time averages into the result. The guarantee's counters (a
 * mempool's levels, a reservation's admissions) are read before the run is torn down, since a
 * destroyed source no longer reports them.
 */
final class RunExecutor {
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int SAMPLES_PER_INTERVAL = 10;
    private static final long TEARDOWN_WAIT_MS = 5_000;
    /**
     * How long set-up (boot, /proc snapshot, prepare, pressure) may go without progress before
     * the run is declared deadlocked, when {@code --watchdog} is shorter: the largest machine
     * ({@link RunConfig#MAX_MEMORY_MIB}) sets up in a few seconds on 2 shared cores.
     */
    static final Duration SETUP_LIMIT = Duration.ofMinutes(1);
    /** Counter: free pages when set-up was done, before the pressure. */
    static final String PRESSURE_FREE_BEFORE = RunResult.PRESSURE_FREE_BEFORE;
    /** Counter: free pages the pressure was to leave ({@code --free} of the above). */
    static final String PRESSURE_FLOOR = "pressure.floor";
    /** Counter: free pages when the load started, after the pressure. */
    static final String PRESSURE_FREE_AT_LOAD = RunResult.PRESSURE_FREE_AT_LOAD;

    private final RunConfig config;
    private final Scenario scenario;
    private final GuaranteeKind kind;
    private final int trial;
    private final long seed;
    private final LatencyLog log;
    private final Path procDir;
    private final String id;
    private final RunMetrics metrics;
    private final ThreadGroup group;
    private final CountDownLatch outcome = new CountDownLatch(1);
    private final Map<String, Histogram> recycled = new HashMap<>();
    private final Map<String, Histogram> recycledFailed = new HashMap<>();

    private volatile String phase = "boot";
    private volatile Watchdog watchdog;
    private volatile Rig rig;
    private volatile Scenario.Prepared prepared;
    private volatile OpenLoop loop;
    private volatile OpenLoopSchedule schedule;
    private volatile long t0;
    private volatile long loadEnd;
    private volatile Verification verification = new Verification(0, 0, List.of());
    private volatile Throwable error;
    private volatile List<String> waitSites = List.of();
    private volatile long deadlockAt;
    private final List<MemorySample> samples = new ArrayList<>();
    private volatile Thread sampler;
    private volatile long freeAtLoad = -1;

    /**
     * A run of trial {@code trial} (from 1), whose random choices all derive from {@code seed}.
     * {@code procDir} null: no {@code /proc} snapshots (a warm-up).
     */
    RunExecutor(RunConfig config, Scenario scenario, GuaranteeKind kind, int trial, long seed, LatencyLog log,
            Path procDir) {
        this.config = config;
        this.scenario = scenario;
        this.kind = kind;
        this.trial = trial;
        this.seed = seed;
        this.log = log;
        this.procDir = procDir;
        this.id = scenario.name() + "." + kind.label() + ".t" + trial;
        this.metrics = new RunMetrics(config.stallThreshold().toNanos());
        this.group = new ThreadGroup("run-" + id);
        group.setDaemon(false);
    }

    /** What the run is doing, for the progress display. */
    String status() {
        OpenLoop l = loop;
        return id + " " + phase + " " + (l == null ? 0 : l.issued()) + " issued " + metrics.ended() + " done";
    }

    /** Fraction of the run's operations that are due by now, in [0, 1]. */
    double loadFraction() {
        OpenLoopSchedule s = schedule;
        return s == null ? 0 : s.dueBy(System.nanoTime()) / (double) s.total();
    }

    /**
     * Runs to the end or to a deadlock, calling {@code tick} about every 200 ms while it waits
     * (for the progress display).
     */
    RunResult execute(Runnable tick) throws InterruptedException {
        Duration setUp = config.watchdog().compareTo(SETUP_LIMIT) > 0 ? config.watchdog() : SETUP_LIMIT;
        Watchdog watchdog = new Watchdog(id, metrics::progress, setUp, config.watchdog(), this::deadlocked);
        this.watchdog = watchdog;
        Thread runner = new Thread(group, this::body, "run-" + id);
        runner.setDaemon(true);
        watchdog.start();
        runner.start();
        while (!outcome.await(200, TimeUnit.MILLISECONDS)) {
            tick.run();
        }
        watchdog.runEnded();
        watchdog.join();
        boolean deadlocked = watchdog.fired();
        Map<String, Long> counters;
        if (deadlocked) {
            // Read before the interrupt: a driver that cleans up on it may destroy a source, and a
            // destroyed source no longer reports its counters. Atomics only.
            counters = countersOf(prepared);
            group.interrupt();
            snapshotBounded("end");
        } else {
            runner.join();
            counters = countersOf(prepared);
        }
        stopSampler();
        teardownBounded();
        MemorySeries series;
        synchronized (this) {
            flushIntervals();
            Rig booted = rig;
            int zones = samples.isEmpty() ? booted == null ? 1 : MemorySampler.zoneCount(booted.machine)
                    : samples.get(0).zones();
            series = new MemorySeries(zones, new ArrayList<>(samples));
        }
        RunResult r = result(deadlocked, counters, series);
        log.comment(MemorySeries.MARK + "\t" + r.id() + "\t" + series.encode());
        log.run(r);
        return r;
    }

    private void body() {
        try {
            Rig r = new Rig(config, kind, scenario.name(), seed);
            rig = r;
            snapshot("start");
            step("prepare");
            Scenario.Prepared p = scenario.prepare(r, metrics, metrics);
            prepared = p;
            step("pressure");
            r.startPressure();
            p.applyPressure(true);
            freeAtLoad = r.machine.pageAlloc().nrFreePages();
            p.startHelpers();
            watchdog.setUpDone();
            step("load");
            Thread sampler = new Thread(group, this::sample, "sampler-" + id);
            sampler.setDaemon(true);
            this.sampler = sampler;
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            OpenLoopSchedule schedule = new OpenLoopSchedule(start, config.rate(), config.duration());
            long grace = Math.max(TimeUnit.SECONDS.toNanos(1), config.duration().toNanos() / 2);
            OpenLoop loop = new OpenLoop(schedule, start + config.duration().toNanos() + grace, config.workers(),
                    "load-" + id, new OpenLoop.Issuer() {
                        @Override
                        public void issue(long index, long intendedNanos) throws InterruptedException {
                            p.issue(index, intendedNanos);
                        }

                        @Override
                        public void abandon(long index, long intendedNanos) {
                            p.abandon(index, intendedNanos);
                        }
                    });
            this.loop = loop;
            t0 = start;
            this.schedule = schedule;
            sampler.start();
            loop.start();
            loop.join();
            if (loop.failure() != null) {
                throw new IllegalStateException("an operation threw: " + loop.failure(), loop.failure());
            }
            step("drain");
            metrics.awaitQuiescent();
            loadEnd = System.nanoTime();
            step("verify");
            verification = p.finish();
            step("snapshot");
            snapshot("end");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            error = e;
        } finally {
            outcome.countDown();
        }
    }

    private void step(String name) {
        phase = name;
        metrics.progressed();
    }

    private void sample() {
        int n = 0;
        try {
            while (!outcome.await(SAMPLE_NANOS, TimeUnit.NANOSECONDS)) {
                Rig r = rig;
                if (r != null && loadEnd == 0) {
                    long t = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    MemorySample m = MemorySampler.sample(Math.max(0, t), r.machine, r.guarantee);
                    synchronized (this) {
                        samples.add(m);
                    }
                }
                if (++n % SAMPLES_PER_INTERVAL == 0) {
                    synchronized (this) {
                        flushIntervals();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (error == null) {
                error = e; // a sampling bug breaks the run visibly rather than leaving its series short
            }
        }
    }

    /**
     * Stops the sampler and waits for it (bounded), so that nothing it does (a sample, an
     * interval flush) lands after this run's result line in the log, or in the next run.
     */
    private void stopSampler() throws InterruptedException {
        Thread s = sampler;
        if (s != null) {
            s.interrupt();
            s.join(TEARDOWN_WAIT_MS);
        }
    }

    /**
     * Moves each operation type's interval histograms, successes and failures, into the log.
     * Holds this object's lock.
     */
    private void flushIntervals() {
        for (RunMetrics.OpType op : metrics.opTypes()) {
            String tag = RunResult.tag(scenario.name(), kind.label(), trial, op.name());
            Histogram h = op.takeInterval(recycled.get(op.name()));
            recycled.put(op.name(), h);
            if (h.getTotalCount() > 0) {
                log.interval(tag, h);
            }
            Histogram f = op.takeFailedInterval(recycledFailed.get(op.name()));
            recycledFailed.put(op.name(), f);
            if (f.getTotalCount() > 0) {
                log.interval(tag + "/" + RunResult.FAILED, f);
            }
        }
    }

    /** The watchdog's action: record where every run thread waits, then release the caller. */
    private void deadlocked() {
        deadlockAt = System.nanoTime();
        Map<Thread, StackTraceElement[]> stacks = new HashMap<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (inGroup(e.getKey())) {
                stacks.put(e.getKey(), e.getValue());
            }
        }
        Rig r = rig;
        List<String> sites = new ArrayList<>();
        Watchdog w = watchdog;
        Duration limit = w != null && !w.isSetUpDone() && config.watchdog().compareTo(SETUP_LIMIT) < 0 ? SETUP_LIMIT
                : config.watchdog();
        sites.add("phase " + phase + ", no progress for " + Text.duration(limit));
        sites.addAll(WaitSites.describe(stacks, r == null ? null : r.guarantee));
        waitSites = sites;
        outcome.countDown();
    }

    private boolean inGroup(Thread t) {
        for (ThreadGroup g = t.getThreadGroup(); g != null; g = g.getParent()) {
            if (g == group) {
                return true;
            }
        }
        return false;
    }

    private Map<String, Long> countersOf(Scenario.Prepared p) {
        Map<String, Long> c = p == null ? new LinkedHashMap<>() : new LinkedHashMap<>(p.counters());
        OpenLoop l = loop;
        c.put("ops_abandoned_at_cutoff", l == null ? 0 : l.abandoned());
        for (RunMetrics.OpType op : metrics.opTypes()) {
            c.put("ops." + op.name(), op.count());
            c.put("ops_failed." + op.name(), op.failures());
        }
        Rig r = rig;
        if (r != null) {
            c.put("guarantee_alloc_failures", r.guarantee.failures());
            c.put("guarantee_sleeping_alloc_failures", r.guarantee.sleepingFailures());
            r.guarantee.counters().forEach((k, v) -> c.put("guarantee." + k, v));
            c.put(PRESSURE_FREE_BEFORE, r.freeBeforePressure());
            c.put(PRESSURE_FLOOR, r.pressureFloor());
            c.put(PRESSURE_FREE_AT_LOAD, freeAtLoad);
            // What the fault injection did, so a run with faults shows each kind was exercised.
            c.put("faults.page_alloc_injected", r.machine.pageAlloc().failPageAlloc().attr().failures());
            c.put("faults.slab_injected", r.slab.failslab().attr().failures());
            c.put("faults.disk_io_errors", r.diskIoErrors());
        }
        return c;
    }

    private void snapshot(String when) {
        Rig r = rig;
        if (r == null || procDir == null) {
            return;
        }
        String text = "# /proc/buddyinfo\n" + ProcFs.buddyinfo(r.machine) + "\n# /proc/meminfo\n"
                + ProcFs.meminfo(r.machine) + "\n# /proc/slabinfo\n" + r.slab.slabinfo();
        try {
            Files.writeString(procDir.resolve(id + "." + when + ".txt"), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the /proc snapshot of " + id, e);
        }
    }

    /** A snapshot of a stuck machine, from a helper thread, given up on after a while. */
    private void snapshotBounded(String when) throws InterruptedException {
        Thread t = new Thread(() -> snapshot(when), "snapshot-" + id);
        t.setDaemon(true);
        t.start();
        t.join(TEARDOWN_WAIT_MS);
    }

    /** Closes the rig from a helper thread; a close that hangs is abandoned. */
    private void teardownBounded() throws InterruptedException {
        Thread t = new Thread(this::closeQuietly, "teardown-" + id);
        t.setDaemon(true);
        t.start();
        t.join(TEARDOWN_WAIT_MS);
    }

    private void closeQuietly() {
        Rig r = rig;
        if (r != null) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (error == null) {
                    error = e;
                }
            }
        }
    }

    private RunResult result(boolean deadlocked, Map<String, Long> counters, MemorySeries series) {
        long start = t0;
        long end = deadlocked ? deadlockAt : loadEnd;
        double loadSeconds = start == 0 || end == 0 ? 0 : Math.max(0, (end - start) / 1e9);
        double idle = series.meanNominalPriceBytes();
        double price = series.meanEffectivePriceBytes();
        Throwable e = deadlocked ? null : error; // after a deadlock, teardown's own exceptions say nothing
        String err = e == null ? "" : e.getClass().getSimpleName() + ": " + e.getMessage();
        List<String> ops = new ArrayList<>();
        for (RunMetrics.OpType op : metrics.opTypes()) {
            ops.add(op.name());
        }
        Verification v = verification;
        return new RunResult(scenario.name(), kind.label(), trial, seed, config.rate(), config.duration().toNanos() / 1e9,
                loadSeconds, metrics.started(), metrics.ended(), metrics.failed(), metrics.stalls(), deadlocked,
                deadlocked ? waitSites : List.of(), v.bytesVerified(), v.mismatches(), v.examples(), idle, price, err,
                counters, ops);
    }
}
