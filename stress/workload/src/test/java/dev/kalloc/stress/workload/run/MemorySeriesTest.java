// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The memory series: its one-line encoding both ways, what decoding refuses, and the means. */
class MemorySeriesTest {

    private static MemorySample sample(long t, int free, int clean, long nominal, long effective, long inUse) {
        return new MemorySample(t, new int[] {free / 4, free - free / 4}, new int[] {0, clean}, new int[] {1, 2},
                new int[] {0, 64}, nominal, effective, inUse);
    }

    private static MemorySeries randomSeries(int n, long seed) {
        Random r = new Random(seed);
        List<MemorySample> samples = new ArrayList<>();
        long t = -250;
        for (int i = 0; i < n; i++) {
            t += 95 + r.nextInt(10);
            samples.add(new MemorySample(t, new int[] {r.nextInt(256), r.nextInt(4000)},
                    new int[] {r.nextInt(10), r.nextInt(3000)}, new int[] {r.nextInt(5), r.nextInt(300)},
                    new int[] {0, r.nextInt(128)}, r.nextInt(1 << 20), r.nextInt(1 << 19), r.nextInt(300)));
        }
        return new MemorySeries(2, samples);
    }

    @Test
    void aSeriesSurvivesItsLine() {
        MemorySeries s = randomSeries(20, 1);
        String line = s.encode();
        assertThat(line).doesNotContain("\t", "\n", "\r", " ").startsWith("m1:2;");
        MemorySeries back = MemorySeries.decode(line);
        assertThat(back.zones()).isEqualTo(2);
        assertThat(back.samples()).containsExactlyElementsOf(s.samples());
        assertThat(back.encode()).isEqualTo(line);
    }

    @Test
    void thirtySecondsOfSamplesStayShortAndRoundTrip() {
        MemorySeries s = randomSeries(300, 2);
        String line = s.encode();
        assertThat(MemorySeries.decode(line).samples()).containsExactlyElementsOf(s.samples());
        assertThat(MemorySeries.decode(line).size()).isEqualTo(300);
        // A steady machine: only time moves, so each sample is "100" and zeros.
        List<MemorySample> steady = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            steady.add(sample(100L * i, 4000, 500, 262144, 0, 3));
        }
        String steadyLine = new MemorySeries(2, steady).encode();
        assertThat(steadyLine.length()).as("deltas keep a steady series short").isLessThan(300 * 32);
        assertThat(MemorySeries.decode(steadyLine).samples()).containsExactlyElementsOf(steady);
    }

    @Test
    void anEmptySeriesKeepsItsZoneCount() {
        MemorySeries empty = new MemorySeries(3, List.of());
        assertThat(empty.encode()).isEqualTo("m1:3");
        MemorySeries back = MemorySeries.decode("m1:3\r\n");
        assertThat(back.size()).isZero();
        assertThat(back.zones()).isEqualTo(3);
        assertThat(back.meanEffectivePriceBytes()).isZero();
        assertThat(back.meanNominalPriceBytes()).isZero();
    }

    @Test
    void meansAreTimeAveragesOverTheSamples() {
        MemorySeries s = new MemorySeries(2, List.of(sample(0, 10, 5, 4096, 0, 0), sample(100, 10, 5, 8192, 4096, 1),
                sample(200, 10, 5, 12288, 8192, 2), sample(300, 10, 5, 16384, 0, 0)));
        assertThat(s.meanNominalPriceBytes()).isCloseTo(10240, within(1e-9));
        assertThat(s.meanEffectivePriceBytes()).isCloseTo(3072, within(1e-9));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        // input | what the message must name
        "''| does not begin with 'm1:'",
        "m2:2| does not begin with 'm1:'",
        "m1:| no zone count",
        "m1:x| zone count is not a number",
        "m1:4| outside [1, 3]",
        "m1:2;| truncated",
        "m1:2;100,1,2,3| truncated",
        "m1:2;;100,1,2,3,4,5,6,7,8,0,0,0| sample 1 is empty",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0| has 11 fields, but 2 zones need 12",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0,0,0| has 13 fields",
        "m1:1;100,1,2,3,4,5,6,7,8,0,0,0| zone count mismatch",
        "m1:2;100,1,2,3,x,5,6,7,8,0,0,0| field clean[1] is not a number: 'x'",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0,0;100,0,0,0,0,0,0,0,0,0,0,1e3| field inUse is not a number",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0,0;100,-2,0,0,0,0,0,0,0,0,0,0| negative free page count",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0,0;-1,0,0,0,0,0,0,0,0,0,0,0| time goes back",
        "m1:2;100,1,2,3,4,5,6,7,8,0,0,9223372036854775807;0,0,0,0,0,0,0,0,0,0,0,1| field inUse overflows",
        "m1:2;100,4294967296,2,3,4,5,6,7,8,0,0,0| is not a page count",
        "m1:2;100,1,2,3\t,4,5,6,7,8,0,0,0| is not a number",
    })
    void malformedLinesAreRefusedSayingWhy(String line, String expected) {
        assertThatThrownBy(() -> MemorySeries.decode(line))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(expected.strip());
    }

    @Test
    void nullAndBadSeriesAreRefused() {
        assertThatThrownBy(() -> MemorySeries.decode(null)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> new MemorySeries(1, List.of(sample(0, 1, 1, 0, 0, 0))))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("covers 2 zones");
        assertThatThrownBy(() -> new MemorySeries(2, List.of(sample(5, 1, 1, 0, 0, 0), sample(4, 1, 1, 0, 0, 0))))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("time goes back");
    }

    @Test
    void samplesCopyTheirArrays() {
        int[] free = {1, 2};
        MemorySample s = new MemorySample(0, free, new int[2], new int[2], new int[2], 0, 0, 0);
        free[0] = 99;
        s.free()[1] = 99;
        assertThat(s.free()).containsExactly(1, 2);
        assertThatThrownBy(() -> new MemorySample(0, free, new int[3], new int[2], new int[2], 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 of clean");
    }
}
