// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.time.Duration;

/**
 * The open-loop schedule of one run: operation {@code i} is intended to start at
 * {@code t0 + i / rate}, whatever happened to the operations before it. Latency is measured from
 * that intended start, so an operation that could only be issued late (every worker was stuck)
 * carries its wait in its latency: the coordinated-omission correction is built into the
 * schedule rather than applied afterwards.
 *
 * <p>All times are {@link System#nanoTime()} values. Immutable.
 */
final class OpenLoopSchedule {
    private final long startNanos;
    private final double intervalNanos;
    private final long total;

    /**
     * @param startNanos {@code t0}
     * @param rate operations per second, positive
     * @param duration how long operations are offered; ops with an intended start in
     *        {@code [t0, t0 + duration)} belong to the run
     */
    OpenLoopSchedule(long startNanos, double rate, Duration duration) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("offered rate " + rate + " ops/s: must be positive and finite");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("run duration " + duration + ": must be positive");
        }
        this.startNanos = startNanos;
        this.intervalNanos = 1e9 / rate;
        long d = duration.toNanos();
        // The ops whose intended start i * interval lies below d: i in [0, ceil(d / interval)).
        this.total = Math.max(1, (long) Math.ceil(d / intervalNanos));
    }

    /** Operations in the run. */
    long total() {
        return total;
    }

    /** The intended start of operation {@code i}. */
    long intendedStart(long i) {
        if (i < 0) {
            throw new IllegalArgumentException("operation index " + i + " is negative");
        }
        return startNanos + Math.round(i * intervalNanos);
    }

    /** How many operations were due (intended start at or before {@code now}), at most {@link #total()}. */
    long dueBy(long now) {
        if (now < startNanos) {
            return 0;
        }
        long due = (long) Math.floor((now - startNanos) / intervalNanos) + 1;
        return Math.min(due, total);
    }
}
