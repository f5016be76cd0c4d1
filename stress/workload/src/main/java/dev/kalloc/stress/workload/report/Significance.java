// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.util.Arrays;
import java.util.Comparator;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;

/**
 * Whether two guarantees really differ on a metric, given a handful of trials of each: a two-sided
 * Mann-Whitney U test per pair, and Holm's correction over the pairs of one family.
 *
 * <p>A rank test, because the values are latency percentiles and throughputs from five to ten
 * trials: percentiles are skewed with a long right tail, one slow trial (a GC pause, a noisy
 * neighbour) is common, and with so few values nothing can show that they are normal. Mann-Whitney
 * uses only the order of the pooled values, so an outlier counts as "largest" and no more, and its
 * null hypothesis needs no distribution: under it every split of the pooled values is equally
 * likely.
 *
 * <p>Holm, because a scenario's report compares every pair of guarantees on a metric at once, and
 * with six pairs tested at 5% each the chance of at least one false alarm is about a quarter
 * (1 - 0.95^6 if they were independent). A family is those pairwise comparisons for one scenario
 * and one metric; Holm keeps the probability of any false "significant" in the family at most
 * {@link #ALPHA} whatever the dependence between the pairs (they share samples), and it rejects
 * everything Bonferroni would and often more. So "significant" in the report means: this pair's
 * difference survived Holm within its family at 5%. A difference that did not is not evidence that
 * the two are the same; it may only need more trials.
 */
final class Significance {
    /** The family-wise error rate the report uses. */
    static final double ALPHA = 0.05;

    /** N(0, 1), for the normal approximations here and in {@link Shift}. */
    static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private Significance() {
    }

    /**
     * The two-sided Mann-Whitney p-value for "{@code a} and {@code b} come from one distribution",
     * or 1.0 when either sample is empty (nothing was measured, so nothing differs).
     *
     * <p>U comes from commons-math3's {@link MannWhitneyUTest#mannWhitneyU} (ties get their
     * average rank); the p-value is the normal approximation with a continuity correction of
     * 1/2, {@code z = (min(U1, U2) - n1 n2 / 2 + 1/2) / sqrt(n1 n2 (n1 + n2 + 1) / 12)}. Without
     * the correction (commons-math3's own {@code mannWhitneyUTest}) the approximation is liberal
     * near 5% at these sample sizes: 5 against 5 with U = 3 gives 0.047 where the exact
     * permutation p is 14/252 = 0.056. With it, at 5 to 10 values per group, no decision at the
     * thresholds a Holm family of up to six pairs uses (5%, 5%/2, ... 5%/6, and 1%) differs from
     * the exact test's except towards keeping the null (the test enumerates every split to check).
     * Ties shrink the true variance of U below the formula's and so push p up; when all values are
     * equal, p is 1. With fewer than 5 values per group the approximation should not be trusted,
     * one more reason to run at least {@link Estimate#trialsFor95()} trials.
     *
     * @throws IllegalArgumentException if a value is NaN or infinite
     */
    static double pValue(double[] a, double[] b) {
        requireFinite("a", a);
        requireFinite("b", b);
        if (a.length == 0 || b.length == 0) {
            return 1.0;
        }
        double n1n2 = (double) a.length * b.length;
        double uMin = n1n2 - new MannWhitneyUTest().mannWhitneyU(a, b);
        double sd = Math.sqrt(n1n2 * (a.length + b.length + 1) / 12.0);
        double z = (uMin - n1n2 / 2 + 0.5) / sd;
        return z >= 0 ? 1.0 : Math.min(1.0, 2 * STANDARD_NORMAL.cumulativeProbability(z));
    }

    /**
     * Holm-Bonferroni step-down over one family's p-values: which hypotheses to reject so that the
     * chance of rejecting any true one stays at most {@code alpha}. The i-th smallest p (from 0) is
     * rejected while p &le; alpha / (m - i); the first that is not stops the procedure, and every
     * larger p is kept even if it would pass its own threshold. Equal p-values pass or fail
     * together.
     *
     * @return for each p, in the order given, whether its hypothesis is rejected
     * @throws IllegalArgumentException if a p is NaN or outside [0, 1], or alpha is not in (0, 1)
     */
    static boolean[] holm(double[] p, double alpha) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha is " + alpha + ", not in (0, 1)");
        }
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] >= 0 && p[i] <= 1)) {
                throw new IllegalArgumentException("p[" + i + "] is " + p[i] + ", not a probability in [0, 1]");
            }
        }
        Integer[] order = new Integer[p.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble(i -> p[i]));
        boolean[] rejected = new boolean[p.length];
        int m = p.length;
        for (int i = 0; i < m && p[order[i]] <= alpha / (m - i); i++) {
            rejected[order[i]] = true;
        }
        return rejected;
    }

    private static void requireFinite(String name, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + values[i] + ", not a finite number");
            }
        }
    }
}
