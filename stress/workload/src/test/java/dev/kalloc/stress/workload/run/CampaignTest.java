// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.cli.CheckCommand;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short campaign of the writeback scenario on a small machine: the mempool run writes and
 * verifies every page, the run on none cannot write back (memory is full and it has no bios), and
 * the outputs read back.
 */
class CampaignTest {
    @TempDir
    Path dir;

    @Test
    void writebackCompletesOnAMempoolAndLosesDataOnNone() throws Exception {
        RunConfig config = new RunConfig(List.of("writeback"), List.of(GuaranteeKind.MEMPOOL_2_5_1, GuaranteeKind.NONE),
                Duration.ofMillis(300), 1, 500, 16, 2, 7, 0, 0, 1, 0, 2, Duration.ofSeconds(2), Duration.ofMillis(100),
                Duration.ofNanos(50_000), false, false, 0, Duration.ofMillis(100), dir).validate();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        List<RunResult> results = new Campaign(config, Scenarios::byName, new PrintStream(progress, true, "UTF-8")).run();
        assertThat(results).hasSize(2);
        RunResult mempool = results.get(0);
        // What the pool promises is the writeback path: every bio allocated, every dirty page
        // written, nothing lost. The writer's own page-cache allocation is not covered by any
        // guarantee, and on a loaded machine the page allocator may refuse one (the OOM policy
        // gives up), which shows as a failed operation, not as a broken guarantee.
        assertThat(mempool.outcome()).isIn("ok", "failures");
        assertThat(mempool.deadlocked()).isFalse();
        assertThat(mempool.mismatches()).isZero();
        assertThat(mempool.failsCommand()).isFalse();
        assertThat(mempool.counters()).containsEntry("writeback_no_bio", 0L).containsEntry("bio_alloc_failures", 0L)
                .containsEntry("writeback_io_errors", 0L).containsEntry("pages_lost", 0L);
        assertThat(mempool.failed()).isLessThan(150 / 10);
        assertThat(mempool.completed()).isEqualTo(150);
        assertThat(mempool.bytesVerified()).isGreaterThan(150L * 4096);
        assertThat(mempool.idleBytes()).isPositive();
        RunResult none = results.get(1);
        assertThat(none.outcome()).isIn("DEADLOCK", "MISMATCH");
        assertThat(none.failsCommand()).isFalse();
        assertThat(progress.toString("UTF-8")).contains("kalloc", "runs");

        RunLog log = RunLog.read(dir.resolve(Campaign.LOG));
        assertThat(log.runs()).containsExactlyElementsOf(results);
        Report report = new Report(log, dir);
        report.render();
        assertThat(report.failed()).isFalse();
        assertThat(CheckCommand.problems(log, dir)).isEmpty();
        assertThat(dir.resolve("proc").resolve("writeback.mempool-2.5.1.t1.start.txt")).isRegularFile();
        assertThat(dir.resolve("proc").resolve("writeback.mempool-2.5.1.t1.end.txt")).content()
                .contains("# /proc/buddyinfo", "# /proc/meminfo", "slabinfo - version: 1.1 (SMP)", "wb");
    }
}
