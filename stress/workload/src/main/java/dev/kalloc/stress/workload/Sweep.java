package dev.kalloc.stress.workload;

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
import me.tongfei.progressbar.ProgressBar;

/**
 * A sweep: the campaigns of its points one after another, each in its own folder, with one
 * progress bar (its ETA is the time estimate) over the most runs the sweep can make.
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
    private final Map<SweepPoint, RunLog> points = new LinkedHashMap<>();
    private boolean warmedUp;
    private int ran;
    private int resumed;

    Sweep(SweepConfig config, PrintStream err) {
        this.config = config;
        this.err = err;
    }

    /** Runs (or reads, if finished) every point; returns what the sweep found. */
    SweepAnalysis run() throws IOException, InterruptedException {
        Files.createDirectories(config.base().out());
        List<String> scenarios = config.base().scenarios();
        long done = 0;
        try (ProgressBar bar = Campaign.progressBar(err, "sweep", config.maxRuns())) {
            for (SweepPoint p : config.pressurePoints()) {
                done = point(p, scenarios, bar, done);
            }
            List<String> active = new ArrayList<>(scenarios);
            List<Double> rates = config.loadRates();
            for (int i = 0; i < rates.size() && !active.isEmpty(); i++) {
                double rate = rates.get(i);
                done = point(config.loadPoint(rate), active, bar, done);
                SweepAnalysis sofar = SweepAnalysis.of(points);
                active.removeIf(s -> sofar.saturated(s, rate));
                bar.maxHint(done + (rates.size() - 1 - i) * cellRuns(active.size()) * 100);
            }
            bar.maxHint(done);
            bar.stepTo(done);
            bar.setExtraMessage(ran + " points run, " + resumed + " resumed");
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

    private long point(SweepPoint p, List<String> scenarios, ProgressBar bar, long done)
            throws IOException, InterruptedException {
        Path dir = config.base().out().resolve(p.folder());
        RunLog log = finishedLog(dir);
        if (log != null) {
            if (!Files.isRegularFile(dir.resolve(Report.SUMMARY))) {
                new Report(log, dir).renderData(); // stopped between its last run and its outputs
            }
            resumed++;
            points.put(p, log);
            bar.stepTo(done + log.runs().size() * 100L);
            return done + log.runs().size() * 100L;
        }
        clear(dir);
        Campaign campaign = new Campaign(config.pointConfig(p, scenarios, !warmedUp), err, p.folder());
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
     * run it plans), else null.
     */
    static RunLog finishedLog(Path dir) {
        Path file = dir.resolve(Campaign.LOG);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            RunLog log = RunLog.read(file);
            int planned = log.plannedRuns();
            return planned > 0 && log.runs().size() == planned ? log : null;
        } catch (IOException | IllegalArgumentException e) {
            return null; // cut off in the middle of a line: run it again
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
