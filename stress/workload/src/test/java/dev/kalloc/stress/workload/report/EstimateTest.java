// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The order-statistic interval on known answers. With B ~ Binomial(n, 1/2), P(B &lt;= j) is
 * (C(n,0) + ... + C(n,j)) / 2^n; k is the largest with 2 P(B &lt;= k-1) &lt;= 0.05.
 */
class EstimateTest {
    @Test
    void fiveTrialsFallBackToTheRangeWithItsTrueConfidence() {
        // n = 5: 2 P(B <= 0) = 2/32 = 0.0625 > 0.05, so no k qualifies; [min, max] covers with
        // 1 - 0.0625 = 0.9375. Sorted 1 2 3 4 5, median x(3) = 3.
        Estimate e = Estimate.of(new double[] {5, 1, 4, 2, 3});
        assertThat(e).isEqualTo(new Estimate(5, 3, 1, 5, 0.9375));
    }

    @Test
    void sixTrialsReach95WithTheRange() {
        // n = 6: 2 P(B <= 0) = 2/64 = 0.03125 passes; 2 P(B <= 1) = 2 * 7/64 = 0.21875 fails.
        // So k = 1, [x(1), x(6)], confidence 0.96875. Median (x(3) + x(4)) / 2 = (30 + 40) / 2.
        Estimate e = Estimate.of(new double[] {60, 10, 50, 20, 40, 30});
        assertThat(e.n()).isEqualTo(6);
        assertThat(e.median()).isEqualTo(35);
        assertThat(e.lo()).isEqualTo(10);
        assertThat(e.hi()).isEqualTo(60);
        assertThat(e.confidence()).isCloseTo(0.96875, within(1e-12));
    }

    @Test
    void nineTrialsDropOneFromEachEnd() {
        // n = 9: 2 P(B <= 1) = 2 * (1 + 9)/512 = 0.0390625 passes; 2 P(B <= 2) = 2 * 46/512 =
        // 0.1796875 fails. So k = 2, [x(2), x(8)], confidence 1 - 20/512 = 0.9609375.
        Estimate e = Estimate.of(new double[] {9, 8, 7, 6, 5, 4, 3, 2, 1});
        assertThat(e.median()).isEqualTo(5);
        assertThat(e.lo()).isEqualTo(2);
        assertThat(e.hi()).isEqualTo(8);
        assertThat(e.confidence()).isCloseTo(1 - 2 * 10.0 / 512, within(1e-12));
    }

    @Test
    void tenTrialsDropOneFromEachEnd() {
        // n = 10: 2 P(B <= 1) = 2 * 11/1024 = 0.021484375 passes; 2 P(B <= 2) = 2 * 56/1024 =
        // 0.109375 fails. So k = 2, [x(2), x(9)], confidence 1 - 22/1024. Median (5 + 6) / 2.
        Estimate e = Estimate.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertThat(e.median()).isEqualTo(5.5);
        assertThat(e.lo()).isEqualTo(2);
        assertThat(e.hi()).isEqualTo(9);
        assertThat(e.confidence()).isCloseTo(1 - 22.0 / 1024, within(1e-12));
    }

    @Test
    void oneTrialIsAPointWithNoConfidence() {
        // n = 1: 1 - 2^(1-1) = 0: a single value says nothing about where the median is.
        assertThat(Estimate.of(new double[] {4.25})).isEqualTo(new Estimate(1, 4.25, 4.25, 4.25, 0));
    }

    @Test
    void evenCountTakesTheMeanOfTheMiddleTwo() {
        // n = 4: 2/16 = 0.125 > 0.05, range with confidence 1 - 2^-3 = 0.875; median (2 + 7) / 2.
        assertThat(Estimate.of(new double[] {7, 100, 2, 1})).isEqualTo(new Estimate(4, 4.5, 1, 100, 0.875));
    }

    @Test
    void duplicatesAreOrderStatisticsLikeAnyOther() {
        // Sorted 3 3 3 3 3 3 3 8 9: n = 9, so [x(2), x(8)] = [3, 8] and median x(5) = 3.
        Estimate e = Estimate.of(new double[] {3, 9, 3, 3, 8, 3, 3, 3, 3});
        assertThat(e.median()).isEqualTo(3);
        assertThat(e.lo()).isEqualTo(3);
        assertThat(e.hi()).isEqualTo(8);
    }

    @Test
    void theInputIsNotReordered() {
        double[] values = {3, 1, 2};
        Estimate.of(values);
        assertThat(values).containsExactly(3, 1, 2);
    }

    @Test
    void sixIsTheFewestTrialsFor95() {
        // n = 5 needs 2/32 <= 0.05 (false); n = 6 needs 2/64 <= 0.05 (true).
        assertThat(Estimate.trialsFor95()).isEqualTo(6);
        assertThat(Estimate.of(new double[5]).confidence()).isLessThan(0.95);
        assertThat(Estimate.of(new double[6]).confidence()).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void disjointOnlyWhenTheIntervalsShareNothing() {
        Estimate low = new Estimate(6, 2, 1, 3, 0.96875);
        Estimate high = new Estimate(6, 5, 4, 6, 0.96875);
        Estimate touching = new Estimate(6, 4, 3, 5, 0.96875);
        assertThat(low.disjoint(high)).isTrue();
        assertThat(high.disjoint(low)).isTrue();
        assertThat(low.disjoint(touching)).isFalse();
        assertThat(touching.disjoint(high)).isFalse();
        assertThat(low.disjoint(low)).isFalse();
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> Estimate.of(new double[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no values");
        assertThatThrownBy(() -> Estimate.of(new double[] {1, Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("value 1 is NaN, not a finite number");
        assertThatThrownBy(() -> Estimate.of(new double[] {Double.NEGATIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("value 0 is -Infinity, not a finite number");
    }
}
