// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.SpinLock;
import dev.kalloc.stress.schedules.Threads;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * {@link SpinLock}'s park path, schedule by schedule, in the two cases jcstress cannot reach on
 * the 2-CPU machine. Three threads: jcstress gives each actor a CPU of its own and will not run
 * three; yet more threads than CPUs is where a spinlock has to park, and then the waiter list
 * holds two nodes, an unlock wakes one and leaves the other queued, a woken waiter loses to a
 * newcomer and queues again. And an unlock landing at each point of a waiter's way into the
 * park: jcstress runs a termination test's actor and signal on one CPU, where that happens only
 * when the scheduler preempts the waiter there.
 *
 * <p>Invariant, for every schedule: every thread returns (a waiter left parked with every other
 * thread finished is a deadlock, which Fray reports: a lost wake-up needs no timeout to be seen);
 * the plain counter the threads increment under the lock ends at the exact total (no two were in
 * at once, and each unlock published what the next holder read); at the end the lock is free and
 * no waiter is queued.
 *
 * <p>Schedules explored: 300 + 300 + 200 + 200 (the {@code iterations} below).
 */
@ExtendWith(FrayTestExtension.class)
class SpinLockScheduleTest {
    private static final int ROUNDS = 2;

    /** No spins: every thread that finds the lock held queues and parks at once. */
    @ConcurrencyTest(iterations = 300)
    void threeThreadsParking() {
        threeThreads(new SpinLock(0));
    }

    /**
     * Two spins: a waiter may get the lock while it spins or queue after them, and the schedules
     * mix both. (The default 128 spins only make each schedule longer: under Fray every read of
     * the lock word is a scheduling point.)
     */
    @ConcurrencyTest(iterations = 300)
    void threeThreadsSpinningThenParking() {
        threeThreads(new SpinLock(2));
    }

    /**
     * The main thread holds the lock while another arrives; the unlock lands anywhere on the
     * waiter's way: before its first CAS, between that and its queueing CAS (which then finds the
     * lock free), while it links itself (the unlock waits for the list bit), before its park
     * (the unpark leaves a permit) or after it.
     */
    @ConcurrencyTest(iterations = 200)
    void unlockRacesAWaiterOnItsWayToPark() throws InterruptedException {
        SpinLock lock = new SpinLock(0);
        Counter c = new Counter(lock);
        lock.lock();
        Thread a = new Thread(c::bump);
        a.start();
        lock.unlock();
        a.join();
        assertQuiescent(lock, c, 1);
    }

    /**
     * The main thread holds the lock while two others arrive and queue; one unlock must let both
     * through, one after the other, each woken by the unlock before it.
     */
    @ConcurrencyTest(iterations = 200)
    void oneUnlockLetsTwoQueuedWaitersThrough() throws InterruptedException {
        SpinLock lock = new SpinLock(0);
        Counter c = new Counter(lock);
        lock.lock();
        Thread a = new Thread(c::bump);
        Thread b = new Thread(c::bump);
        a.start();
        b.start();
        lock.unlock();
        a.join();
        b.join();
        assertQuiescent(lock, c, 2);
    }

    private static void threeThreads(SpinLock lock) {
        Counter c = new Counter(lock);
        Runnable actor = () -> {
            for (int i = 0; i < ROUNDS; i++) {
                c.bump();
            }
        };
        Threads.runAll(actor, actor, actor);
        assertQuiescent(lock, c, 3 * ROUNDS);
    }

    private static void assertQuiescent(SpinLock lock, Counter c, int bumps) {
        assertThat(c.count).as("count after %d bumps under %s", bumps, lock).isEqualTo(bumps);
        assertThat(lock.isLocked()).as("%s still held", lock).isFalse();
        assertThat(lock.hasParkedWaiters()).as("%s still shows waiters", lock).isFalse();
    }

    /** A plain counter, incremented by a read and a write under the lock. */
    private static final class Counter {
        private final SpinLock lock;
        private int count;

        Counter(SpinLock lock) {
            this.lock = lock;
        }

        void bump() {
            lock.lock();
            try {
                int n = count;
                count = n + 1;
            } finally {
                lock.unlock();
            }
        }
    }
}
