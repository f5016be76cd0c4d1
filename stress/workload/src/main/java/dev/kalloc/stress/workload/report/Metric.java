// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The figures a campaign compares, each read from one trial: latency percentiles of the
 * successful operations, what got done, what failed, stalls, and the price of the guarantee.
 *
 * <p>A percentile is read from a trial only where the trial supports it ({@link Support}: at least
 * ten samples beyond it); otherwise the trial has no value for it and the cell shows {@code -}
 * with the sample count that would be needed. Failed operations are never in the latency
 * figures: they have their own histograms and count here as {@link #FAILED}.
 */
public enum Metric {
    P50("p50", "ms", 50, false),
    P99("p99", "ms", 99, false),
    P99_9("p99.9", "ms", 99.9, false),
    /** Successful operations per second of load: what the scenario got done. */
    DONE("done/s", "ops/s", Double.NaN, true),
    FAILED("failed", "ops", Double.NaN, false),
    STALLS("stalls", "ops", Double.NaN, false),
    /**
     * What the guarantee set aside and did not use, time-averaged: a mempool's idle elements, a
     * reservation's unused reserved pages R. The figure each design is usually charged with.
     */
    HELD("held", "KiB", Double.NaN, false),
    /**
     * What the guarantee took from everyone else, time-averaged, as its author defined it: a
     * mempool's idle elements (nobody else can use them), a reservation's {@code max(0, R - C)}
     * per zone (clean page-cache pages C occupy reserved memory until it is needed; LaHaise, 15
     * Dec 2001). The "least memory taken" verdict uses this one.
     */
    PRICE("price", "KiB", Double.NaN, false);

    /**
     * Throughput differences smaller than this share of the offered rate are ties, significant or
     * not: in an open loop every guarantee that keeps up completes the offered rate, and what
     * is left is how long the last operations took to drain, already measured by the latency.
     */
    static final double DONE_TIE_SHARE = 0.01;

    private final String label;
    private final String unit;
    private final double percentile;
    private final boolean higherIsBetter;

    Metric(String label, String unit, double percentile, boolean higherIsBetter) {
        this.label = label;
        this.unit = unit;
        this.percentile = percentile;
        this.higherIsBetter = higherIsBetter;
    }

    public String label() {
        return label;
    }

    public String unit() {
        return unit;
    }

    boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** Whether this is a latency percentile (subject to the sample-support rule). */
    boolean isPercentile() {
        return !Double.isNaN(percentile);
    }

    /** The percentile, in percent; NaN for the other metrics. */
    double percentile() {
        return percentile;
    }

    /** "lowest p99" or "highest done/s". */
    String best() {
        return (higherIsBetter ? "highest " : "lowest ") + label;
    }

    /**
     * This metric in one trial, or NaN when the trial cannot support it (a percentile with fewer
     * than ten samples beyond it).
     */
    double of(RunLog log, RunResult r) {
        switch (this) {
            case P50:
            case P99:
            case P99_9: {
                Histogram h = log.runTotal(r);
                if (!Support.supported(h.getTotalCount(), percentile)) {
                    return Double.NaN;
                }
                return h.getValueAtPercentile(percentile) / 1e6;
            }
            case DONE:
                return r.goodput();
            case FAILED:
                return r.failed();
            case STALLS:
                return r.stalls();
            case HELD:
                return r.idleBytes() / 1024;
            case PRICE:
                return r.priceBytes() / 1024;
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * A value of this metric for a table: no decimals from 100 (and for whole counts), one from
     * 10, two below: at most three significant digits, and as many as a reader compares.
     */
    public String format(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        if (a >= 100 || v == Math.rint(v) && !isPercentile()) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
