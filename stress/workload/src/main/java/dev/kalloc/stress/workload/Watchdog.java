package dev.kalloc.stress.workload;

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
 * <p>It sleeps on the run-ended latch with a timeout of a fraction of the limit: the latch is the
 * event that ends it early, the timeout is the watchdog's own clock. A run is declared
 * deadlocked after between {@code limit} and {@code limit * 5/4} without progress.
 */
final class Watchdog {
    private final LongSupplier progress;
    private final long limitNanos;
    private final Runnable onDeadlock;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean fired;

    Watchdog(String name, LongSupplier progress, Duration limit, Runnable onDeadlock) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("watchdog limit " + limit + ": must be positive");
        }
        this.progress = progress;
        this.limitNanos = limit.toNanos();
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
        try {
            while (!ended.await(tick, TimeUnit.NANOSECONDS)) {
                long now = System.nanoTime();
                long p = progress.getAsLong();
                if (p != seen) {
                    seen = p;
                    lastMove = now;
                } else if (now - lastMove >= limitNanos) {
                    fired = true;
                    onDeadlock.run();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
