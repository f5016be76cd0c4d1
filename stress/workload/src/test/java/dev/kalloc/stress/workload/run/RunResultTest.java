// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class RunResultTest {
    public static RunResult sample(String guarantee, boolean deadlocked, long mismatches) {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("hog_dirty_pages", 123L);
        counters.put("flushed_pages", 45L);
        counters.put("ops.write", 4L); // what ReportTest's synthetic log holds for the run that is not deadlocked
        return new RunResult("writeback", guarantee, 1, 42, 1000, 2.5, 2.51, 2500, 2500, 3, 1, deadlocked,
                deadlocked ? List.of("phase load", "w0 [WAITING] a wait queue\twith a tab, 100% stuck") : List.of(),
                4096 * 10, mismatches, mismatches > 0 ? List.of("page 3: bad") : List.of(), 1536.5, 512.25, "", counters,
                List.of("write"));
    }

    @Test
    void encodeThenDecodeGivesTheSameResult() {
        RunResult r = sample("none", true, 2);
        RunResult back = RunResult.decode(r.encode());
        assertThat(back).isEqualTo(r);
        assertThat(r.encode()).doesNotContain("\n").startsWith(RunResult.MARK + "\t");
    }

    @Test
    void escapingSurvivesPercentTabsAndNewlines() {
        String s = "100% \t done\r\n%09 literally";
        assertThat(RunResult.unescape(RunResult.escape(s))).isEqualTo(s);
        assertThat(RunResult.escape(s)).doesNotContain("\t").doesNotContain("\n").doesNotContain("\r");
    }

    @Test
    void malformedLinesAreRefusedByName() {
        assertThatThrownBy(() -> RunResult.decode("something else")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a kalloc-run line");
        assertThatThrownBy(() -> RunResult.decode(RunResult.MARK + "\tscenario=x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks field 'guarantee'");
        String bad = sample("none", false, 0).encode().replace("started=2500", "started=lots");
        assertThatThrownBy(() -> RunResult.decode(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'started' is not an integer");
        assertThatThrownBy(() -> RunResult.unescape("50%")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated escape");
    }

    @Test
    void onlyGuaranteesThatPromiseProgressFailTheCommand() {
        assertThat(sample("none", true, 5).failsCommand()).isFalse();
        assertThat(sample("mempool-2.5.1", true, 0).failsCommand()).isTrue();
        assertThat(sample("reservation", false, 1).failsCommand()).isTrue();
        assertThat(sample("mempool-modern", false, 0).failsCommand()).isFalse();
        assertThat(sample("none", true, 0).outcome()).isEqualTo("DEADLOCK");
        assertThat(sample("none", false, 1).outcome()).isEqualTo("MISMATCH");
        assertThat(sample("none", false, 0).outcome()).as("3 operations failed").isEqualTo("failures");
    }

    @Test
    void throughputIsCompletedOverLoadTime() {
        assertThat(sample("none", false, 0).throughput()).isCloseTo(2500 / 2.51, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aRunThatKeptUpShowsTheOfferedRateNotMore() {
        // 200 operations offered at 500/s over 400ms, all done by 398.3ms: the last one was
        // intended at 398ms. Over the load time alone that is 502.1/s, shown as "502 of 500".
        RunResult kept = new RunResult("bounce", "mempool-modern", 1, 1, 500, 0.4, 0.3983, 200, 200, 0, 0, false,
                List.of(), 0, 0, List.of(), 0, 0, "", Map.of(), List.of("write"));
        assertThat(kept.goodput()).isEqualTo(500.0);
        assertThat(kept.throughput()).isEqualTo(500.0);
        // 1000/s over 1s, the case first seen as "done/s 1001 of 1000": a rate shown never rounds above its target.
        RunResult thousand = new RunResult("bounce", "none", 1, 1, 1000, 1.0, 0.99935, 1000, 1000, 0, 0, false,
                List.of(), 0, 0, List.of(), 0, 0, "", Map.of(), List.of("write"));
        assertThat(String.format(java.util.Locale.ROOT, "%.0f", thousand.goodput())).isEqualTo("1000");
        // Failures lower it; a run that fell behind (its drain outlasting the schedule) keeps its own time.
        RunResult failing = new RunResult("bounce", "none", 1, 1, 500, 0.4, 0.3983, 200, 200, 50, 0, false,
                List.of(), 0, 0, List.of(), 0, 0, "", Map.of(), List.of("write"));
        assertThat(failing.goodput()).isEqualTo(375.0);
        RunResult behind = new RunResult("bounce", "none", 1, 1, 500, 0.4, 0.8, 200, 200, 0, 0, false,
                List.of(), 0, 0, List.of(), 0, 0, "", Map.of(), List.of("write"));
        assertThat(behind.goodput()).isEqualTo(250.0);
    }
}
