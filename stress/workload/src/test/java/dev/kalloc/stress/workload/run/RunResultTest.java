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
}
