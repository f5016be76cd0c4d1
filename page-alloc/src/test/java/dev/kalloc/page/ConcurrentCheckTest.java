// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Zone#checkInvariants()} while other threads allocate and free through the per-CPU lists
 * (which take a per-CPU lock, then the zone lock): the check takes the same locks in the same
 * order, so it neither deadlocks against them nor sees a half-done operation.
 */
class ConcurrentCheckTest {

    @Test
    void zoneChecksRaceAllocationsWithoutDeadlockOrFalseAlarm() throws Exception {
        try (Machine m = Machine.boot(TinyMachines.threeZones().cpus(2).build())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int cpu = i;
                threads.add(daemon("allocator-" + i, () -> {
                    m.bindCurrentThread(cpu);
                    List<Page> held = new ArrayList<>();
                    for (int n = 0; !stop.get(); n++) {
                        if (held.size() < 30 && n % 3 != 2) {
                            Page p = m.pageAlloc().allocPage(n % 4 == 0 ? Gfp.GFP_ATOMIC | Gfp.__GFP_COLD : Gfp.GFP_ATOMIC);
                            if (p != null) {
                                held.add(p);
                            }
                        } else if (!held.isEmpty()) {
                            m.pageAlloc().freePage(held.remove(held.size() - 1));
                        }
                    }
                    held.forEach(m.pageAlloc()::freePage);
                }, failure));
            }
            Thread checker = daemon("checker", () -> {
                for (int i = 0; i < 300; i++) {
                    for (Zone z : m.zones()) {
                        z.checkInvariants();
                    }
                }
            }, failure);
            threads.forEach(Thread::start);
            checker.start();
            checker.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(checker.isAlive()).as("checker finished (no lock-order deadlock)").isFalse();
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(failure.get()).isNull();
            m.checkInvariants();
        }
    }

    private static Thread daemon(String name, Runnable body, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }, name);
        t.setDaemon(true);
        return t;
    }
}
