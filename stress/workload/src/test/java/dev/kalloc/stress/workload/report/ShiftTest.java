// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The Hodges-Lehmann shift and its distribution-free interval ({@link Shift}), on samples small
 * enough to work by hand. In the report package because Shift is the report's own: kalloc compare
 * shows it through {@link RunComparison}.
 */
class ShiftTest {
    @Test
    void theShiftIntervalOnKnownSamples() {
        // a = 0..5, b = 10..15: differences 5..15 (36 of them), median 10. m = 36, sd = sqrt(36*13/12)
        // = 6.245, k = floor(18 - 1.96 * 6.245) = floor(5.76) = 5: the interval is [D(5), D(32)]
        // of the sorted differences 5,6,6,7,7,7,8,8,8,8,9,...: D(5) = 7 and symmetrically D(32) = 13.
        Shift s = Shift.of(new double[] {0, 1, 2, 3, 4, 5}, new double[] {10, 11, 12, 13, 14, 15});
        assertThat(s.estimate()).isEqualTo(10);
        assertThat(s.lo()).isEqualTo(7);
        assertThat(s.hi()).isEqualTo(13);
        assertThat(s.confidence()).isEqualTo(0.95);
        assertThat(s.excludesZero()).isTrue();
        // One trial each: no rank reaches 95%; the interval is the one difference.
        Shift one = Shift.of(new double[] {1}, new double[] {3});
        assertThat(one.lo()).isEqualTo(2);
        assertThat(one.hi()).isEqualTo(2);
        assertThat(one.confidence()).isLessThan(0.95);
    }
}
