// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --free}: the pressure leaves that share of the memory free after set-up and takes the
 * rest, in every scenario; at 0% it takes all the allocator gives (the default run's pressure).
 * The raid1 scenario, on none, fails with memory full and goes through with some left free.
 */
class PressureFloorTest {
    @TempDir
    Path dir;

    private List<RunResult> run(String scenario, GuaranteeKind g, double free, String name) throws Exception {
        RunConfig config = new RunConfig(List.of(scenario), List.of(g), Duration.ofMillis(300), 1, 1000, 32, 2, 3, 0, 0, 1,
                0, 2, Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofNanos(50_000), false, false, free,
                Duration.ZERO, dir.resolve(name)).validate();
        return new Campaign(config, Scenarios::byName, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void eachScenarioLeavesTheShareAskedFor() throws Exception {
        for (String s : List.of("writeback", "bounce", "raid1", "mixed")) {
            RunResult r = run(s, GuaranteeKind.MEMPOOL_MODERN, 20, s).get(0);
            long before = r.counters().get(RunExecutor.PRESSURE_FREE_BEFORE);
            long floor = r.counters().get(RunExecutor.PRESSURE_FLOOR);
            long atLoad = r.counters().get(RunExecutor.PRESSURE_FREE_AT_LOAD);
            assertThat(floor).as(s).isEqualTo(Math.round(before * 0.2));
            // The fills stop at the floor, one page past it at most per fill.
            assertThat(atLoad).as(s).isBetween(floor - 2, floor + 2);
            assertThat(r.outcome()).as(s).isEqualTo("ok");
        }
    }

    @Test
    void atZeroThePressureTakesAllAndRaid1OnNoneFails() throws Exception {
        RunResult full = run("raid1", GuaranteeKind.NONE, 0, "full").get(0);
        assertThat(full.counters().get(RunExecutor.PRESSURE_FLOOR)).isZero();
        assertThat(full.counters().get(RunExecutor.PRESSURE_FREE_AT_LOAD))
                .isLessThan(full.counters().get(RunExecutor.PRESSURE_FREE_BEFORE) / 50);
        assertThat(full.failed()).isPositive();
        RunResult room = run("raid1", GuaranteeKind.NONE, 20, "room").get(0);
        assertThat(room.outcome()).isEqualTo("ok");
        assertThat(room.counters()).containsEntry("spare_in_sync", 1L);
        RunResult guaranteed = run("raid1", GuaranteeKind.MEMPOOL_MODERN, 0, "guaranteed").get(0);
        assertThat(guaranteed.outcome()).isEqualTo("ok");
        assertThat(guaranteed.counters()).containsEntry("spare_in_sync", 1L).containsEntry("resync_buffers_at_setup", 1L);
    }
}
