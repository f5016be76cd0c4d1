// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The deadlock watchdog of one run: a daemon thread that watches a progress count (operations
 * completed, verification steps) and, if it has not moved for {@code limit}, calls
 * {@code onDeadlock} once and stops. It also stops, silently, when the run ends
 * ({@link #runEnded()}).
 *
 * <p>Set-up is not a stall: booting a machine zeroes its memory and builds a descriptor per page,
 * and filling it with the pressure takes a step per page, both in one phase that moves the
 * progress count once; on the largest machine that takes seconds, far more than the smallest
 * {@code --watchdog}. So until {@link #setUpDone()} the watchdog holds a run to its own, longer
 * set-up limit (a set-up that hangs, such as an admission that waits forever, is still caught),
 * and to {@code limit} from then on, counted from the first check after set-up ended (at most
 * {@code limit/4} later).
 *
 * <p>It sleeps on the run-ended latch with a timeout of a fraction of the limit: the latch is the
 * event that ends it early, the timeout is the watchdog's own clock. A run is declared
 * deadlocked after between {@code limit} and {@code limit * 5/4} without progress.
 */
final class Watchdog {
    private final LongSupplier progress;
    private final long limitNanos;
    private final long setUpLimitNanos;
    private volatile boolean setUpDone;
    private final Runnable onDeadlock;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean fired;

    /** A watchdog that holds set-up to the same limit as the rest of the run. */
    Watchdog(String name, LongSupplier progress, Duration limit, Runnable onDeadlock) {
        this(name, progress, limit, limit, onDeadlock);
    }

    /**
     * A watchdog that allows {@code setUpLimit} without progress until {@link #setUpDone()}, and
     * {@code limit} after it.
     */
    Watchdog(String name, LongSupplier progress, Duration setUpLimit, Duration limit, Runnable onDeadlock) {
        if (limit.isNegative() || limit.isZero() || setUpLimit.compareTo(limit) < 0) {
            throw new IllegalArgumentException("watchdog limit " + limit + ", set-up limit " + setUpLimit
                    + ": must be positive, the set-up limit no shorter");
        }
        this.progress = progress;
        this.limitNanos = limit.toNanos();
        this.setUpLimitNanos = setUpLimit.toNanos();
        this.onDeadlock = onDeadlock;
        this.thread = new Thread(this::watch, "watchdog-" + name);
        thread.setDaemon(true);
    }

    Watchdog start() {
        thread.start();
        return this;
    }

    private void watch() {
        long tick = Math.max(1, limitNanos / 4);
        long seen = progress.getAsLong();
        long lastMove = System.nanoTime();
        boolean settled = false;
        try {
            while (!ended.await(tick, TimeUnit.NANOSECONDS)) {
                long now = System.nanoTime();
                long p = progress.getAsLong();
                boolean wasSettled = settled;
                settled = setUpDone;
                if (p != seen || settled != wasSettled) {
                    seen = p;
                    lastMove = now;
                } else if (now - lastMove >= (settled ? limitNanos : setUpLimitNanos)) {
                    fired = true;
                    onDeadlock.run();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Set-up is over: from now on {@code limit} without progress is a deadlock. */
    void setUpDone() {
        setUpDone = true;
    }

    /** Whether {@link #setUpDone()} was called. */
    boolean isSetUpDone() {
        return setUpDone;
    }

    /** The run finished normally: the watchdog stops without firing (unless it already has). */
    void runEnded() {
        ended.countDown();
    }

    /** True once the watchdog has declared the run deadlocked. */
    boolean fired() {
        return fired;
    }

    /** Waits for the watchdog thread to stop (after {@link #runEnded()} or firing). */
    void join() throws InterruptedException {
        thread.join();
    }
}
