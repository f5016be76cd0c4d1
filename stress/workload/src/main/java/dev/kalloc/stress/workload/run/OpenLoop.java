// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator of one run: a fixed set of worker threads that issue the operations of an
 * {@link OpenLoopSchedule} at their intended times. Each worker claims the next operation index,
 * sleeps until its intended start if that is still ahead (the pacing sleep of an open loop, not a
 * wait for an event), and issues it. A worker that the system under test blocks simply claims
 * its next index late: the operation's latency, measured from its intended start, shows the
 * delay, and the remaining workers keep the schedule meanwhile. Past a cut-off the workers stop
 * issuing and record what is left as failed (see the constructor).
 *
 * <p>Threads: {@link #start()} and {@link #join()} from the run's thread; workers are daemons in
 * the caller's thread group, so the watchdog sees them, and an abandoned worker never keeps the
 * JVM alive.
 */
final class OpenLoop {
    /** What a worker does with an operation: synchronous work, or start asynchronous work. */
    interface Issuer {
        void issue(long index, long intendedNanos) throws InterruptedException;

        /** Records operation {@code index} as failed without issuing it: the cut-off passed. */
        void abandon(long index, long intendedNanos);
    }

    private final OpenLoopSchedule schedule;
    private final Issuer issuer;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final long cutoffNanos;
    private final List<Thread> workers = new ArrayList<>();
    private volatile Throwable failure;

    /**
     * @param cutoffNanos operations not yet issued at this {@code nanoTime} are abandoned: recorded
     *        as failed, with their latency up to that moment, so that a system that fell far
     *        behind ends its run in bounded time without dropping the backlog from the record
     */
    OpenLoop(OpenLoopSchedule schedule, long cutoffNanos, int nrWorkers, String name, Issuer issuer) {
        if (nrWorkers < 1) {
            throw new IllegalArgumentException("workers " + nrWorkers + ": at least one is needed");
        }
        this.schedule = schedule;
        this.cutoffNanos = cutoffNanos;
        this.issuer = issuer;
        for (int w = 0; w < nrWorkers; w++) {
            Thread t = new Thread(this::work, name + "-w" + w);
            t.setDaemon(true);
            workers.add(t);
        }
    }

    void start() {
        for (Thread t : workers) {
            t.start();
        }
    }

    private void work() {
        try {
            for (;;) {
                long i = next.getAndIncrement();
                if (i >= schedule.total()) {
                    return;
                }
                long intended = schedule.intendedStart(i);
                if (System.nanoTime() - cutoffNanos > 0) {
                    issuer.abandon(i, intended);
                    abandoned.incrementAndGet();
                    continue;
                }
                for (long left = intended - System.nanoTime(); left > 0; left = intended - System.nanoTime()) {
                    LockSupport.parkNanos(left);
                    if (Thread.interrupted()) {
                        return;
                    }
                }
                issuer.issue(i, intended);
                issued.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            if (failure == null) {
                failure = e;
            }
        }
    }

    /** Waits until every worker has finished issuing (or died). */
    void join() throws InterruptedException {
        for (Thread t : workers) {
            t.join();
        }
    }

    /** Operations issued so far. */
    long issued() {
        return issued.get();
    }

    /** Operations abandoned at the cut-off. */
    long abandoned() {
        return abandoned.get();
    }

    /** The first exception a worker's issue threw (the run is then broken), or null. */
    Throwable failure() {
        return failure;
    }
}
