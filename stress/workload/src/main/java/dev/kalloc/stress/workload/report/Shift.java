// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.util.Arrays;

/**
 * How much one set of trials moved against another, with its interval: the Hodges-Lehmann
 * estimate of the shift from {@code a} to {@code b} (the median of every difference
 * {@code b[j] - a[i]}) and the distribution-free confidence interval that goes with the
 * Mann-Whitney test, [D(k), D(m + 1 - k)] over the m = n1 n2 sorted differences, k from the
 * normal approximation of U's distribution at 95%.
 *
 * <p>Why this and not "median of b minus median of a": the difference of medians has no
 * interval of its own without resampling, and it can point the other way from the rank test
 * that decides significance; the Hodges-Lehmann shift is the estimate that test implies, and its
 * interval is the set of shifts the test would not reject at 5% (up to the test's continuity
 * correction, which {@link Significance#pValue} applies and this interval does not: near the
 * boundary the interval may exclude 0 while the test does not reject; the verdict follows the
 * test).
 *
 * <p>With few trials the interval can need a rank below 1; it is then [min, max] of the
 * differences, whose coverage is below 95% ({@link #confidence} says how much, from the same
 * approximation).
 *
 * @param estimate the median of the pairwise differences b - a
 * @param lo lower end of the interval
 * @param hi upper end of the interval
 * @param confidence the interval's approximate coverage
 */
public record Shift(double estimate, double lo, double hi, double confidence) {
    /**
     * The shift from {@code a} to {@code b}.
     *
     * @throws IllegalArgumentException if either is empty or holds a non-finite value
     */
    public static Shift of(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("a shift needs values on both sides (" + a.length + " and " + b.length + ")");
        }
        double[] d = new double[a.length * b.length];
        int k = 0;
        for (double x : a) {
            for (double y : b) {
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    throw new IllegalArgumentException("a shift needs finite values, not " + (Double.isFinite(x) ? y : x));
                }
                d[k++] = y - x;
            }
        }
        Arrays.sort(d);
        int m = d.length;
        double estimate = m % 2 == 1 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
        double sd = Math.sqrt((double) a.length * b.length * (a.length + b.length + 1) / 12.0);
        double z = Significance.STANDARD_NORMAL.inverseCumulativeProbability(1 - Significance.ALPHA / 2);
        int rank = (int) Math.floor(m / 2.0 - z * sd);
        double confidence = 1 - Significance.ALPHA;
        if (rank < 1) {
            rank = 1;
            // The coverage of [D(1), D(m)]: U outside [0, m] never happens, inside with the
            // approximation's probability of |U - m/2| < m/2.
            confidence = Math.max(0, 2 * Significance.STANDARD_NORMAL.cumulativeProbability((m / 2.0 - 0.5) / sd) - 1);
        }
        return new Shift(estimate, d[rank - 1], d[m - rank], confidence);
    }

    /** True if the interval excludes no change. */
    public boolean excludesZero() {
        return lo > 0 || hi < 0;
    }
}
