// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The Mann-Whitney p-value on known answers and against the exact permutation distribution, and
 * Holm's procedure on vectors worked by hand.
 */
class SignificanceTest {
    @Test
    void sixAgainstSixFullySeparatedSurvivesHolmOverSixPairs() {
        // U = 0, E[U] = 18, Var[U] = 36 * 13 / 12 = 39: z = (0 - 18 + 0.5) / 6.245 = -2.802,
        // p = 0.00508, below 0.05 / 6 = 0.00833, the strictest threshold of a six-pair family.
        double p = Significance.pValue(new double[] {1, 2, 3, 4, 5, 6}, new double[] {7, 8, 9, 10, 11, 12});
        assertThat(p).isCloseTo(0.00508, within(1e-5));
        assertThat(p).isLessThan(Significance.ALPHA / 6);
    }

    @Test
    void fiveAgainstFiveFullySeparated() {
        // U = 0, E[U] = 12.5, Var[U] = 25 * 11 / 12: z = (0 - 12.5 + 0.5) / 4.787 = -2.507,
        // p = 0.01218. Exact: only 2 of the C(10,5) = 252 splits are this extreme, p = 0.00794.
        // Five trials cannot pass the first step of a six-pair Holm family (0.00833).
        double p = Significance.pValue(new double[] {10, 11, 12, 13, 14}, new double[] {1, 2, 3, 4, 5});
        assertThat(p).isCloseTo(0.01218, within(1e-5));
        assertThat(p).isGreaterThan(Significance.ALPHA / 6);
    }

    @Test
    void theSideDoesNotMatter() {
        double[] a = {3.1, 4.7, 2.2, 9.0, 5.5};
        double[] b = {6.0, 7.3, 8.8, 2.9, 10.4, 7.7};
        assertThat(Significance.pValue(a, b)).isEqualTo(Significance.pValue(b, a));
    }

    @Test
    void identicalSamplesGiveOne() {
        double[] a = {1.5, 2.5, 3.5, 4.5, 5.5};
        assertThat(Significance.pValue(a, a.clone())).isEqualTo(1.0);
    }

    @Test
    void allTiedGivesOne() {
        assertThat(Significance.pValue(new double[] {7, 7, 7, 7, 7}, new double[] {7, 7, 7, 7, 7, 7, 7}))
                .isEqualTo(1.0);
    }

    @Test
    void emptyGivesOne() {
        assertThat(Significance.pValue(new double[0], new double[] {1, 2})).isEqualTo(1.0);
        assertThat(Significance.pValue(new double[] {1, 2}, new double[0])).isEqualTo(1.0);
    }

    @Test
    void nonFiniteValuesAreRejected() {
        assertThatThrownBy(() -> Significance.pValue(new double[] {1, Double.NaN}, new double[] {2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a[1] is NaN, not a finite number");
        assertThatThrownBy(() -> Significance.pValue(new double[] {1}, new double[] {Double.POSITIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("b[0] is Infinity, not a finite number");
    }

    /**
     * For every pair of group sizes from 5 to 10, every split of the ranks 1..n1+n2 into the two
     * groups is enumerated; the exact two-sided p of a U is the share of splits whose U is at least
     * as far from n1 n2 / 2. Each U's approximate p comes from a real split fed to pValue.
     */
    @Test
    void noDecisionAtHolmsThresholdsIsMoreLiberalThanTheExactTest() {
        double a = Significance.ALPHA;
        double[] thresholds = {a, a / 2, a / 3, a / 4, a / 5, a / 6, 0.01};
        for (int n1 = 5; n1 <= 10; n1++) {
            for (int n2 = n1; n2 <= 10; n2++) {
                for (Map.Entry<Integer, double[]> e : exactAndApproximate(n1, n2).entrySet()) {
                    double exact = e.getValue()[0];
                    double approx = e.getValue()[1];
                    String where = n1 + " vs " + n2 + ", U = " + e.getKey();
                    for (double t : thresholds) {
                        if (approx <= t) {
                            assertThat(exact).as(where + ", threshold " + t).isLessThanOrEqualTo(t);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theContinuityCorrectionKeepsJustAboveFivePercentWhereTheExactTestDoes() {
        // 5 vs 5, U = 3 (a = 1 2 3 4 8 beats b = 5 6 7 9 10 in 8 > 5, 6, 7). The U <= 3 splits
        // number 1 + 1 + 2 + 3 = 7 (partitions of 0..3 into at most 5 parts of at most 5), so the
        // exact p is 2 * 7 / 252 = 0.0556. Uncorrected, the normal approximation says 0.0472
        // (under 0.05); corrected, z = (3 - 12.5 + 0.5) / 4.787 = -1.880, p = 0.0601.
        double[] a = {1, 2, 3, 4, 8};
        double[] b = {5, 6, 7, 9, 10};
        double approx = Significance.pValue(a, b);
        assertThat(approx).isCloseTo(0.0601, within(1e-4)).isGreaterThan(Significance.ALPHA);
        assertThat(exactAndApproximate(5, 5).get(3)[0]).isCloseTo(14.0 / 252, within(1e-12));
    }

    @Test
    void holmStopsAtTheFirstFailure() {
        // Sorted 0.005, 0.01, 0.03, 0.04 against 0.05/4 = 0.0125, 0.05/3 = 0.0167, 0.05/2 = 0.025:
        // 0.005 and 0.01 pass, 0.03 fails, so 0.04 is kept without being looked at.
        assertThat(Significance.holm(new double[] {0.01, 0.04, 0.03, 0.005}, 0.05))
                .containsExactly(true, false, false, true);
        // Sorted 0.001, 0.02, 0.04, 0.049: 0.02 > 0.0167 stops it, although 0.049 <= 0.05 / 1.
        assertThat(Significance.holm(new double[] {0.02, 0.049, 0.001, 0.04}, 0.05))
                .containsExactly(false, false, true, false);
    }

    @Test
    void holmRejectsAllWhenEachPassesItsStep() {
        // 0.01 <= 0.05/3, 0.02 <= 0.05/2, 0.03 <= 0.05/1.
        assertThat(Significance.holm(new double[] {0.03, 0.01, 0.02}, 0.05)).containsExactly(true, true, true);
        // Equal to the threshold is a rejection: 0.025 <= 0.05/2, 0.05 <= 0.05/1.
        assertThat(Significance.holm(new double[] {0.05, 0.025}, 0.05)).containsExactly(true, true);
    }

    @Test
    void holmOnTiesAndEdges() {
        // Two equal p-values: 0.03 > 0.05/2 fails at the first, so neither is rejected.
        assertThat(Significance.holm(new double[] {0.03, 0.03}, 0.05)).containsExactly(false, false);
        // At alpha 0.08 the first passes 0.08/2 = 0.04, and then the second passes 0.08/1.
        assertThat(Significance.holm(new double[] {0.03, 0.03}, 0.08)).containsExactly(true, true);
        assertThat(Significance.holm(new double[0], 0.05)).isEmpty();
        assertThat(Significance.holm(new double[] {0.04}, 0.05)).containsExactly(true);
        assertThat(Significance.holm(new double[] {0, 1}, 0.05)).containsExactly(true, false);
    }

    @Test
    void holmRejectsBadInput() {
        assertThatThrownBy(() -> Significance.holm(new double[] {0.5, 1.5}, 0.05))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("p[1] is 1.5, not a probability in [0, 1]");
        assertThatThrownBy(() -> Significance.holm(new double[] {Double.NaN}, 0.05))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("p[0] is NaN, not a probability in [0, 1]");
        assertThatThrownBy(() -> Significance.holm(new double[] {-0.1}, 0.05))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Significance.holm(new double[] {0.1}, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("alpha is 0.0, not in (0, 1)");
    }

    /**
     * For each U that some split of the ranks 1..n1+n2 gives, {exact p, pValue of that split}. A
     * split is a bit mask over the ranks: bit r set means rank r + 1 is in the first group.
     */
    private static Map<Integer, double[]> exactAndApproximate(int n1, int n2) {
        int n = n1 + n2;
        int total = 0;
        Map<Integer, Integer> count = new TreeMap<>();
        Map<Integer, Integer> example = new TreeMap<>();
        for (int mask = 0; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) != n1) {
                continue;
            }
            int u = u(mask, n);
            count.merge(u, 1, Integer::sum);
            example.putIfAbsent(u, mask);
            total++;
        }
        // Twice U's distance from its mean, to stay in integers.
        int mean2 = n1 * n2;
        Map<Integer, double[]> result = new TreeMap<>();
        for (int u : count.keySet()) {
            int asFar = 0;
            for (Map.Entry<Integer, Integer> c : count.entrySet()) {
                if (Math.abs(2 * c.getKey() - mean2) >= Math.abs(2 * u - mean2)) {
                    asFar += c.getValue();
                }
            }
            int mask = example.get(u);
            double[] a = new double[n1];
            double[] b = new double[n2];
            int ia = 0;
            int ib = 0;
            for (int r = 0; r < n; r++) {
                if ((mask & 1 << r) != 0) {
                    a[ia++] = r + 1;
                } else {
                    b[ib++] = r + 1;
                }
            }
            result.put(u, new double[] {(double) asFar / total, Significance.pValue(a, b)});
        }
        return result;
    }

    /** U of the first group: over its members, how many of the second group rank below each. */
    private static int u(int mask, int n) {
        int u = 0;
        int below = 0;
        for (int r = 0; r < n; r++) {
            if ((mask & 1 << r) != 0) {
                u += below;
            } else {
                below++;
            }
        }
        return u;
    }
}
