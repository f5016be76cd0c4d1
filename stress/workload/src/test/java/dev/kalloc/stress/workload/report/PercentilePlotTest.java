// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Percentile curves end where ten samples remain beyond them, as the tables' rule says. */
class PercentilePlotTest {
    @TempDir
    Path dir;

    private static Histogram uniform(int n) {
        Histogram h = new Histogram(3);
        for (int i = 1; i <= n; i++) {
            h.recordValue(i * 1000L);
        }
        return h;
    }

    @Test
    void aCurveEndsAtTheLastSupportedPercentile() {
        // 1000 samples: 10 lie beyond 99%, so the curve ends at x = log10(1 / 0.01) = 2.
        double[][] pts = PercentilePlot.points(uniform(1000));
        double lastX = pts[0][pts[0].length - 1];
        assertThat(lastX).isCloseTo(2.0, within(1e-9));
        for (double x : pts[0]) {
            assertThat(x).isLessThanOrEqualTo(lastX);
        }
        // 100000 samples support 99.99%: four nines.
        double[][] more = PercentilePlot.points(uniform(100_000));
        assertThat(more[0][more[0].length - 1]).isCloseTo(4.0, within(1e-9));
    }

    @Test
    void tooFewSamplesDrawNothing() throws Exception {
        assertThat(PercentilePlot.points(uniform(9))[0]).isEmpty();
        assertThat(PercentilePlot.points(new Histogram(3))[0]).isEmpty();
        Path png = dir.resolve("p.png");
        assertThat(PercentilePlot.write(png, "t", List.of("a"), List.of(uniform(5)))).isFalse();
        assertThat(png).doesNotExist();
        assertThat(PercentilePlot.write(png, "t", List.of("a", "b"), List.of(uniform(5), uniform(2000)))).isTrue();
        assertThat(Files.size(png)).isPositive();
    }
}
