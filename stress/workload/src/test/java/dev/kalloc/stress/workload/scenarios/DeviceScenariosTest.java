// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.RunResult;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short campaigns of the bounce and raid1 scenarios: on a guarantee every I/O goes through,
 * bounced or mirrored, and every byte checks out; on none with low memory full the bounce I/O
 * fails for want of memory.
 */
class DeviceScenariosTest {
    @TempDir
    Path dir;

    private List<RunResult> campaign(String scenario, List<GuaranteeKind> kinds) throws Exception {
        RunConfig config = new RunConfig(List.of(scenario), kinds, Duration.ofMillis(600), 1, 400, 32, 2, 3, 0, 0, 1, 0, 2,
                Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofNanos(50_000), false, false, 0, Duration.ZERO,
                dir).validate();
        return new Campaign(config, Scenarios::byName, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8")).run();
    }

    @Test
    void bounceGoesThroughThePoolOnAGuaranteeAndFailsOnNone() throws Exception {
        List<RunResult> r = campaign("bounce", List.of(GuaranteeKind.MEMPOOL_2_5_1, GuaranteeKind.RESERVATION,
                GuaranteeKind.NONE));
        for (RunResult guarded : r.subList(0, 2)) {
            assertThat(guarded.outcome()).as(guarded.id()).isEqualTo("ok");
            assertThat(guarded.counters().get("pages_bounced")).as(guarded.id()).isEqualTo(guarded.completed());
            assertThat(guarded.counters().get("highmem_buffers")).isPositive();
            assertThat(guarded.counters().get("bounce_pages_in_use")).isZero();
            assertThat(guarded.bytesVerified()).isPositive();
            assertThat(guarded.idleBytes()).isPositive();
        }
        RunResult none = r.get(2);
        assertThat(none.failed()).isPositive();
        assertThat(none.failsCommand()).isFalse();
    }

    @Test
    void raid1SurvivesAMirrorFailureAndRecoversTheSpare() throws Exception {
        RunResult r = campaign("raid1", List.of(GuaranteeKind.MEMPOOL_MODERN)).get(0);
        assertThat(r.outcome()).isEqualTo("ok");
        // Two failures: r1m2's at set-up (the slot the spare recovers) and r1m1's under load.
        assertThat(r.counters()).containsEntry("md_disk_failures", 2L).containsEntry("md_resyncs_completed", 1L)
                .containsEntry("spare_in_sync", 1L).containsEntry("resync_buffers_at_setup", 1L);
        assertThat(r.counters().get("r1m1_writes")).as("r1m1 took writes until it failed").isPositive();
        assertThat(r.counters().get("r1m3_writes")).as("the spare was written by the recovery and the load").isPositive();
        assertThat(r.bytesVerified()).isPositive();
        assertThat(r.mismatches()).isZero();
    }
}
