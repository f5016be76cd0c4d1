// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.stat.descriptive.rank.Median;

/**
 * One metric over the trials of a run: the median of the per-trial values and a confidence
 * interval for the true median, so that a table can say "4.1 ms [3.8, 4.6]" and two guarantees can
 * be compared by more than their medians.
 *
 * <p>The interval comes from order statistics: the true median lies below the k-th smallest of n
 * values exactly when at most k-1 of them fall below it, which for any continuous distribution is
 * a Binomial(n, 1/2) event. So [x(k), x(n+1-k)] covers the median with probability
 * 1 - 2 P(B &lt;= k-1) whatever the shape of the distribution (at least that much when values
 * can tie, as with a coarse clock, because the interval is closed): latencies are skewed and we
 * never have enough trials to check a parametric model. The coverage is exact, not asymptotic, and it is
 * reported as {@code confidence} rather than rounded up to a nominal 95%. A bootstrap would need
 * resampling; this needs none, so the result is a pure function of the values and two renderings
 * of one log (the terminal table and the HTML report, or today's report and tomorrow's) agree to
 * the last digit.
 *
 * <p>We take the narrowest such interval that still reaches 95%. With five or fewer trials none
 * does: even [min, max] misses the median with probability 2^(1-n) (6.25% at n = 5, 100% at
 * n = 1). Then the interval is [min, max] and {@code confidence} says how little it is worth;
 * callers should show it as such, not as a 95% interval. {@link #trialsFor95()} is the number of
 * trials to ask for.
 *
 * @param n the number of trials
 * @param median the sample median (the mean of the two middle values when n is even)
 * @param lo the lower end of the interval, an observed value
 * @param hi the upper end of the interval, an observed value
 * @param confidence the exact probability that such an interval covers the true median
 */
public record Estimate(int n, double median, double lo, double hi, double confidence) {
    /** The largest miss probability the interval may have: 95% coverage. */
    private static final double MISS = 0.05;

    /** The median and its order-statistic interval for one metric's per-trial values. */
    static Estimate of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values: an estimate needs at least one trial");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("value " + i + " is " + values[i] + ", not a finite number");
            }
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        BinomialDistribution below = new BinomialDistribution(null, n, 0.5);
        // Depth 0 means not even [min, max] reaches 95%; it is still the widest we can offer.
        int k = Math.max(1, depth(below));
        double miss = 2 * below.cumulativeProbability(k - 1);
        return new Estimate(n, new Median().evaluate(sorted), sorted[k - 1], sorted[n - k], 1 - miss);
    }

    /**
     * The smallest number of trials whose interval reaches 95% coverage, derived from the same rule
     * as {@link #of} so that the two cannot disagree.
     */
    public static int trialsFor95() {
        int n = 1;
        while (depth(new BinomialDistribution(null, n, 0.5)) == 0) {
            n++;
        }
        return n;
    }

    /** Whether the two intervals share no value: touching ends count as overlapping. */
    boolean disjoint(Estimate other) {
        return hi < other.lo || other.hi < lo;
    }

    /**
     * The largest k whose interval [x(k), x(n+1-k)] misses the median with probability at most
     * {@link #MISS}, or 0 if there is none. The miss probability grows with k, so the first k that
     * fails ends the search; it fails at the latest near n/2, where the miss is about 1.
     */
    private static int depth(BinomialDistribution below) {
        int k = 0;
        while (2 * below.cumulativeProbability(k) <= MISS) {
            k++;
        }
        return k;
    }
}
