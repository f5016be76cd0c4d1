package dev.kalloc.slab;

/**
 * The read side of one {@link KmemCache}: its line of {@code /proc/slabinfo} (the 2.6
 * {@code s_show} of mm/slab.c, format version 2.1) and the {@code STATS} counters of
 * {@code kmem_cache_t} ({@code num_active}, {@code num_allocations}, {@code high_mark},
 * {@code grown}, {@code reaped}, {@code errors}) with the per-CPU {@code allochit},
 * {@code allocmiss}, {@code freehit}, {@code freemiss} of 2.4's SMP statistics. The counters
 * stay in the cache, where the allocation paths bump them as {@code STATS_INC_*} does; this class
 * only reads them, so nothing on those paths goes through it.
 *
 * <h2>Invariants it relies on</h2>
 * Those of {@link KmemCache}: a slab on {@code slabs_full} has {@code num} objects in use, one
 * on {@code slabs_free} none, so {@code active_objs} is counted from the full and partial lists
 * as {@code s_show} counts it; {@code numActive} minus the objects parked in array caches is
 * what callers hold.
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

    /** One line of {@code /proc/slabinfo} version 2.1, without the newline. */
    String slabinfoLine() {
        int num = cache.num();
        cache.spinlock.lock();
        try {
            long activeObjs = 0;
            int activeSlabs = 0;
            for (Slab s = cache.slabsFull.first(); s != null; s = s.next) {
                activeObjs += num;
                activeSlabs++;
            }
            for (Slab s = cache.slabsPartial.first(); s != null; s = s.next) {
                activeObjs += s.inuse;
                activeSlabs++;
            }
            long numSlabs = activeSlabs + cache.slabsFree.size();
            return String.format("%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d",
                    cache.name(), activeObjs, numSlabs * num, cache.objsize(), num, cache.pagesPerSlab(),
                    cache.limit, cache.batchcount, 0, activeSlabs, numSlabs, 0);
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
