// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.PhysicalMemory;

/**
 * The compile-time choices of a 2.4 kernel build that change what mm/slab.c computes, made
 * run-time knobs: the L1 cache line size, whether caches get per-CPU array caches automatically
 * (an SMP build), and {@code FORCED_DEBUG} (with the {@code STATS} columns of
 * {@code /proc/slabinfo}). Immutable; build one with {@link #builder()}.
 *
 * <p>Defaults are an i386 SMP kernel for a Pentium III without {@code CONFIG_DEBUG_SLAB}:
 * {@code L1_CACHE_BYTES} = 32, per-CPU array caches on, no forced debugging. With these, every
 * cache reports the objects per slab and pages per slab a real 2.4.15 kernel prints in
 * {@code /proc/slabinfo} (the {@code SLAB_RED_ZONE}/{@code SLAB_POISON} flags still work per
 * cache: the debugging code is always built in here).
 */
public final class SlabConfig {
    /** {@code L1_CACHE_BYTES} of a Pentium III ({@code CONFIG_X86_L1_CACHE_SHIFT} = 5). */
    public static final int DEFAULT_L1_CACHE_BYTES = 32;

    private final int l1CacheBytes;
    private final boolean cpuCaches;
    private final boolean forcedDebug;

    private SlabConfig(Builder b) {
        if (b.l1CacheBytes < SlabAllocator.BYTES_PER_WORD || b.l1CacheBytes > PhysicalMemory.PAGE_SIZE / 8
                || Integer.bitCount(b.l1CacheBytes) != 1) {
            throw new IllegalArgumentException("slab config: L1_CACHE_BYTES " + b.l1CacheBytes
                    + " must be a power of two in [" + SlabAllocator.BYTES_PER_WORD + ", "
                    + PhysicalMemory.PAGE_SIZE / 8 + "]");
        }
        this.l1CacheBytes = b.l1CacheBytes;
        this.cpuCaches = b.cpuCaches;
        this.forcedDebug = b.forcedDebug;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: L1 = 32 bytes, per-CPU array caches on, no forced debugging. */
    public static SlabConfig defaults() {
        return builder().build();
    }

    /** {@code L1_CACHE_BYTES}: the alignment of SLAB_HWCACHE_ALIGN caches and the colour step. */
    public int l1CacheBytes() {
        return l1CacheBytes;
    }

    /**
     * Whether caches get per-CPU array caches automatically ({@code enable_cpucache} at boot and
     * at creation, as an SMP kernel once {@code g_cpucache_up} is set). When false, caches start
     * without them, as on a uniprocessor build, but {@link KmemCache#tune(int, int)} can still give
     * a cache array caches (where a uniprocessor 2.4 returns -EINVAL): tests use that to tune one
     * cache without paying for everyone's. On a one-CPU machine, false also makes
     * {@code /proc/slabinfo} 1.1 that of a uniprocessor kernel (see
     * {@link SlabAllocator#slabinfoSmp()}).
     */
    public boolean cpuCaches() {
        return cpuCaches;
    }

    /**
     * {@code FORCED_DEBUG}: red-zone every cache with objects under PAGE_SIZE/8 (unless
     * SLAB_MUST_HWCACHE_ALIGN) and poison every cache without a constructor. Changes the sizes.
     * As in 2.4, where {@code CONFIG_DEBUG_SLAB} turns on {@code DEBUG}, {@code STATS} and
     * {@code FORCED_DEBUG} together, it also adds the statistics columns to
     * {@code /proc/slabinfo} 1.1 (see {@link SlabAllocator#slabinfoStatistics()}); the counters
     * themselves are kept either way.
     */
    public boolean forcedDebug() {
        return forcedDebug;
    }

    @Override
    public String toString() {
        return "SlabConfig[L1_CACHE_BYTES=" + l1CacheBytes + ", cpucache=" + cpuCaches + ", forcedDebug="
                + forcedDebug + "]";
    }

    /** Builds a {@link SlabConfig}; values are validated by {@link #build()}. */
    public static final class Builder {
        private int l1CacheBytes = DEFAULT_L1_CACHE_BYTES;
        private boolean cpuCaches = true;
        private boolean forcedDebug;

        private Builder() {
        }

        public Builder l1CacheBytes(int bytes) {
            this.l1CacheBytes = bytes;
            return this;
        }

        public Builder cpuCaches(boolean on) {
            this.cpuCaches = on;
            return this;
        }

        public Builder forcedDebug(boolean on) {
            this.forcedDebug = on;
            return this;
        }

        public SlabConfig build() {
            return new SlabConfig(this);
        }
    }
}
