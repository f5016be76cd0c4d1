// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog, alone and on a run whose operation never completes. */
class WatchdogTest {
    @TempDir
    Path dir;

    @Test
    void firesOnceWhenNothingMoves() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong calls = new AtomicLong();
        Watchdog w = new Watchdog("t", () -> 7, Duration.ofMillis(100), () -> {
            calls.incrementAndGet();
            fired.countDown();
        }).start();
        fired.await();
        w.join();
        assertThat(w.fired()).isTrue();
        assertThat(calls.get()).isEqualTo(1);
    }

    @Test
    void aRunThatEndsFirstIsNotDeclaredDeadlocked() throws Exception {
        Watchdog w = new Watchdog("t", () -> 0, Duration.ofSeconds(60), () -> {
            throw new AssertionError("must not fire");
        }).start();
        w.runEnded();
        w.join();
        assertThat(w.fired()).isFalse();
    }

    /** A scenario whose single operation waits for a latch nobody opens. */
    private static final class StuckScenario implements Scenario {
        final CountDownLatch never = new CountDownLatch(1);

        @Override
        public String name() {
            return "stuck";
        }

        @Override
        public String summary() {
            return "an operation that never ends";
        }

        @Override
        public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
            RunMetrics.OpType op = ops.opType("hang");
            return new Prepared() {
                @Override
                public void applyPressure(boolean takeAll) {
                }

                @Override
                public void issue(long index, long intendedNanos) throws InterruptedException {
                    op.begin();
                    never.await();
                    op.record(intendedNanos, true);
                }

                @Override
                public void abandon(long index, long intendedNanos) {
                    op.begin();
                    op.record(intendedNanos, false);
                }

                @Override
                public Verification finish() {
                    return new Verification(0, 0, List.of());
                }

                @Override
                public Map<String, Long> counters() {
                    return Map.of("stuck_ops", 1L);
                }
            };
        }
    }

    @Test
    void aStuckRunIsMarkedDeadlockedWithWhereItsThreadsWaitAndTornDown() throws Exception {
        RunConfig config = new RunConfig(List.of("writeback"), List.of(GuaranteeKind.MEMPOOL_2_5_1), Duration.ofSeconds(30),
                1, 1, 16, 1, 1, 0, 0, 1, 0, 1, Duration.ofMillis(300), Duration.ofMillis(100), Duration.ZERO, false, false,
                0, Duration.ZERO, dir).validate();
        StuckScenario stuck = new StuckScenario();
        RunResult r;
        try (LatencyLog log = new LatencyLog(dir.resolve(Campaign.LOG), System.currentTimeMillis(), "test")) {
            r = new RunExecutor(config, stuck, GuaranteeKind.MEMPOOL_2_5_1, 1, 1, log, null).execute(() -> { });
        }
        assertThat(r.deadlocked()).isTrue();
        assertThat(r.outcome()).isEqualTo("DEADLOCK");
        assertThat(r.failsCommand()).as("mempool promises progress").isTrue();
        assertThat(r.completed()).isZero();
        assertThat(r.started()).isEqualTo(1);
        assertThat(r.waitSites()).anyMatch(l -> l.startsWith("phase load"));
        assertThat(r.waitSites()).anyMatch(l -> l.startsWith("load-stuck.mempool-2.5.1.t1-w0 [WAITING]")
                && l.contains("issue"));
        assertThat(r.counters()).containsEntry("stuck_ops", 1L);
        RunLog back = RunLog.read(dir.resolve(Campaign.LOG));
        assertThat(back.runs()).containsExactly(r);
    }
}
