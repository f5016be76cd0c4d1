// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.tests.TinyMachines;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Machine#current()}'s table of tasks by thread id: it finds the caller's own task, never
 * another thread's, and it keeps nothing of a thread that has ended.
 */
class TaskTableTest {

    /**
     * A thread that called in and bound itself, then ended: the machine, still open and
     * referenced, must not keep that thread reachable. Not timed: the collector is asked until
     * the reference clears, a bounded number of times; a full collection clears a weakly
     * reachable referent, so one normally suffices.
     */
    @Test
    void aDeadThreadIsNotKeptReachableByTheMachine() throws InterruptedException {
        try (Machine m = Machine.boot(TinyMachines.threeZones().build())) {
            m.current();
            WeakReference<Thread> thread = runAndForget(m);
            for (int i = 0; i < 50 && thread.get() != null; i++) {
                System.gc();
                Thread.sleep(0, 1); // lets the reference handler run; not a wait for anything timed
            }
            assertThat(thread.get()).as("the dead thread").isNull();
            // The machine still finds the live caller.
            assertThat(m.current()).isSameAs(m.current());
        }
    }

    /** Runs a thread that binds and calls in; returns a weak reference to it. */
    private WeakReference<Thread> runAndForget(Machine m) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Task task = m.bindCurrentThread(1);
                if (m.current() != task) {
                    throw new AssertionError("current() is not the bound task");
                }
                m.pageAlloc().freePage(m.pageAlloc().allocPage(Gfp.GFP_KERNEL));
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "binds-and-dies");
        t.start();
        t.join();
        assertThat(failure.get()).isNull();
        return new WeakReference<>(t);
    }

    @Test
    void closeEmptiesTheTable() throws InterruptedException {
        Machine m = Machine.boot(TinyMachines.threeZones().build());
        List<Thread> threads = new ArrayList<>();
        Object gate = new Object();
        boolean[] release = {false};
        for (int i = 0; i < 3; i++) {
            // Alive until after close(), so only close() can empty their slots.
            Thread t = new Thread(() -> {
                m.current();
                synchronized (gate) {
                    while (!release[0]) {
                        try {
                            gate.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        m.current();
        while (((Smp) m).tasksInTable() < 4) {
            Thread.onSpinWait(); // the threads' first calls; each fills its slot before it waits
        }
        m.close();
        assertThat(((Smp) m).tasksInTable()).isZero();
        // Still usable: the ThreadLocal is the truth, and the caller's slot fills again.
        Task t = m.current();
        assertThat(m.current()).isSameAs(t);
        assertThat(((Smp) m).tasksInTable()).isEqualTo(1);
        synchronized (gate) {
            release[0] = true;
            gate.notifyAll();
        }
        for (Thread th : threads) {
            th.join();
        }
    }

    /**
     * A thread that claims another thread's id never gets that thread's task, and never takes
     * a slot: its id is not trusted.
     */
    @Test
    void aThreadLyingAboutItsIdGetsItsOwnTask() throws InterruptedException {
        try (Machine m = Machine.boot(TinyMachines.threeZones().build())) {
            Task mine = m.bindCurrentThread(0);
            long myId = Thread.currentThread().getId();
            AtomicReference<Task> seen = new AtomicReference<>();
            Thread liar = new Thread(() -> {
                m.bindCurrentThread(1);
                seen.set(m.current());
            }) {
                @Override
                public long getId() {
                    return myId;
                }
            };
            liar.start();
            liar.join();
            assertThat(seen.get()).isNotNull().isNotSameAs(mine);
            assertThat(seen.get().cpu()).isEqualTo(1);
            assertThat(m.current()).isSameAs(mine);
            assertThat(((Smp) m).tasksInTable()).isEqualTo(1);
        }
    }
}
