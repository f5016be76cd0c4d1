// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

/**
 * {@code struct fault_attr} and {@code should_fail()} of lib/fault-inject.c: the knobs behind
 * fail_page_alloc and failslab.
 *
 * <p>Semantics, in the kernel's order: nothing fails while {@code times} is 0; the first
 * {@code space} bytes of requests pass; with an {@code interval} above 1 only every
 * interval-th eligible call is a candidate; a candidate fails with {@code probability} percent;
 * each failure counts {@code times} down unless it is -1 (unlimited).
 *
 * <p>Deterministic: the random stream is a seeded 64-bit generator, so the same seed and the same
 * sequence of calls fail the same calls. Thread-safe: calls are serialised on the attribute's
 * monitor, which is only reached while injection is enabled; the disabled check is one volatile
 * read.
 */
public final class FaultAttr {
    private volatile boolean enabled;
    private int probability;
    private int interval = 1;
    private long times = -1;
    private long space;
    private long count;
    private long failures;
    private long state;

    /** Turns injection on with the given knobs. */
    public synchronized void configure(int probabilityPercent, int interval, long times, long space, long seed) {
        if (probabilityPercent < 0 || probabilityPercent > 100) {
            throw new IllegalArgumentException("fault probability " + probabilityPercent + " must be in [0, 100]");
        }
        if (interval < 1) {
            throw new IllegalArgumentException("fault interval " + interval + " must be >= 1");
        }
        if (times < -1) {
            throw new IllegalArgumentException("fault times " + times + " must be -1 (unlimited) or >= 0");
        }
        if (space < 0) {
            throw new IllegalArgumentException("fault space " + space + " must be >= 0");
        }
        this.probability = probabilityPercent;
        this.interval = interval;
        this.times = times;
        this.space = space;
        this.count = 0;
        this.state = seed;
        this.enabled = probabilityPercent > 0 && times != 0;
    }

    /** Turns injection off; counters are kept. */
    public synchronized void disable() {
        enabled = false;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Injected failures so far. */
    public synchronized long failures() {
        return failures;
    }

    /** {@code should_fail(attr, size)}. */
    public boolean shouldFail(long size) {
        return enabled && shouldFailSlow(size);
    }

    private synchronized boolean shouldFailSlow(long size) {
        if (!enabled || times == 0) {
            return false;
        }
        if (space > size) {
            space -= size;
            return false;
        }
        if (interval > 1 && ++count % interval != 0) {
            return false;
        }
        if (probability <= Long.remainderUnsigned(next(), 100)) {
            return false;
        }
        if (times != -1 && --times == 0) {
            enabled = false;
        }
        failures++;
        return true;
    }

    /** SplitMix64: small, fast, and the same stream for the same seed on every JVM. */
    private long next() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public synchronized String toString() {
        return String.format("probability=%d interval=%d times=%d space=%d failures=%d%s", probability,
                interval, times, space, failures, enabled ? "" : " (disabled)");
    }
}
