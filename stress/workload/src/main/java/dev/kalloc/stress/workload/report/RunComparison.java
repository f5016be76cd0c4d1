// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two campaigns of the same settings compared cell by cell and metric by metric: how a developer
 * shows that a change to an allocator made a scenario faster or slower. For every cell (scenario
 * x guarantee) both campaigns ran and every metric both have a figure for: the medians, the
 * shift from A to B with its interval ({@link Shift}), and whether the change is significant.
 *
 * <h2>Comparable runs</h2>
 * Only runs that measured the same thing: the settings that shape a run (load, machine, faults,
 * policies, thresholds) must be equal; seed, trials, warm-up and the choice of scenarios and
 * guarantees may differ (only the cells both ran are compared). {@link #incomparable} names the
 * first setting that differs.
 *
 * <h2>Significance</h2>
 * A two-sided Mann-Whitney test per cell and metric ({@link Significance#pValue}); the family is
 * one metric in one scenario, over its guarantees (the question "did this metric change in this
 * scenario, and on which guarantee?"), corrected with Holm at 5%: the same families as a
 * campaign's own verdicts ({@link Comparison}). Two default runs of one commit with two seeds
 * showed no significant change under this rule (0 of 106 figures). A cell left out of the
 * campaign's own ranking (a deadlocked or broken trial) is compared on nothing but is listed.
 * With few trials no difference can be significant at all; {@link #attainable()} says whether
 * one could be.
 */
public final class RunComparison {
    /** Settings that must be equal for two campaigns to be comparable, in the settings line's order. */
    static final List<String> MUST_MATCH = List.of("duration", "rate", "memory", "cpus", "disk-error-rate", "page-fail",
            "slab-fail", "workers", "watchdog", "stall-threshold", "service-time", "kswapd", "oom", "free");

    /**
     * One cell and metric.
     *
     * @param cell {@code scenario/guarantee}
     * @param metric the metric
     * @param a the figure in A
     * @param b the figure in B
     * @param shift B minus A, with its interval
     * @param p the uncorrected Mann-Whitney p-value
     * @param significant whether it survives Holm within its metric
     */
    public record Row(String cell, Metric metric, CellStats.Figure a, CellStats.Figure b, Shift shift, double p,
            boolean significant) {
        /** {@code faster}/{@code slower}, {@code more}/{@code less} in the metric's sense, or {@code no change shown}. */
        public String verdict() {
            if (!significant) {
                return "no change shown";
            }
            boolean up = shift.estimate() > 0;
            boolean better = metric.higherIsBetter() == up;
            return (better ? "better" : "worse") + " in B";
        }
    }

    private final List<Row> rows;
    private final List<String> notCompared;
    private final int minTrials;
    private final int cells;
    private final int largestFamily;

    private RunComparison(List<Row> rows, List<String> notCompared, int minTrials, int cells, int largestFamily) {
        this.rows = rows;
        this.notCompared = notCompared;
        this.minTrials = minTrials;
        this.cells = cells;
        this.largestFamily = largestFamily;
    }

    /**
     * The first setting that differs between the two logs in a way that makes them incomparable,
     * as a sentence, or null if they are comparable.
     */
    public static String incomparable(RunLog a, RunLog b) {
        for (String key : MUST_MATCH) {
            String va = a.setting(key);
            String vb = b.setting(key);
            if (va == null && vb == null) {
                continue; // both logs predate the setting: both ran without it
            }
            if (va == null || vb == null) {
                return "the setting '" + key + "' is missing from " + (va == null ? "A" : "B")
                        + "'s log: the runs cannot be shown to be comparable";
            }
            if (!va.equals(vb)) {
                return "the setting '" + key + "' differs (" + va + " in A, " + vb + " in B): the runs measured"
                        + " different things";
            }
        }
        return null;
    }

    /** Compares the cells both campaigns ran. */
    public static RunComparison of(Analysis a, Analysis b) {
        List<String> notCompared = new ArrayList<>();
        Map<String, List<Row>> byMetric = new LinkedHashMap<>();
        int minTrials = Integer.MAX_VALUE;
        int cells = 0;
        for (CellStats ca : a.cells()) {
            CellStats cb = b.cell(ca.cell().scenario(), ca.cell().guarantee());
            if (cb == null) {
                continue;
            }
            cells++;
            if (!ca.cell().rankable() || !cb.cell().rankable()) {
                notCompared.add(ca.cell().id() + ": a trial deadlocked or broke in " + (ca.cell().rankable() ? "B" : "A"));
                continue;
            }
            for (Metric m : Metric.values()) {
                CellStats.Figure fa = ca.figure(m);
                CellStats.Figure fb = cb.figure(m);
                if (!fa.present() || !fb.present()) {
                    continue;
                }
                minTrials = Math.min(minTrials, Math.min(fa.values().length, fb.values().length));
                Shift shift = Shift.of(fa.values(), fb.values());
                double p = Significance.pValue(fa.values(), fb.values());
                byMetric.computeIfAbsent(ca.cell().scenario() + "\t" + m.label(), k -> new ArrayList<>())
                        .add(new Row(ca.cell().id(), m, fa, fb, shift, p, false));
            }
        }
        List<Row> rows = new ArrayList<>();
        int largest = 0;
        for (List<Row> family : byMetric.values()) {
            largest = Math.max(largest, family.size());
            double[] p = new double[family.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = family.get(i).p();
            }
            boolean[] sig = Significance.holm(p, Significance.ALPHA);
            for (int i = 0; i < p.length; i++) {
                Row r = family.get(i);
                rows.add(new Row(r.cell(), r.metric(), r.a(), r.b(), r.shift(), r.p(), sig[i]));
            }
        }
        return new RunComparison(sortedByCell(rows, a), notCompared, minTrials == Integer.MAX_VALUE ? 0 : minTrials,
                cells, largest);
    }

    private static List<Row> sortedByCell(List<Row> rows, Analysis a) {
        List<Row> out = new ArrayList<>();
        for (CellStats c : a.cells()) {
            for (Metric m : Metric.values()) {
                for (Row r : rows) {
                    if (r.cell().equals(c.cell().id()) && r.metric() == m) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    public List<Row> rows() {
        return rows;
    }

    /** Cells both ran but that are not compared, with why. */
    public List<String> notCompared() {
        return notCompared;
    }

    /** The cells both campaigns ran. */
    public int cells() {
        return cells;
    }

    /**
     * Whether every difference could be significant here: the smallest p-value the fewest trials
     * can reach (two fully separated samples) against Holm's first threshold in the largest
     * family.
     */
    boolean attainable() {
        if (minTrials < 1 || largestFamily == 0) {
            return false;
        }
        double[] low = new double[minTrials];
        double[] high = new double[minTrials];
        for (int i = 0; i < minTrials; i++) {
            low[i] = i;
            high[i] = minTrials + i;
        }
        return Significance.pValue(low, high) <= Significance.ALPHA / largestFamily;
    }

    /** The fewest trials a compared figure had. */
    int minTrials() {
        return minTrials;
    }

    /** A one-line summary. */
    public String summary() {
        long sig = rows.stream().filter(Row::significant).count();
        String s = String.format(Locale.ROOT, "%d cells in both, %d figures compared, %d significant changes", cells,
                rows.size(), sig);
        if (!attainable()) {
            s += String.format(Locale.ROOT, "; with %s a cell and %s a scenario a change may not be able to"
                    + " reach significance after Holm's correction: run more trials (--trials)",
                    Text.count(minTrials, "trial"), Text.count(largestFamily, "guarantee"));
        }
        return s;
    }
}
