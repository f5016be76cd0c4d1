// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The spinlock's behaviour one test at a time: try-lock, reentry, release by a non-holder,
 * exclusion under contention, the park path (woken, not interruptible) and the claim that a
 * contended acquisition allocates nothing. jcstress (page.SpinLock*) checks the races.
 */
class SpinLockTest {
    private static final long TIMEOUT_MS = 10_000;

    @Test
    void lockUnlockAndTryLock() {
        SpinLock l = new SpinLock();
        assertThat(l.isLocked()).isFalse();
        assertThat(l.holderId()).isEqualTo(-1);
        assertThat(l).hasToString("SpinLock@" + Integer.toHexString(System.identityHashCode(l)) + " (free)");
        l.lock();
        assertThat(l.isLocked()).isTrue();
        assertThat(l.holderId()).isEqualTo(Thread.currentThread().getId());
        assertThat(l.toString()).endsWith(" (held by thread id " + Thread.currentThread().getId() + ")");
        assertThat(l.tryLock()).isFalse();
        l.unlock();
        assertThat(l.tryLock()).isTrue();
        assertThat(l.holderId()).isEqualTo(Thread.currentThread().getId());
        l.unlock();
        assertThat(l.isLocked()).isFalse();
        assertThat(l.holderId()).isEqualTo(-1);
    }

    @Test
    void negativeSpinsAreRefused() {
        assertThatThrownBy(() -> new SpinLock(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void takingItTwiceIsAnErrorNotAHang() {
        SpinLock l = new SpinLock();
        l.lock();
        assertThatThrownBy(l::lock).isInstanceOf(IllegalStateException.class).hasMessageContaining("not reentrant")
                .hasMessageContaining("SpinLock@").hasMessageContaining(Thread.currentThread().getName());
        assertThat(l.isLocked()).isTrue();
        assertThat(l.holderId()).isEqualTo(Thread.currentThread().getId());
        l.unlock();
        assertThat(l.isLocked()).isFalse();
        l.lock(); // the failed attempt left nothing behind
        l.unlock();
    }

    /** With assertions on (as here), releasing a lock another thread holds is caught. */
    @Test
    void unlockByANonHolderIsCaughtWithAssertions() throws InterruptedException {
        SpinLock l = new SpinLock();
        l.lock();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                l.unlock();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        other.start();
        other.join();
        assertThat(thrown.get()).isInstanceOf(AssertionError.class).hasMessageContaining("does not hold it");
        assertThat(l.holderId()).isEqualTo(Thread.currentThread().getId());
        l.unlock();
        assertThatThrownBy(l::unlock).isInstanceOf(AssertionError.class).hasMessageContaining("does not hold it");
        assertThat(l.isLocked()).isFalse();
    }

    /**
     * Neither check depends on assertions: this run has them on, so the lock is loaded again by
     * a loader that has them off, and a retake and a release of a free lock are made there.
     */
    @Test
    void misuseIsAnErrorWithAssertionsOff() throws Exception {
        URL main = SpinLock.class.getProtectionDomain().getCodeSource().getLocation();
        URL test = Misuse.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {main, test}, ClassLoader.getPlatformClassLoader())) {
            loader.clearAssertionStatus();
            loader.setDefaultAssertionStatus(false);
            Class<?> lockClass = Class.forName(SpinLock.class.getName(), false, loader);
            assertThat(lockClass).isNotSameAs(SpinLock.class);
            assertThat(lockClass.desiredAssertionStatus()).as("assertions in the reloaded lock").isFalse();
            @SuppressWarnings("unchecked")
            Callable<String> misuse = (Callable<String>) Class.forName(Misuse.class.getName(), true, loader)
                    .getDeclaredConstructor().newInstance();
            assertThat(misuse.call()).isEqualTo("retake: not reentrant; unlock of a free lock: does not hold it");
        }
    }

    /** Retakes its lock, then releases it twice; loaded by {@link #misuseIsAnErrorWithAssertionsOff}. */
    public static final class Misuse implements Callable<String> {
        @Override
        public String call() {
            SpinLock l = new SpinLock();
            String retake;
            l.lock();
            try {
                l.lock();
                retake = "the second lock() returned";
            } catch (IllegalStateException e) {
                retake = e.getMessage().contains("not reentrant") ? "not reentrant" : e.getMessage();
            } finally {
                l.unlock();
            }
            String unlock;
            try {
                l.unlock();
                unlock = "the second unlock() returned";
            } catch (IllegalStateException e) {
                unlock = e.getMessage().contains("does not hold it") ? "does not hold it" : e.getMessage();
            }
            return "retake: " + retake + "; unlock of a free lock: " + unlock;
        }
    }

    /**
     * Four threads (twice the cores of the benchmark machine, so holders are descheduled) add
     * to a plain counter under the lock: no update is lost, with the default spins and with
     * every contended acquisition parking.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, SpinLock.SPINS})
    void exclusionUnderContention(int spins) throws Exception {
        SpinLock l = new SpinLock(spins);
        int threads = 4;
        int perThread = 50_000;
        int[] counter = new int[1];
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        l.lock();
                        try {
                            counter[0]++;
                        } finally {
                            l.unlock();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(TIMEOUT_MS);
            assertThat(w.isAlive()).as("a worker still running after %d ms", TIMEOUT_MS).isFalse();
        }
        assertThat(failure.get()).isNull();
        l.lock();
        try {
            assertThat(counter[0]).isEqualTo(threads * perThread);
        } finally {
            l.unlock();
        }
        assertThat(l.isLocked()).isFalse();
        assertThat(l.hasParkedWaiters()).isFalse();
    }

    /** A waiter that parked (Thread state WAITING) is woken by the unlock and gets the lock. */
    @Test
    void aParkedWaiterIsWokenByUnlock() throws Exception {
        SpinLock l = new SpinLock();
        l.lock();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                l.lock();
                result.set(l.holderId());
                l.unlock();
            } catch (Throwable e) {
                result.set(e);
            }
        });
        waiter.start();
        awaitParked(waiter, l);
        assertThat(l.toString()).endsWith(", waiters parked)");
        l.unlock();
        waiter.join(TIMEOUT_MS);
        assertThat(waiter.isAlive()).as("waiter still waiting after the unlock").isFalse();
        assertThat(result.get()).isEqualTo(waiter.getId());
        assertThat(l.isLocked()).isFalse();
        assertThat(l.hasParkedWaiters()).isFalse();
    }

    /**
     * Three parked waiters and one unlock: each unlock wakes the next (first parked first), so
     * all three get through, one at a time, with no further help.
     */
    @Test
    void everyParkedWaiterGetsThrough() throws Exception {
        SpinLock l = new SpinLock(0);
        l.lock();
        List<Long> order = new ArrayList<>();
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread w = new Thread(() -> {
                l.lock();
                try {
                    order.add(Thread.currentThread().getId());
                } finally {
                    l.unlock();
                }
            });
            w.start();
            awaitParked(w, l);
            waiters.add(w);
        }
        l.unlock();
        for (Thread w : waiters) {
            w.join(TIMEOUT_MS);
            assertThat(w.isAlive()).as("a waiter still parked").isFalse();
        }
        l.lock();
        try {
            assertThat(order).containsExactly(waiters.get(0).getId(), waiters.get(1).getId(), waiters.get(2).getId());
        } finally {
            l.unlock();
        }
        assertThat(l.hasParkedWaiters()).isFalse();
    }

    /**
     * {@code spin_lock} cannot be interrupted: an interrupted waiter parks again, returns only
     * with the lock, and finds its interrupt status set.
     */
    @Test
    void anInterruptDoesNotEndTheWait() throws Exception {
        SpinLock l = new SpinLock();
        l.lock();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                l.lock();
                result.set(l.holderId() + " interrupted=" + Thread.currentThread().isInterrupted());
                l.unlock();
            } catch (Throwable e) {
                result.set(e);
            }
        });
        waiter.start();
        awaitParked(waiter, l);
        waiter.interrupt();
        waiter.join(200); // a wait for something that must not happen: it must still be waiting
        assertThat(waiter.isAlive()).as("the waiter returned while the lock was held").isTrue();
        assertThat(result.get()).isNull();
        awaitParked(waiter, l);
        l.unlock();
        waiter.join(TIMEOUT_MS);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(result.get()).isEqualTo(waiter.getId() + " interrupted=true");
    }

    /**
     * The contended path allocates nothing once each thread has parked once: two threads take
     * the lock in turn, so that nearly every acquisition finds it held and parks (spins 0), and each
     * thread's allocated bytes are read around thousands of them. The warm-up is long enough to
     * take the JIT's one-time work out of the measurement: after a warm-up of 1,000, one
     * thread's measured loop allocated 456 to 784 bytes once, whatever the loop's length (1,000
     * to 12,000), and nothing when run interpreted ({@code -Xint}).
     * AQS ({@code ReentrantLock}) fails this: it allocates a queue node each time a thread
     * queues (checked by running this test on one: 95,744 bytes for a thread's 2,992 contended
     * acquisitions, 32 a time).
     */
    @Test
    void contendedAcquisitionsAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(mx.isThreadAllocatedMemorySupported()).isTrue();
        mx.setThreadAllocatedMemoryEnabled(true);
        SpinLock l = new SpinLock(0);
        AtomicLong taken = new AtomicLong();
        int threads = 2;
        int measured = 3_000;
        long[] contended = new long[threads];
        long[] allocated = new long[threads];
        CyclicBarrier phase = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    phase.await();
                    takeInTurns(l, taken, 3_000); // warm-up: the node, the JIT, the ThreadLocal map
                    mx.getCurrentThreadAllocatedBytes();
                    phase.await();
                    long before = mx.getCurrentThreadAllocatedBytes();
                    long n = takeInTurns(l, taken, measured);
                    long after = mx.getCurrentThreadAllocatedBytes();
                    contended[id] = n;
                    allocated[id] = after - before;
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(4 * TIMEOUT_MS);
            assertThat(w.isAlive()).as("a worker still running").isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(contended[0] + contended[1]).as("contended acquisitions of %d measured", threads * measured)
                .isGreaterThanOrEqualTo(1_000);
        for (int t = 0; t < threads; t++) {
            assertThat(allocated[t]).as("bytes allocated by thread %d over its measured loop (%d contended)", t,
                    contended[t]).isLessThan(1024);
        }
    }

    /**
     * Takes the lock {@code n} times in turn with the other thread, so that every acquisition but
     * the first few finds the lock held, whatever the machine's load: a holder keeps the lock
     * until the other thread is parked on it (or 100 ms have passed: the other may have finished
     * its loop), and after its unlock waits, yielding, until the other has taken the lock before
     * it tries again. So the next {@code lock()} comes while the other holds the lock and waits
     * for this thread to park. (A hold of a fixed time instead left the count at 0 when the
     * machine ran one thread at a time: the other thread came back only after the holder had
     * let go.)
     *
     * @return how many acquisitions found the lock held
     */
    private static long takeInTurns(SpinLock l, AtomicLong taken, int n) {
        long contended = 0;
        for (int i = 0; i < n; i++) {
            if (!l.tryLock()) {
                contended++;
                l.lock();
            }
            long mine;
            try {
                mine = taken.incrementAndGet();
                long deadline = System.nanoTime() + 100_000_000;
                while (!l.hasParkedWaiters() && System.nanoTime() - deadline < 0) {
                    Thread.yield();
                }
            } finally {
                l.unlock();
            }
            long deadline = System.nanoTime() + 100_000_000;
            while (taken.get() == mine && System.nanoTime() - deadline < 0) {
                Thread.yield();
            }
        }
        return contended;
    }

    /** Waits until {@code t} is parked (WAITING) with {@code l} showing a parked waiter. */
    private static void awaitParked(Thread t, SpinLock l) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (t.getState() != Thread.State.WAITING || !l.hasParkedWaiters()) {
            assertThat(System.nanoTime() - deadline).as("%s never parked on %s", t.getName(), l).isNegative();
            Thread.sleep(1);
        }
    }
}
