// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * {@code wait_queue_head_t} with the kernel's sleep/wake protocol (include/linux/wait.h,
 * kernel/sched.c): {@code prepare_to_wait}, test the condition, {@code schedule}, {@code
 * finish_wait}; wakers make the condition true and then call {@code wake_up}.
 *
 * <p>Usage, the shape every sleeper in kalloc follows:
 * <pre>{@code
 * WaitQueue.Entry wait = q.prepareToWait(true);   // exclusive: wake_up wakes one such waiter
 * try {
 *     if (!condition()) {                         // re-test after queueing: no lost wake-up
 *         q.schedule(wait);
 *     }
 * } finally {
 *     q.finishWait(wait);
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ol>
 *   <li>No lost wake-up: a waker that publishes the condition with a volatile write (or a lock
 *       release) and then calls {@link #wakeUp()} either is seen by the sleeper's re-test or
 *       finds the sleeper queued and wakes it. The queue length is volatile, so the waker's
 *       {@link #active()} check and the sleeper's re-test form the Dekker pair that
 *       {@code smp_mb()} gives the kernel.</li>
 *   <li>{@link #wakeUp()} wakes every non-exclusive waiter and the first exclusive one in queue
 *       order, so exclusive waiters are served FIFO ({@code __wake_up(q, mode, 1)}).</li>
 *   <li>A woken entry is removed from the queue by the waker ({@code autoremove_wake_function}),
 *       so a second wake-up goes to the next waiter, not to one already running.</li>
 *   <li>{@link #schedule(Entry)} sleeps uninterruptibly (TASK_UNINTERRUPTIBLE): a Java interrupt
 *       does not end the sleep; the interrupt status is restored when it ends.</li>
 * </ol>
 */
public final class WaitQueue {
    /** {@code wait_queue_t}: one sleeper's place in a queue. */
    public static final class Entry {
        final Thread thread;
        final boolean exclusive;
        volatile boolean woken;
        Entry next;
        Entry prev;
        /**
         * On the queue. Written under the queue lock; read without it by the fast path of
         * {@link WaitQueue#finishWait}, hence volatile: a sleeper that reads false there must also
         * see {@link #woken}, which a waker sets before it unlinks the entry.
         */
        volatile boolean queued;

        Entry(Thread thread, boolean exclusive) {
            this.thread = thread;
            this.exclusive = exclusive;
        }

        /** True once a waker has chosen this entry. */
        public boolean isWoken() {
            return woken;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private Entry head;
    private Entry tail;
    private volatile int waiters;

    /**
     * {@code prepare_to_wait} / {@code prepare_to_wait_exclusive}: queues the current thread.
     * Non-exclusive entries go to the head and exclusive ones to the tail, as the kernel does.
     */
    public Entry prepareToWait(boolean exclusive) {
        Entry e = new Entry(Thread.currentThread(), exclusive);
        lock.lock();
        try {
            if (exclusive || head == null) {
                e.prev = tail;
                if (tail != null) {
                    tail.next = e;
                } else {
                    head = e;
                }
                tail = e;
            } else {
                e.next = head;
                head.prev = e;
                head = e;
            }
            e.queued = true;
            waiters = waiters + 1;
        } finally {
            lock.unlock();
        }
        return e;
    }

    /** {@code schedule()}: sleeps until a waker picks {@code e}. Uninterruptible. */
    public void schedule(Entry e) {
        boolean interrupted = false;
        while (!e.woken) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code schedule_timeout}: sleeps until woken or until {@code timeout} passes.
     *
     * @return true if woken, false on timeout
     */
    public boolean scheduleTimeout(Entry e, long timeout, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        boolean interrupted = false;
        while (!e.woken) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return e.woken;
    }

    /**
     * {@code schedule()} for daemon threads that must stop: sleeps until woken or interrupted.
     *
     * @return true if woken, false if interrupted (the interrupt status is kept)
     */
    public boolean scheduleInterruptible(Entry e) {
        while (!e.woken) {
            LockSupport.park(this);
            if (Thread.currentThread().isInterrupted()) {
                return e.woken;
            }
        }
        return true;
    }

    /** {@code finish_wait}: dequeues {@code e} if no waker already did. */
    public void finishWait(Entry e) {
        if (!e.queued) {
            return; // fast path: the waker unlinked it (read under the lock below if racing)
        }
        lock.lock();
        try {
            if (e.queued) {
                unlink(e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code waitqueue_active}: true if anyone is queued. A volatile read, no lock. */
    public boolean active() {
        return waiters != 0;
    }

    /** Number of queued sleepers, for statistics and tests. */
    public int waiters() {
        return waiters;
    }

    /** {@code wake_up}: wakes all non-exclusive waiters and one exclusive waiter. */
    public void wakeUp() {
        wake(1);
    }

    /** {@code wake_up_all}: wakes every waiter. */
    public void wakeUpAll() {
        wake(Integer.MAX_VALUE);
    }

    /** {@code wake_up_nr}: wakes all non-exclusive waiters and up to {@code nr} exclusive ones. */
    public void wakeUpNr(int nr) {
        if (nr <= 0) {
            throw new IllegalArgumentException("wake_up_nr needs nr > 0, got " + nr);
        }
        wake(nr);
    }

    private void wake(int nrExclusive) {
        if (waiters == 0) {
            return;
        }
        lock.lock();
        try {
            Entry e = head;
            while (e != null) {
                Entry next = e.next;
                // woken before the unlink: a sleeper whose finishWait sees the entry off the queue
                // (without the lock) must see it woken, or it would take a wake-up meant for it as
                // none (found by a Fray schedule: the 2.5.1 mempool then skips its hand-off).
                e.woken = true;
                unlink(e);
                LockSupport.unpark(e.thread);
                if (e.exclusive && --nrExclusive == 0) {
                    break;
                }
                e = next;
            }
        } finally {
            lock.unlock();
        }
    }

    private void unlink(Entry e) {
        if (e.prev != null) {
            e.prev.next = e.next;
        } else {
            head = e.next;
        }
        if (e.next != null) {
            e.next.prev = e.prev;
        } else {
            tail = e.prev;
        }
        e.next = null;
        e.prev = null;
        e.queued = false;
        waiters = waiters - 1;
    }

    /**
     * {@code wait_event}: sleeps (uninterruptibly, non-exclusively) until {@code condition} is
     * true. The condition is tested after queueing, so a wake-up cannot be lost.
     */
    public void waitEvent(BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            Entry e = prepareToWait(false);
            try {
                if (!condition.getAsBoolean()) {
                    schedule(e);
                }
            } finally {
                finishWait(e);
            }
        }
    }
}
