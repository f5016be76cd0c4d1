// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-thread counters: exact totals over threads that share a CPU id, end, or move. */
class TaskCountersTest {
    private final Machine machine = Machine.boot(MachineConfig.builder().memory(16L << 20).cpus(2).kswapd(false).build());
    private final TaskCounters counters = machine.counters();

    @AfterEach
    void close() {
        machine.close();
    }

    @Test
    void slotsAreConsecutiveAndNeverShared() {
        int a = counters.allocate(2);
        int b = counters.allocate(1);
        assertThat(b).isEqualTo(a + 2);
        machine.current().count(a + 1);
        assertThat(counters.sum(a)).isZero();
        assertThat(counters.sum(a + 1)).isEqualTo(1);
        assertThat(counters.sum(b)).isZero();
    }

    @Test
    void badSlotsAndSizesAreRefusedWithNothingCounted() {
        int a = counters.allocate(1);
        assertThatThrownBy(() -> counters.allocate(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> counters.sum(a + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never allocated");
        assertThatThrownBy(() -> machine.current().count(a + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never allocated");
        assertThatThrownBy(() -> counters.sum(0)).isInstanceOf(IllegalArgumentException.class);
        machine.current().count(a); // the thread has cells now: padding and negatives must still be refused
        assertThatThrownBy(() -> machine.current().count(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> machine.current().count(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> machine.current().count(TaskCounters.PAD - 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(counters.sum(a)).isEqualTo(1);
        assertThat(counters.allocate(1)).isEqualTo(a + 1);
    }

    /** Four threads on two CPU ids: a per-CPU plain add would lose counts here, a per-thread one must not. */
    @Test
    void threadsSharingACpuIdLoseNoCount() throws Exception {
        int slot = counters.allocate(1);
        int perThread = 200_000;
        CyclicBarrier start = new CyclicBarrier(4);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int cpu = i % 2;
            Thread t = new Thread(() -> {
                Task task = machine.bindCurrentThread(cpu);
                await(start);
                for (int n = 0; n < perThread; n++) {
                    task.count(slot);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(counters.sum(slot)).isEqualTo(4L * perThread);
    }

    @Test
    void endedThreadsAreFoldedAndTheirCountsKept() throws Exception {
        int slot = counters.allocate(1);
        for (int round = 0; round < 50; round++) {
            Thread t = new Thread(() -> {
                for (int n = 0; n < 10; n++) {
                    machine.current().count(slot);
                }
            });
            t.start();
            t.join();
        }
        assertThat(counters.sum(slot)).isEqualTo(500);
        // Every ended thread's area was folded by that sum: none pile up.
        assertThat(counters.liveAreas()).isZero();
        machine.current().count(slot);
        assertThat(counters.sum(slot)).isEqualTo(501);
        assertThat(counters.liveAreas()).isEqualTo(1);
    }

    @Test
    void aRebindKeepsTheThreadsCounts() {
        int slot = counters.allocate(1);
        Task before = machine.bindCurrentThread(0);
        before.count(slot);
        Task after = machine.bindCurrentThread(1);
        assertThat(after).isNotSameAs(before);
        after.count(slot);
        assertThat(counters.sum(slot)).isEqualTo(2);
        assertThat(counters.liveAreas()).isEqualTo(1);
    }

    /**
     * A thread that keeps counting through the task a rebind replaced loses nothing, even when
     * the cells grow on either side afterwards.
     */
    @Test
    void theReplacedTaskStillCountsAfterEitherSideGrows() {
        int slot = counters.allocate(1);
        Task old = machine.bindCurrentThread(0);
        old.count(slot);
        Task now = machine.bindCurrentThread(1);
        int later = counters.allocate(50);
        now.count(later + 49); // grows the new task's cells
        old.count(slot);       // the old task counts on: into an area of its own
        now.count(slot);
        old.count(later);      // and grows that one
        assertThat(counters.sum(slot)).isEqualTo(3);
        assertThat(counters.sum(later + 49)).isEqualTo(1);
        assertThat(counters.sum(later)).isEqualTo(1);
    }

    /** A slot allocated after a thread's area was made grows the area; the old counts stay. */
    @Test
    void slotsAllocatedLaterGrowTheArea() {
        int first = counters.allocate(1);
        machine.current().count(first);
        int later = counters.allocate(100);
        machine.current().count(later + 99);
        machine.current().count(first);
        assertThat(counters.sum(first)).isEqualTo(2);
        assertThat(counters.sum(later + 99)).isEqualTo(1);
    }

    /** A reader racing with counting threads never sees a count go down or exceed what was counted. */
    @Test
    void sumsUnderTrafficAreMonotonicAndBounded() throws Exception {
        int slot = counters.allocate(1);
        int perThread = 300_000;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread t = new Thread(() -> {
                Task task = machine.current();
                for (int n = 0; n < perThread; n++) {
                    task.count(slot);
                }
            });
            threads.add(t);
            t.start();
        }
        long last = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long s = counters.sum(slot);
            assertThat(s).isBetween(last, 2L * perThread);
            last = s;
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(counters.sum(slot)).isEqualTo(2L * perThread);
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
