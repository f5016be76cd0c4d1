// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The statistics of one cell: for every {@link Metric}, its value in each trial that ran to the
 * end, their median and the median's 95% interval ({@link Estimate}).
 *
 * <p>Which trials count: those that neither deadlocked nor broke. A deadlocked trial's figures
 * describe the part of the run before it stuck; the cell is then marked and never ranked
 * ({@link Cell#rankable()}), and what it shows is over the trials that completed. A percentile
 * needs every counted trial to support it ({@link Support}); if one does not, the cell shows no
 * figure for it, and says how many samples a trial would need.
 */
final class CellStats {
    /**
     * One metric of one cell.
     *
     * @param metric the metric
     * @param values its value in each counted trial, in trial order (empty if it has no figure)
     * @param estimate median and interval over {@code values}, or null when there is no figure
     * @param unsupported counted trials with too few samples for this percentile (0 otherwise)
     * @param minSamples the fewest samples a counted trial had (for the percentile rule's message)
     */
    public record Figure(Metric metric, double[] values, Estimate estimate, int unsupported, long minSamples) {
        boolean present() {
            return estimate != null;
        }

        /** {@code 2.41 [1.98, 3.07]}, or {@code -} with why. */
        public String text() {
            if (estimate != null) {
                return metric.format(estimate.median()) + " [" + metric.format(estimate.lo()) + ", "
                        + metric.format(estimate.hi()) + "]";
            }
            if (unsupported > 0) {
                return "- (needs " + Support.needed(metric.percentile()) + " samples a trial)";
            }
            return "-";
        }

        /** The median alone, or {@code -}. */
        public String medianText() {
            return estimate == null ? "-" : metric.format(estimate.median());
        }
    }

    private final Cell cell;
    private final List<RunResult> counted;
    private final Map<Metric, Figure> figures = new EnumMap<>(Metric.class);

    private CellStats(Cell cell, List<RunResult> counted) {
        this.cell = cell;
        this.counted = counted;
    }

    /** The statistics of {@code cell}, its histograms read from {@code log}. */
    static CellStats of(RunLog log, Cell cell) {
        List<RunResult> counted = new ArrayList<>();
        for (RunResult r : cell.trials()) {
            if (!r.deadlocked() && r.error().isEmpty()) {
                counted.add(r);
            }
        }
        CellStats s = new CellStats(cell, counted);
        for (Metric m : Metric.values()) {
            s.figures.put(m, figure(log, m, counted));
        }
        return s;
    }

    private static Figure figure(RunLog log, Metric m, List<RunResult> counted) {
        if (counted.isEmpty()) {
            return new Figure(m, new double[0], null, 0, 0);
        }
        double[] values = new double[counted.size()];
        int unsupported = 0;
        long minSamples = Long.MAX_VALUE;
        for (int i = 0; i < values.length; i++) {
            RunResult r = counted.get(i);
            values[i] = m.of(log, r);
            if (Double.isNaN(values[i])) {
                unsupported++;
            }
            if (m.isPercentile()) {
                minSamples = Math.min(minSamples, log.runTotal(r).getTotalCount());
            }
        }
        if (unsupported > 0) {
            return new Figure(m, new double[0], null, unsupported, minSamples);
        }
        return new Figure(m, values, Estimate.of(values), 0, m.isPercentile() ? minSamples : 0);
    }

    Cell cell() {
        return cell;
    }

    /** The trials the figures are over: those that ran to the end. */
    List<RunResult> counted() {
        return counted;
    }

    Figure figure(Metric m) {
        return figures.get(m);
    }

    /**
     * The median over counted trials of the share of operations that failed: a cell that
     * typically fails many operations has fast successes for a bad reason, and its latency is not
     * ranked. The median, so that one bad trial of six does not take a cell out of the ranking
     * (its latency figures show that trial in their interval).
     */
    double medianFailedShare() {
        if (counted.isEmpty()) {
            return 0;
        }
        double[] shares = new double[counted.size()];
        for (int i = 0; i < shares.length; i++) {
            RunResult r = counted.get(i);
            shares[i] = r.completed() == 0 ? 0 : r.failed() / (double) r.completed();
        }
        return Estimate.of(shares).median();
    }
}
