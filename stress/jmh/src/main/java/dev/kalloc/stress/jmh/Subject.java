// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import org.openjdk.jmh.infra.Blackhole;

/**
 * One allocator under measurement, as one benchmark thread sees it: the three access patterns
 * every benchmark drives, with the thread's own live handles kept inside.
 *
 * <p>Each JMH fork runs exactly one subject (the subject is a {@code @Param}), so only one
 * implementation of this class is loaded and every call below is monomorphic: the benchmark
 * measures the allocator, not an interface dispatch.
 */
abstract class Subject {

    /** Live slots of the random-live-set pattern (Netty's ByteBufAllocatorBenchmark uses 8192). */
    static final int LIVE_SLOTS = 8192;

    /** Objects allocated, then freed oldest first, by one FIFO burst. */
    static final int BURST = 64;

    /** One allocation immediately freed: the per-CPU (or thread cache) hit in a steady state. */
    abstract void allocFree(Blackhole bh);

    /** Frees the object in {@code slot} of the live set and allocates its replacement. */
    abstract void replace(int slot, Blackhole bh);

    /** Allocates {@link #BURST} objects, then frees them in allocation order. */
    abstract void burst(Blackhole bh);

    /** Fills the live set; called once per thread before measuring the random-live-set pattern. */
    abstract void fillLiveSet();

    /** Frees whatever the thread still holds. */
    abstract void freeAll();

    static IllegalStateException exhausted(String what) {
        return new IllegalStateException(what + " failed: the benchmark machine is too small for this pattern");
    }
}
