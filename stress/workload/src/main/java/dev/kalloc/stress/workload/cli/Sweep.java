// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.report.SweepAnalysis;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.Progress;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.SweepConfig;
import dev.kalloc.stress.workload.run.SweepPoint;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A sweep: the campaigns of its points one after another, each in its own folder, with one
 * progress (on a terminal a bar, whose ETA is the time estimate) over the most runs the sweep
 * can make.
 *
 * <h2>Order</h2>
 * The pressure sweep first: every step from plenty to none under {@code --oom fail}, then under
 * {@code wait}, every scenario x guarantee x trial at each. Then the load sweep: the first rate on
 * every scenario, then each doubled rate on the scenarios in which some guarantee still sustained
 * the last one ({@link SweepAnalysis#saturated}); a scenario drops out once all its guarantees
 * are past their knee, so the sweep ends where nothing is left to learn, or at the highest rate.
 *
 * <h2>Resuming</h2>
 * A point is finished when its interval log holds every run its settings line plans; a finished
 * point is read, not run again. A point folder holding anything less (the sweep was stopped in
 * it) is emptied and run from its start: its runs were one campaign, trial-major with rotated
 * guarantees, and keeping half of one would bias the cells that ran first. Since the load sweep's
 * later points depend on its earlier ones only through their logs, a resumed sweep makes the same
 * choices the uninterrupted one would have.
 *
 * <p>Only the first point this process runs warms up (the campaign's {@code --warmup}): the JIT
 * has compiled every guarantee's paths by the second.
 */
final class Sweep {
    private final SweepConfig config;
    private final PrintStream err;
    /** How the sweep's progress looks on {@link #err}. */
    private final Progress.Mode progress;
    private final Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
    private boolean warmedUp;
    private int ran;
    private int resumed;

    Sweep(SweepConfig config, PrintStream err, Progress.Mode progress) {
        this.config = config;
        this.err = err;
        this.progress = progress;
    }

    /**
     * Runs (or reads, if finished) every point; returns what the sweep found.
     *
     * @throws IOException if an output cannot be written, or a finished point's log cannot be read
     * @throws IllegalArgumentException if a finished point was run with other settings than the
     *         sweep's (nothing is run then)
     */
    SweepAnalysis run() throws IOException, InterruptedException {
        Files.createDirectories(config.base().out());
        checkFinishedPoints();
        List<String> scenarios = config.base().scenarios();
        long done = 0;
        try (Progress bar = Progress.open(err, "sweep", config.maxRuns(), progress)) {
            for (SweepPoint p : config.pressurePoints()) {
                done = point(p, scenarios, bar, done);
            }
            List<String> active = new ArrayList<>(scenarios);
            List<Double> rates = config.loadRates();
            for (int i = 0; i < rates.size() && !active.isEmpty(); i++) {
                double rate = rates.get(i);
                SweepPoint p = config.loadPoint(rate);
                done = point(p, active, bar, done);
                SweepAnalysis now = SweepAnalysis.of(Map.of(p, points.get(p))); // this rate only: all it decides
                active.removeIf(s -> now.saturated(s, rate));
                bar.maxHint(done + (rates.size() - 1 - i) * cellRuns(active.size()) * 100);
            }
            bar.maxHint(done);
            bar.finished(done, ran + " points run, " + resumed + " resumed");
        }
        return SweepAnalysis.of(points);
    }

    private long cellRuns(int scenarios) {
        return (long) scenarios * config.base().guarantees().size() * config.base().trials();
    }

    /** Points run by this process. */
    int ran() {
        return ran;
    }

    /** Points found finished and read. */
    int resumed() {
        return resumed;
    }

    /** The logs of the points so far, in plan order. */
    Map<SweepPoint, RunLog> points() {
        return points;
    }

    /**
     * Before anything runs: every finished point on disk must have been run with the sweep's
     * settings, or its figures would be reported under settings they were not measured with.
     */
    private void checkFinishedPoints() throws IOException {
        List<SweepPoint> all = new ArrayList<>(config.pressurePoints());
        for (double r : config.loadRates()) {
            all.add(config.loadPoint(r));
        }
        for (SweepPoint p : all) {
            RunLog log = finishedLog(config.base().out().resolve(p.folder()));
            if (log == null) {
                continue;
            }
            String expected = new Campaign(config.pointConfig(p, config.base().scenarios(), false), Scenarios::byName, err)
                    .settings();
            String why = mismatch(log, expected, p.kind() == SweepPoint.Kind.LOAD);
            if (why != null) {
                throw new IllegalArgumentException("point " + p.folder() + " was run with other settings than the sweep's "
                        + SweepCommand.ARGS + " (" + why + "): resume it with the " + SweepCommand.ARGS
                        + " it was begun with, or start a new sweep");
            }
        }
    }

    /**
     * The first setting of {@code log} that differs from {@code expected} (a settings line), or
     * null. The warm-up differs by design (only the first point warms up), and a load point runs
     * only the scenarios still unsaturated, a subset of the sweep's.
     */
    static String mismatch(RunLog log, String expected, boolean subsetOfScenarios) {
        for (String kv : expected.split(" ")) {
            int eq = kv.indexOf('=');
            String key = kv.substring(0, eq);
            String want = kv.substring(eq + 1);
            String got = log.setting(key);
            if (key.equals("warmup")) {
                continue;
            }
            if (key.equals("scenarios") && subsetOfScenarios && got != null
                    && List.of(want.split(",")).containsAll(List.of(got.split(",")))) {
                continue;
            }
            if (!want.equals(got)) {
                return key + "=" + got + " in the point, " + key + "=" + want + " in the sweep";
            }
        }
        return null;
    }

    private long point(SweepPoint p, List<String> scenarios, Progress bar, long done)
            throws IOException, InterruptedException {
        Path dir = config.base().out().resolve(p.folder());
        RunLog log = finishedLog(dir);
        if (log != null && !CheckCommand.problems(log, dir).isEmpty()) {
            new Report(log, dir).renderData(); // stopped between its last run and its outputs, or one was removed
            if (!CheckCommand.problems(log, dir).isEmpty()) {
                log = null; // the log itself does not hold what its runs counted: run the point again
            }
        }
        if (log != null) {
            resumed++;
            points.put(p, log);
            bar.finished(done + log.runs().size() * 100L, p.folder() + " finished already");
            return done + log.runs().size() * 100L;
        }
        clear(dir);
        Campaign campaign = new Campaign(config.pointConfig(p, scenarios, !warmedUp), Scenarios::byName, err, p.folder());
        warmedUp = true;
        campaign.run(bar, done);
        log = RunLog.read(dir.resolve(Campaign.LOG));
        new Report(log, dir).renderData();
        ran++;
        points.put(p, log);
        return done + campaign.runs() * 100L;
    }

    /**
     * The log of the point in {@code dir} if the point is finished (its log reads and holds every
     * run it plans), else null (none, cut off, or damaged: the point is run again).
     *
     * @throws IOException if the log is there but cannot be read (permissions, a disk error): a
     *         point that may well be finished is never thrown away for that
     */
    static RunLog finishedLog(Path dir) throws IOException {
        Path file = dir.resolve(Campaign.LOG);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            RunLog log = RunLog.read(file);
            return log.incompleteness() == null ? log : null;
        } catch (IllegalArgumentException e) {
            return null; // cut off in the middle of a line, or not a log: run it again
        }
    }

    /** Removes what an unfinished point left in {@code dir}. */
    private static void clear(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path f : all) {
            Files.delete(f);
        }
    }
}
