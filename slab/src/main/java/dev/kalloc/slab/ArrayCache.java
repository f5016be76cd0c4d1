package dev.kalloc.slab;

import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code cpucache_t} (Manfred Spraul's per-CPU array caches, 2.4): a LIFO stack of free object
 * addresses in front of one cache's slab lists, one per CPU. Allocation pops; free pushes; when
 * empty it is refilled with {@code batchcount} objects under the cache spinlock, when full
 * {@code batchcount} objects from the bottom (the coldest) go back to their slabs.
 *
 * <p>Invariants: {@code 0 <= avail <= limit == entry.length}; {@code batchcount <= limit};
 * {@code limit == 0} means "no array cache" (the kernel's {@code cc_data(cachep) == NULL}); every
 * entry is an object of the owning cache in state {@link Slab#OBJ_CPU}, counted in its slab's
 * {@code inuse} and in no other array cache.
 *
 * <p>Concurrency: the kernel protects a CPU's array by disabling interrupts, which suffices
 * because only that CPU touches it. Here two threads may share a CPU id, so every field is
 * guarded by {@link #lock}: uncontended in the common case (one CAS in, one release out), correct
 * under the collision, and taken by other CPUs' threads when they drain or tune the cache. Lock
 * order: an array cache's lock before its cache's spinlock, never the other way; a thread holds
 * at most one array cache lock except in {@code checkInvariants} and {@code destroy}, which take
 * them all in CPU order.
 *
 * <p>Where it differs from the kernel: the array lives on the Java heap ({@code long[]}), and the
 * kernel's {@code kmalloc}ed {@code cpucache_t} is still allocated from the general caches
 * ({@link #backing}) so that the memory the arrays cost shows in {@code /proc/slabinfo} as in
 * 2.4. Statistics are per CPU, under the lock, where 2.4 keeps atomic counters per cache.
 */
final class ArrayCache extends ArrayCacheFields {
    // Trailing padding: see ArrayCachePad.
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

/**
 * Leading padding of an {@link ArrayCache}: 128 bytes on each side of its fields keep two CPUs'
 * arrays (and the lock objects allocated beside them) off each other's cache lines and the
 * adjacent-line prefetch pair. FastPathBench showed the need: with two threads on two CPUs,
 * kmem_cache_alloc+free of one cache cost 2.5x the one-thread time when the arrays shared lines.
 * The JVM lays out a superclass's fields before a subclass's, so the padding goes in the classes
 * around the one holding the fields.
 */
abstract class ArrayCachePad {
    long p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
    long p09;
    long p10;
    long p11;
    long p12;
    long p13;
    long p14;
    long p15;
}

/** The fields of {@link ArrayCache}, between its two paddings. */
abstract class ArrayCacheFields extends ArrayCachePad {
    static final long[] EMPTY = new long[0];

    final ReentrantLock lock = new ReentrantLock();
    final int cpu;
    long[] entry = EMPTY;
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
}
