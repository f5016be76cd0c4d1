package dev.kalloc.stress.workload;

import java.util.Arrays;
import java.util.Comparator;
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

    private Significance() {
    }

    /**
     * The two-sided Mann-Whitney p-value for "{@code a} and {@code b} come from one distribution",
     * or 1.0 when either sample is empty (nothing was measured, so nothing differs).
     *
     * <p>This is commons-math3's normal approximation: no continuity correction and no variance
     * correction for ties, whose values get their average rank. Against the exact permutation
     * distribution at 5 to 10 values per group (checked by enumeration in the test) it is
     * conservative only in the tail: wherever the exact p is at most 0.02 the approximation is at
     * least as large, and a threshold of 5%/3 or less (Holm's first step once a family has three
     * pairs) never rejects on it where the exact test would not. Near 5% it is slightly liberal:
     * 5 against 5 with U = 3 gives 0.047 where the exact p is 14/252 = 0.056, so a lone
     * comparison, or the last one Holm reaches, can be called significant at p just under 0.05
     * when the exact test would say no. Below 5 per group it is worse (3 against 3 fully
     * separated gives 0.0495; the exact test can never go below 0.1), which is one more reason to
     * run at least {@link Estimate#trialsFor95()} trials. Ties push it towards larger p-values,
     * since they shrink the true variance of U below the formula's; when all values are equal U
     * sits at its mean and the p-value is exactly 1.
     *
     * @throws IllegalArgumentException if a value is NaN or infinite
     */
    static double pValue(double[] a, double[] b) {
        requireFinite("a", a);
        requireFinite("b", b);
        if (a.length == 0 || b.length == 0) {
            return 1.0;
        }
        return new MannWhitneyUTest().mannWhitneyUTest(a, b);
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
