// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Which latency percentiles a run has the samples to show: one is shown only where at least
 * {@link #MIN_BEYOND} samples lie beyond it. The p99.9 of 2,000 operations is decided by the two
 * slowest of them, one scheduling hiccup away from any other value, and printing it beside the
 * p99.9 of a million operations would invite a comparison the data cannot bear. Ten is a rule of
 * thumb: enough that no single event decides the value, few enough that p99.9 needs only 10,000
 * operations.
 *
 * <p>The test is samples &times; (1 - p/100) &ge; 10, and it is done in decimal: in binary
 * 10,000 &times; (1 - 99.9/100) is 9.9999999999989, which would make p99.9 need 10,001 samples
 * (and p90 need 101). The percentile is taken as the decimal it prints as ({@code 99.9}, not the
 * binary fraction nearest to it), which is what a user typed and what the report shows.
 */
final class Support {
    /** The number of samples that must lie beyond a percentile for it to be shown. */
    static final int MIN_BEYOND = 10;

    private Support() {
    }

    /**
     * Whether {@code samples} operations support the {@code percentile} (in percent, e.g. 99.9).
     *
     * @throws IllegalArgumentException if samples is negative or percentile is not in (0, 100)
     */
    static boolean supported(long samples, double percentile) {
        if (samples < 0) {
            throw new IllegalArgumentException("samples is " + samples + ", not a count");
        }
        return samples >= needed(percentile);
    }

    /**
     * The least number of samples that supports the {@code percentile}: 20 for the median, 1,000
     * for p99, 10,000 for p99.9, 100,000 for p99.99.
     *
     * @throws IllegalArgumentException if percentile is not in (0, 100)
     */
    static long needed(double percentile) {
        if (!(percentile > 0 && percentile < 100)) {
            throw new IllegalArgumentException("percentile is " + percentile + ", not in (0, 100)");
        }
        // The share beyond the percentile, exact in decimal: 99.9 gives 0.001.
        BigDecimal beyond = BigDecimal.ONE.subtract(BigDecimal.valueOf(percentile).movePointLeft(2));
        return BigDecimal.valueOf(MIN_BEYOND).divide(beyond, 0, RoundingMode.CEILING).longValueExact();
    }
}
