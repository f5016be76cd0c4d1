// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

/**
 * The read side of one {@link KmemCache}: its line of {@code /proc/slabinfo} (2.4's
 * {@code proc_getdata} of mm/slab.c, format version 1.1, or 2.6's {@code s_show}, version 2.1;
 * see {@link SlabinfoFormat}) and the {@code STATS} counters of
 * {@code kmem_cache_t} ({@code num_active}, {@code num_allocations}, {@code high_mark},
 * {@code grown}, {@code reaped}, {@code errors}) with the per-CPU {@code allochit},
 * {@code allocmiss}, {@code freehit}, {@code freemiss} of 2.4's SMP statistics. The counters
 * stay in the cache, where the allocation paths bump them as {@code STATS_INC_*} does; this class
 * only reads them, so nothing on those paths goes through it.
 *
 * <h2>Invariants it relies on</h2>
 * Those of {@link KmemCache}: a slab on {@code slabs_full} has {@code num} objects in use, one
 * on {@code slabs_free} none, so {@code active_objs} is counted from the full and partial lists
 * as {@code proc_getdata} and {@code s_show} count it; {@code numActive} minus the objects
 * parked in array caches is what callers hold.
 *
 * <h2>Concurrency</h2>
 * Every read takes the lock that guards what it reads: the cache spinlock for the slab lists
 * and the {@code STATS} counters, each array cache's lock for its {@code avail} and hit
 * counters, all of them (array caches first, the lock order) where a figure combines both. A
 * figure is exact when taken; across several calls it is a snapshot only at a quiescent point.
 * Never sleeps; any context but one holding this cache's locks (they are not reentrant).
 */
final class KmemCacheStats {
    /** Indices into {@link #counters()}. */
    static final int NUM_ALLOCATIONS = 0;
    static final int HIGH_MARK = 1;
    static final int GROWN = 2;
    static final int REAPED = 3;
    static final int GROW_FAILURES = 4;

    private final KmemCache<?> cache;

    KmemCacheStats(KmemCache<?> cache) {
        this.cache = cache;
    }

    /**
     * One line of {@code /proc/slabinfo} in {@code format}, without the newline. For
     * {@link SlabinfoFormat#V1_1}, {@code statistics} adds 2.4's {@code STATS} columns and
     * {@code smp} its SMP ones ({@code limit batchcount}, and the per-CPU hit counts when both
     * are on); {@link SlabinfoFormat#V2_1} ignores both.
     *
     * <p>{@code active_objs} and {@code active_slabs} count the slabs' objects in use, as
     * {@code proc_getdata} and {@code s_show} do: an object parked in a per-CPU array cache is in
     * use as far as its slab is concerned, so it counts as active (2.4 did the same; only
     * {@link #allocatedObjects()} tells them apart). The slab lists, the {@code STATS} counters,
     * {@code limit} and {@code batchcount} are read under one hold of the cache spinlock, as 2.4
     * read them under {@code spin_lock_irq}; the per-CPU hit counts are read before it, each
     * under its array's lock (the lock order puts those first), where 2.4 read its atomics
     * without a lock.
     */
    String slabinfoLine(SlabinfoFormat format, boolean statistics, boolean smp) {
        boolean v11 = format == SlabinfoFormat.V1_1;
        long[] hits = v11 && statistics && smp ? cpuStats() : null;
        int num = cache.num();
        cache.spinlock.lock();
        try {
            long activeObjs = 0;
            long activeSlabs = 0;
            for (Slab s = cache.slabsFull.first(); s != null; s = s.next) {
                activeObjs += num;
                activeSlabs++;
            }
            for (Slab s = cache.slabsPartial.first(); s != null; s = s.next) {
                activeObjs += s.inuse;
                activeSlabs++;
            }
            long numSlabs = activeSlabs + cache.slabsFree.size();
            if (!v11) {
                return String.format("%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d",
                        cache.name(), activeObjs, numSlabs * num, cache.objsize(), num, cache.pagesPerSlab(),
                        cache.limit, cache.batchcount, 0, activeSlabs, numSlabs, 0);
            }
            StringBuilder sb = new StringBuilder(128);
            sb.append(String.format("%-17s %6d %6d %6d %4d %4d %4d", cache.name(), activeObjs, numSlabs * num,
                    cache.objsize(), activeSlabs, numSlabs, cache.pagesPerSlab()));
            if (statistics) {
                sb.append(String.format(" : %6d %7d %5d %4d %4d", cache.highMark, cache.numAllocations, cache.grown,
                        cache.reaped, cache.growFailures));
            }
            if (smp) {
                // 2.4 prints the calling CPU's cc->limit (0 without an array); every CPU's array
                // has the cache's limit, which tune() keeps here.
                sb.append(String.format(" : %4d %4d", cache.limit, cache.batchcount));
            }
            if (hits != null) {
                sb.append(String.format(" : %6d %6d %6d %6d", hits[0], hits[1], hits[2], hits[3]));
            }
            return sb.toString();
        } finally {
            cache.spinlock.unlock();
        }
    }

    /** {@code num_active}: objects allocated plus those held in per-CPU arrays. */
    long activeObjs() {
        cache.spinlock.lock();
        try {
            return cache.numActive;
        } finally {
            cache.spinlock.unlock();
        }
    }

    /** {@code num_active} less the array caches' objects: what callers hold. */
    long allocatedObjects() {
        cache.lockAllArrays();
        try {
            cache.spinlock.lock();
            try {
                long cached = 0;
                for (ArrayCache cc : cache.cpudata) {
                    cached += cc.avail;
                }
                return cache.numActive - cached;
            } finally {
                cache.spinlock.unlock();
            }
        } finally {
            cache.unlockAllArrays();
        }
    }

    /** Objects in every CPU's array cache, each read under its own lock. */
    int cpuCachedObjects() {
        int sum = 0;
        for (int cpu = 0; cpu < cache.cpudata.length; cpu++) {
            sum += cpuCachedObjects(cpu);
        }
        return sum;
    }

    /** Objects in CPU {@code cpu}'s array cache ({@code cc->avail}). */
    int cpuCachedObjects(int cpu) {
        ArrayCache cc = cache.cpudata[cpu];
        cc.lock();
        try {
            return cc.avail;
        } finally {
            cc.unlock();
        }
    }

    /** Slabs on one list of the cache. */
    int slabs(SlabList list) {
        cache.spinlock.lock();
        try {
            return list.size();
        } finally {
            cache.spinlock.unlock();
        }
    }

    /** Slabs on all three lists. */
    int numSlabs() {
        cache.spinlock.lock();
        try {
            return cache.slabsFull.size() + cache.slabsPartial.size() + cache.slabsFree.size();
        } finally {
            cache.spinlock.unlock();
        }
    }

    /**
     * The {@code STATS} counters, read together under one hold of the spinlock and indexed by
     * {@link #NUM_ALLOCATIONS}, {@link #HIGH_MARK}, {@link #GROWN}, {@link #REAPED} and
     * {@link #GROW_FAILURES} (the kernel's {@code errors}). A fresh array each call: statistics
     * are read off the allocation paths.
     */
    long[] counters() {
        cache.spinlock.lock();
        try {
            return new long[] {cache.numAllocations, cache.highMark, cache.grown, cache.reaped, cache.growFailures};
        } finally {
            cache.spinlock.unlock();
        }
    }

    /** {@code allochit}, {@code allocmiss}, {@code freehit}, {@code freemiss} summed over the CPUs. */
    long[] cpuStats() {
        long[] s = new long[4];
        for (ArrayCache cc : cache.cpudata) {
            cc.lock();
            try {
                s[0] += cc.allochit;
                s[1] += cc.allocmiss;
                s[2] += cc.freehit;
                s[3] += cc.freemiss;
            } finally {
                cc.unlock();
            }
        }
        return s;
    }
}
