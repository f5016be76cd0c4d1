// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The "ten samples beyond" rule at its exact boundaries: needed(p) = ceil(10 / (1 - p/100)) in
 * decimal, and one sample fewer is not enough.
 */
class SupportTest {
    @Test
    void boundariesOfTheUsualPercentiles() {
        // 10 / 0.5 = 20; 10 / 0.01 = 1000; 10 / 0.001 = 10000; 10 / 0.0001 = 100000.
        assertBoundary(50, 20);
        assertBoundary(99, 1_000);
        assertBoundary(99.9, 10_000);
        assertBoundary(99.99, 100_000);
    }

    @Test
    void boundariesWhereBinaryArithmeticWouldMissByOne() {
        // In doubles 1 - 90/100 is 0.09999999999999998 and 10 / that rounds up to 101.
        assertBoundary(90, 100);
        // 10 / 0.0005 = 20000; in doubles 1 - 99.95/100 is 4.999999999999449E-4.
        assertBoundary(99.95, 20_000);
    }

    @Test
    void boundariesThatAreNotWholeQuotients() {
        // 10 / 0.75 = 13.33, so 14; 10 / 0.25 = 40 exactly.
        assertBoundary(25, 14);
        assertBoundary(75, 40);
    }

    @Test
    void noSamplesSupportNothing() {
        assertThat(Support.supported(0, 0.001)).isFalse();
        // 10 / 0.99999 = 10.0001, so the lowest percentiles still need 11 samples.
        assertThat(Support.needed(0.001)).isEqualTo(11);
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> Support.needed(100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("percentile is 100.0, not in (0, 100)");
        assertThatThrownBy(() -> Support.needed(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Support.needed(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Support.supported(1_000, 150)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Support.supported(-1, 99))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("samples is -1, not a count");
    }

    private static void assertBoundary(double percentile, long needed) {
        assertThat(Support.needed(percentile)).as("needed(%s)", percentile).isEqualTo(needed);
        assertThat(Support.supported(needed, percentile)).as("%s samples at p%s", needed, percentile).isTrue();
        assertThat(Support.supported(needed - 1, percentile)).as("%s samples at p%s", needed - 1, percentile).isFalse();
    }
}
