// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.kernel.PerCpuLock;
import java.util.Arrays;

/**
 * {@code cpucache_t} (Manfred Spraul's per-CPU array caches, 2.4): a LIFO stack of free object
 * addresses in front of one cache's slab lists, one per CPU. Allocation pops; free pushes; when
 * empty it is refilled with {@code batchcount} objects under the cache spinlock, when full
 * {@code batchcount} objects from the bottom (the coldest) go back to their slabs.
 *
 * <p>Invariants: {@code 0 <= avail <= limit == entry.length == entrySlab.length ==
 * entryIdx.length}; {@code batchcount <= limit}; {@code limit == 0} means "no array cache" (the
 * kernel's {@code cc_data(cachep) == NULL}); every entry is an object of the owning cache in
 * state {@link Slab#OBJ_CPU}, counted in its slab's {@code inuse} and in no other array cache,
 * and {@code entrySlab[i]}, {@code entryIdx[i]} are the slab and index of {@code entry[i]}.
 *
 * <p>Concurrency: the kernel protects a CPU's array by disabling interrupts, which suffices
 * because only that CPU touches it. Here two threads may share a CPU id, so every field is
 * guarded by the array cache's own lock (it is a {@link PerCpuLock}, whose class comment says
 * why a lock and why this one): uncontended in the common case (one CAS in, a release store out),
 * correct under the collision, and taken by other CPUs' threads when they drain, reap or tune
 * the cache. 128 bytes of padding on each side of the fields (the lock's ahead, this class's
 * behind) keep two CPUs' arrays off each other's cache lines: FastPathBench showed
 * kmem_cache_alloc+free of one cache costing 2.5x the one-thread time with two threads on two
 * CPUs when they shared lines. Lock
 * order: an array cache's lock before its cache's spinlock, never the other way; a thread holds
 * at most one array cache lock except in {@code checkInvariants} and {@code destroy}, which take
 * them all in CPU order.
 *
 * <p>Where it differs from the kernel: the array lives on the Java heap ({@code long[]}), and the
 * kernel's {@code kmalloc}ed {@code cpucache_t} is still allocated from the general caches
 * ({@link #backing}) so that the memory the arrays cost shows in {@code /proc/slabinfo} as in
 * 2.4. Statistics are per CPU, under the lock, where 2.4 keeps atomic counters per cache. Beside
 * each address the array keeps its slab and index ({@code entrySlab}, {@code entryIdx}), pushed
 * with it: the port marks an object's state on every hit (what catches a double free), and
 * without them the hit would look the object's page and slab up again and divide. The kernel's
 * array holds only the pointer, and its hit marks nothing. Slots above {@code avail} are never
 * read; the hit's pop does not clear its slot (a store on the hottest path), so such a slot may
 * keep a slab reference until it is overwritten or the array is drained (a reap, a shrink, a
 * tune, destroy): at most {@code limit} slabs per CPU kept reachable in between.
 */
final class ArrayCache extends ArrayCacheFields {
    // The trailing pad, and nothing else: see dev.kalloc.kernel's package comment, "Padding".
    long q00;
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
    long q09;
    long q10;
    long q11;
    long q12;
    long q13;
    long q14;
    long q15;

    ArrayCache(int cpu) {
        super(cpu);
    }
}

/** The fields of {@link ArrayCache}, between its two paddings. */
abstract class ArrayCacheFields extends PerCpuLock {
    final int cpu;
    long[] entry = Slots.NONE.entry;
    /** The slab of each entry, pushed and popped with it. */
    Slab[] entrySlab = Slots.NONE.slab;
    /** The index in its slab of each entry, pushed and popped with it. */
    int[] entryIdx = Slots.NONE.idx;
    int avail;
    int limit;
    int batchcount;
    /** Address of the kmalloc'd {@code cpucache_t} this array stands for; 0 without one. */
    long backing;

    long allochit;
    long allocmiss;
    long freehit;
    long freemiss;

    ArrayCacheFields(int cpu) {
        this.cpu = cpu;
    }

    /**
     * The O(1) invariants of the class comment: {@code 0 <= avail <= limit}, every slot array
     * {@code limit} long, {@code batchcount <= limit} and positive when {@code limit} is. The
     * caller holds the lock.
     */
    final boolean boundsHold() {
        return avail >= 0 && avail <= limit && entry.length == limit && entrySlab.length == limit
                && entryIdx.length == limit && batchcount <= limit && (limit == 0 || batchcount > 0);
    }

    /** What {@link #boundsHold()} looks at, for its failure message. */
    final String bounds() {
        return "avail " + avail + ", limit " + limit + ", batchcount " + batchcount + ", " + entry.length + "/"
                + entrySlab.length + "/" + entryIdx.length + " slots";
    }

    /** Pushes an object; the caller holds the lock and has checked {@code avail < limit}. */
    final void push(long objp, Slab slabp, int idx) {
        int i = avail;
        entry[i] = objp;
        entrySlab[i] = slabp;
        entryIdx[i] = idx;
        avail = i + 1;
    }

    /**
     * Drops the bottom {@code n} entries (just given back to their slabs) and moves the rest
     * down; the slots freed at the top forget their slabs.
     */
    final void dropBottom(int n) {
        int rest = avail - n;
        System.arraycopy(entry, n, entry, 0, rest);
        System.arraycopy(entrySlab, n, entrySlab, 0, rest);
        System.arraycopy(entryIdx, n, entryIdx, 0, rest);
        Arrays.fill(entrySlab, rest, avail, null);
        avail = rest;
    }

    /**
     * Empties the array (its entries already given back) and forgets every slab it names,
     * the popped slots above {@code avail} included.
     */
    final void clear() {
        Arrays.fill(entrySlab, null);
        avail = 0;
    }

    /** Installs new, empty slots; the caller holds the lock and has drained the old ones. */
    final void install(Slots slots) {
        assert avail == 0 : "installing slots over " + avail + " entries";
        entry = slots.entry;
        entrySlab = slots.slab;
        entryIdx = slots.idx;
    }

    /** The three parallel arrays of one array cache, made before its lock is taken. */
    static final class Slots {
        static final Slots NONE = new Slots(0);

        final long[] entry;
        final Slab[] slab;
        final int[] idx;

        Slots(int limit) {
            entry = new long[limit];
            slab = new Slab[limit];
            idx = new int[limit];
        }
    }
}
