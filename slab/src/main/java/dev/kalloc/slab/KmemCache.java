// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.kernel.SpinLock;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.PhysicalMemory;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code kmem_cache_t} of mm/slab.c (Linux 2.4.15 / 2.5.1): a cache of equal-sized objects cut
 * from slabs of contiguous pages, with {@code kmem_cache_alloc}, {@code kmem_cache_free},
 * {@code kmem_cache_shrink}, {@code kmem_cache_destroy}, {@code kmem_cache_grow},
 * {@code kmem_slab_destroy}, the per-CPU array caches ({@code kmem_cache_alloc_batch},
 * {@code free_block}, {@code kmem_tune_cpucache}) and the 2.4 debugging code (red zones,
 * poisoning). Caches are created by {@link SlabAllocator#kmemCacheCreate}.
 *
 * <h2>Where the code lives</h2>
 * This class is the cache core: the fields of {@code kmem_cache_t}, the allocation and free
 * paths, growing, shrinking, reaping, tuning and destroying. Package-private classes keep
 * what the kernel also keeps apart:
 * <ul>
 *   <li>{@link SlabDebug}: the {@code #if DEBUG} blocks, red zones and poison.</li>
 *   <li>{@link KmemCacheCheck}: the full check of the invariants below, for quiescent points.</li>
 *   <li>{@link KmemCacheStats}: the read side, {@code /proc/slabinfo} and the statistics; the
 *       counters themselves stay here, where the paths that bump them are.</li>
 * </ul>
 *
 * <h2>Objects</h2>
 * An object is a physical address ({@code long}; 0 is NULL: pfn 0 is reserved, so it is never an
 * object). A typed cache (created with a {@link SlabObject.Factory}) also keeps one Java object
 * per slot, built once when the slab grows and handed out again by every allocation of that
 * slot: {@link #allocObject(int)} / {@link #freeObject(SlabObject)} allocate nothing once the
 * cache is warm. The hot paths of both kinds allocate nothing: array caches are {@code long[]},
 * free-lists {@code int[]}, slot objects an array per slab.
 *
 * <h2>Allocation and free</h2>
 * Allocation pops this CPU's array cache (LIFO, the most recently freed object first); an empty
 * array is refilled with {@code batchcount} objects from the first partial slab, else the first
 * free slab (which becomes partial); with no slab to take from the cache grows by one slab and
 * tries again. Freeing pushes onto this CPU's array; a full array first returns
 * {@code batchcount} objects from its bottom to their slabs. Without an array cache ({@code limit}
 * 0, and objects over a page) both go straight to the slab lists. A slab moves to the head of
 * {@code slabs_full} when its last object goes, to the head of {@code slabs_partial} when a full
 * slab gets one back, and to the head of {@code slabs_free} when it is empty; new slabs are added
 * at the tail of {@code slabs_free}, and shrinking and reaping destroy slabs from that tail.
 *
 * <h2>Invariants ({@link #checkInvariants()})</h2>
 * <ol>
 *   <li>Every object of every slab is in exactly one place: on its slab's bufctl free-list
 *       ({@link Slab#OBJ_FREE}), in exactly one per-CPU array ({@link Slab#OBJ_CPU}), or
 *       allocated to a caller ({@link Slab#OBJ_ALLOC}).</li>
 *   <li>Full slabs have {@code inuse == num}, partial ones {@code 0 < inuse < num}, free ones
 *       {@code inuse == 0}; {@code numActive} is the sum of {@code inuse}.</li>
 *   <li>Every page of every slab has {@code PG_slab} set and points back to this cache and its
 *       slab; its head page is an allocated block of {@code gfporder}.</li>
 *   <li>Array caches: {@code avail <= limit}, {@code batchcount <= limit}, batch positive when
 *       the limit is.</li>
 * </ol>
 * The O(1) parts of 2 and 4 ({@link #slabListedLocked}, {@link #arrayHoldsLocked}) are asserted
 * where a slab changes lists and where an array cache is refilled, flushed or tuned (tests run
 * with {@code -ea}). The per-CPU hits of {@link #alloc(int)} and {@link #free(long)} carry
 * none: they keep the bytecode they had, so the JIT inlines them as before.
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>{@code spinlock} ({@code cachep->spinlock}, a {@link SpinLock}: not reentrant) guards
 *       the three slab lists, every slab's {@code inuse}/{@code free}/bufctl,
 *       {@code colourNext}, {@code growing}, {@code dflags}, {@code dead}, the statistics and
 *       the tunables' mirrors.</li>
 *   <li>Each per-CPU {@link ArrayCache} has its own lock; lock order is array cache, then
 *       spinlock. No slab lock is held while the page allocator is called (it may reclaim, and
 *       reclaim reaps caches), while a constructor or destructor runs, or while another cache is
 *       entered; {@code growing} keeps shrink and reap away from a cache whose lock was dropped
 *       to grow.</li>
 *   <li>{@code setupLock} serialises {@link #tune} and {@link #destroy}, which allocate and free
 *       the array caches' backing memory.</li>
 *   <li>The chain links belong to {@link SlabAllocator} and are guarded by its chain lock.</li>
 * </ul>
 *
 * <h2>Where it differs from the kernel, and why</h2>
 * <ul>
 *   <li>Each object has a state byte next to the bufctl array, so a double free is caught always
 *       (2.4 only walks the slab's free list with {@code SLAB_DEBUG_FREE}, and never sees an
 *       object that sits in an array cache), and every misuse is reported before anything
 *       changes: a {@link SlabBug} leaves the object where it was.</li>
 *   <li>Red-zone and poison checks run at the outermost free and allocation (as 2.6's
 *       {@code cache_free_debugcheck} does), not when objects move between the slabs and the
 *       array caches as in 2.4, so a use after free is caught even for objects that never left
 *       the array cache. The poison check compares every byte (2.6); 2.4 only searched for the
 *       end marker with {@code memchr}.</li>
 *   <li>{@code free_block} on a full array cache returns the {@code batchcount} objects at the
 *       bottom of the array (the coldest), as 2.5 and 2.6 do; 2.4.15's {@code
 *       __kmem_cache_free} returned the top ones.</li>
 *   <li>{@link #destroy()} checks for allocated objects before touching anything and refuses
 *       with nothing freed; 2.4 shrank first and then gave up.</li>
 *   <li>A sleeping allocation from interrupt context is reported on every call, not only when
 *       the cache has to grow.</li>
 * </ul>
 *
 * @param <T> the typed object class of a typed cache; {@link SlabObject} for a plain cache
 */
public final class KmemCache<T extends SlabObject> {
    private static final int WORD = SlabAllocator.BYTES_PER_WORD;

    private final SlabAllocator allocator;
    private final Machine machine;
    private final PhysicalMemory memory;
    private final PageAllocator pageAlloc;

    private final String name;
    private final int objsize;
    private final int flags;
    private final int num;
    private final int gfporder;
    private final int gfpflags;
    private final int colour;
    private final int colourOff;
    private final int slabSize;
    private final int leftOver;
    private final KmemCache<?> slabpCache;
    private final SlabCtor ctor;
    private final SlabCtor dtor;
    private final SlabObject.Factory<T> factory;
    /** Bytes from the start of a slot to the object: one word when red-zoned, else 0. */
    private final int redOff;
    /** {@code kmem_cache_size}: object bytes the caller may use. */
    private final int usable;
    /** Red zones and poison ({@code #if DEBUG}); present in every cache, acting only when flagged. */
    private final SlabDebug debug;
    /** Red zones or poison: the array hits skip straight past all of it when false. */
    private final boolean debugChecks;
    private final boolean debugInitial;
    private final boolean general;
    private final boolean cacheCache;
    /** This cache's {@code kmem_cache_t} in {@code cache_cache}; 0 for {@code cache_cache} itself. */
    private final long descAddr;
    /**
     * Division by {@code objsize} as a multiply and a shift ({@link #divMagic}): a hardware divide
     * costs tens of cycles, and every alloc+free needed two or three of them.
     */
    private final long divMagic;
    private final int divShift;

    final SpinLock spinlock = new SpinLock();
    final SlabList slabsFull = new SlabList("slabs_full");
    final SlabList slabsPartial = new SlabList("slabs_partial");
    final SlabList slabsFree = new SlabList("slabs_free");
    private int colourNext;
    private int growing;
    private int dflags;
    /*
     * The spinlock guards the fields below too; they are package-private where KmemCacheCheck and
     * KmemCacheStats read them (under the same lock).
     */
    boolean dead;
    long numActive;
    long numAllocations;
    long highMark;
    long grown;
    long reaped;
    long growFailures;
    int limit;
    int batchcount;

    final ArrayCache[] cpudata;
    /** The read side: {@code /proc/slabinfo} and the statistics. */
    final KmemCacheStats stats = new KmemCacheStats(this);
    private final ReentrantLock setupLock = new ReentrantLock();
    private volatile boolean failslab;

    /** {@code cachep->next} on the cache chain, guarded by the allocator's chain lock. */
    KmemCache<?> chainNext;
    KmemCache<?> chainPrev;

    KmemCache(SlabAllocator allocator, String name, SlabGeometry g, KmemCache<?> slabpCache, SlabCtor ctor,
            SlabCtor dtor, SlabObject.Factory<T> factory, boolean general, boolean cacheCache, long descAddr) {
        this.allocator = allocator;
        this.machine = allocator.machine();
        this.memory = machine.memory();
        this.pageAlloc = machine.pageAlloc();
        this.name = name;
        this.objsize = g.objsize;
        this.flags = g.flags;
        this.num = g.num;
        this.gfporder = g.gfporder;
        this.gfpflags = (g.flags & SlabFlags.SLAB_CACHE_DMA) != 0 ? Gfp.GFP_DMA : 0;
        this.colour = g.colour;
        this.colourOff = g.colourOff;
        this.slabSize = g.slabSize;
        this.leftOver = g.leftOver;
        this.slabpCache = slabpCache;
        this.ctor = ctor;
        this.dtor = dtor;
        this.factory = factory;
        this.debugInitial = (g.flags & SlabFlags.SLAB_DEBUG_INITIAL) != 0;
        this.redOff = (g.flags & SlabFlags.SLAB_RED_ZONE) != 0 ? WORD : 0;
        this.usable = objsize - 2 * redOff;
        this.debug = new SlabDebug(name, memory, g.flags, usable);
        this.debugChecks = debug.redZone || debug.poison;
        this.general = general;
        this.cacheCache = cacheCache;
        this.descAddr = descAddr;
        this.divShift = divShift(g.objsize, g.gfporder);
        this.divMagic = divMagic(g.objsize, g.gfporder);
        this.cpudata = new ArrayCache[machine.config().nrCpus()];
        for (int cpu = 0; cpu < cpudata.length; cpu++) {
            cpudata[cpu] = new ArrayCache(cpu);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Allocation
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_alloc(cachep, flags)}: allocates one object.
     *
     * <p>Context: may sleep if {@code flags} has {@code __GFP_WAIT} and the cache has to grow;
     * then it must not be called from interrupt context. Returns 0 if no object is free and the
     * cache cannot grow: the page allocator failed (always possible without {@code __GFP_WAIT}),
     * {@link SlabFlags#SLAB_NO_GROW} was given, or failslab injected a failure.
     *
     * @param flags {@code SLAB_KERNEL}, {@code SLAB_ATOMIC}, ... ({@code GFP_DMA} exactly when
     *        the cache is a DMA cache), optionally with {@link SlabFlags#SLAB_NO_GROW}
     * @return the object's physical address, or 0
     * @throws IllegalArgumentException for unknown flag bits
     * @throws SlabBug for a sleeping allocation from interrupt context, a DMA mismatch, a
     *         destroyed cache, or a free object found corrupted (red zone or poison)
     */
    public long alloc(int flags) {
        if ((flags & ~SlabFlags.ALLOC_VALID_MASK) != 0) {
            throw badAllocFlags(flags);
        }
        Task task = machine.current();
        if (((flags & Gfp.__GFP_WAIT) != 0 && task.inInterrupt()) || ((flags ^ gfpflags) & Gfp.__GFP_DMA) != 0) {
            allocHead(flags, task); // throws the SlabBug that says which
        }
        if (allocator.failslab().shouldFail(this, flags)) {
            return 0;
        }
        ArrayCache cc = cpudata[task.cpu()];
        if (!debugChecks) {
            // The per-CPU hit (kmem_cache_alloc_one's cc_entry pop), straight through; a miss,
            // a cache without arrays and the debug checks go the general way below.
            cc.lock();
            try {
                int avail = cc.avail;
                if (avail > 0) {
                    int top = avail - 1;
                    long objp = cc.entry[top];
                    cc.avail = top;
                    cc.allochit++;
                    cc.entrySlab[top].setState(cc.entryIdx[top], Slab.OBJ_ALLOC);
                    return objp;
                }
            } finally {
                cc.unlock();
            }
        }
        return allocSlow(flags, cc);
    }

    private IllegalArgumentException badAllocFlags(int flags) {
        return new IllegalArgumentException(String.format("kmem_cache_alloc(%s): flags 0x%x have unknown bits 0x%x",
                name, flags, flags & ~SlabFlags.ALLOC_VALID_MASK));
    }

    /** Everything but the array hit: refill, grow, no array cache, red zones and poison. */
    private long allocSlow(int flags, ArrayCache cc) {
        for (;;) {
            long objp;
            cc.lock();
            try {
                objp = cc.limit != 0 ? allocFromArray(cc) : allocFromSlabs();
            } finally {
                cc.unlock();
            }
            if (objp != 0) {
                return objp;
            }
            if (!grow(flags)) {
                return 0;
            }
            // Grown: someone may take the new objects before we get back; then we grow again.
        }
    }

    /** {@code kmem_cache_alloc_head} plus the interrupt check of {@code kmem_cache_grow}. */
    private void allocHead(int flags, Task task) {
        if ((flags & Gfp.__GFP_WAIT) != 0 && task.inInterrupt()) {
            throw new SlabBug(name, 0, "kmem_cache_alloc(" + name + ", " + Gfp.toString(flags)
                    + "): sleeping allocation from interrupt context in " + task);
        }
        if (((flags ^ gfpflags) & Gfp.__GFP_DMA) != 0) {
            throw new SlabBug(name, 0, "kmem_cache_alloc(" + name + ", " + Gfp.toString(flags) + "): "
                    + ((flags & Gfp.__GFP_DMA) != 0 ? "GFP_DMA from a cache that is not a DMA cache"
                    : "a DMA cache needs GFP_DMA"));
        }
    }

    /** The array-cache fast path; the caller holds {@code cc.lock}. Returns 0 if the slabs are empty. */
    private long allocFromArray(ArrayCache cc) {
        if (cc.avail == 0) {
            cc.allocmiss++;
            refill(cc);
            if (cc.avail == 0) {
                return 0;
            }
        } else {
            cc.allochit++;
        }
        int top = cc.avail - 1;
        long objp = cc.entry[top];
        Slab slabp = cc.entrySlab[top];
        int idx = cc.entryIdx[top];
        if (debugChecks) {
            debug.checkFreeObject(objp, "kmem_cache_alloc");
        }
        cc.avail = top;
        slabp.setState(idx, Slab.OBJ_ALLOC);
        if (debugChecks) {
            debug.markAllocated(objp);
        }
        return objp;
    }

    /**
     * {@code kmem_cache_alloc_batch}: moves up to {@code batchcount} objects from the slabs into
     * {@code cc}. The caller holds {@code cc.lock}.
     */
    private void refill(ArrayCache cc) {
        int batch = cc.batchcount;
        spinlock.lock();
        try {
            while (batch-- > 0) {
                Slab slabp = slabsPartial.first();
                if (slabp == null) {
                    slabp = slabsFree.first();
                    if (slabp == null) {
                        break;
                    }
                    slabsFree.moveFirst(slabp, slabsPartial);
                }
                int idx = takeLocked(slabp);
                slabp.setState(idx, Slab.OBJ_CPU);
                cc.push(objAddr(slabp, idx), slabp, idx);
            }
        } finally {
            spinlock.unlock();
        }
        assert arrayHoldsLocked(cc);
    }

    /**
     * {@code kmem_cache_alloc_one} for a cache without an array cache. The object is checked
     * before its slab changes lists, so a corrupted object leaves everything as it was.
     */
    private long allocFromSlabs() {
        spinlock.lock();
        try {
            Slab slabp = slabsPartial.first();
            if (slabp == null) {
                slabp = slabsFree.first();
                if (slabp == null) {
                    return 0;
                }
            }
            long objp = objAddr(slabp, slabp.free);
            if (debugChecks) {
                debug.checkFreeObject(objp, "kmem_cache_alloc");
            }
            if (slabp.list == slabsFree) {
                slabsFree.moveFirst(slabp, slabsPartial);
            }
            int idx = takeLocked(slabp);
            slabp.setState(idx, Slab.OBJ_ALLOC);
            if (debugChecks) {
                debug.markAllocated(objp);
            }
            return objp;
        } finally {
            spinlock.unlock();
        }
    }

    /**
     * {@code kmem_cache_alloc_one_tail}: takes the first free object of a partial slab.
     * Requires the spinlock, {@code slabp} on {@code slabs_partial} and {@code slabp.free != END}.
     */
    private int takeLocked(Slab slabp) {
        assert slabp.list == slabsPartial && slabp.free != Slab.BUFCTL_END : slabp + " of " + name
                + " has no free object or is not partial";
        numAllocations++;
        if (++numActive > highMark) {
            highMark = numActive;
        }
        slabp.inuse++;
        int idx = slabp.free;
        slabp.free = slabp.bufctl[idx];
        if (slabp.free == Slab.BUFCTL_END) {
            slabsPartial.moveFirst(slabp, slabsFull);
        }
        assert slabListedLocked(slabp);
        return idx;
    }

    /**
     * Typed {@code kmem_cache_alloc}: allocates an object and returns its slot's Java object, the
     * same one every time that slot is allocated. Context and failure as for {@link #alloc(int)}.
     *
     * @return the typed object, or null where {@link #alloc(int)} returns 0
     * @throws IllegalStateException if the cache was created without a factory
     */
    public T allocObject(int flags) {
        requireTyped();
        long objp = alloc(flags);
        if (objp == 0) {
            return null;
        }
        Slab slabp = slabOf(objp);
        return typed(slabp.objects[indexOf(slabp, objp)]);
    }

    /**
     * The typed object bound to the allocated object at {@code objp}.
     *
     * @throws SlabBug if {@code objp} is not an allocated object of this cache
     */
    public T object(long objp) {
        requireTyped();
        Slab slabp = lookup(objp, "object");
        int idx = indexOf(slabp, objp);
        if (slabp.state(idx) != Slab.OBJ_ALLOC) {
            throw bug(objp, String.format("object(%s, 0x%x): the object is %s, not allocated", name, objp,
                    Slab.stateName(slabp.state(idx))));
        }
        return typed(slabp.objects[idx]);
    }

    /**
     * True if {@code objp} is an object of this cache currently handed out to a caller (not free
     * in its slab, not parked in an array cache). For debugging and tests; does not sleep.
     *
     * @throws SlabBug if {@code objp} is not the start of an object of this cache
     */
    public boolean isAllocated(long objp) {
        Slab slabp = lookup(objp, "isAllocated");
        return slabp.state(indexOf(slabp, objp)) == Slab.OBJ_ALLOC;
    }

    @SuppressWarnings("unchecked")
    private T typed(SlabObject o) {
        return (T) o;
    }

    private void requireTyped() {
        if (factory == null) {
            throw new IllegalStateException("cache " + name + " has no typed objects: it was created without a "
                    + "SlabObject.Factory; use alloc/free with addresses");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Free
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_free(cachep, objp)}: gives an object back. With a constructor, the object
     * must be in its constructed state. Never sleeps; any context.
     *
     * <p>NULL (address 0) is a bug, not a no-op: 2.4's {@code kmem_cache_free} has no NULL check
     * and carries the pointer into the free path (an oops, or a NULL parked in the per-CPU array
     * for a later allocation to hand out). Only {@link SlabAllocator#kfree} takes 0 as "nothing".
     *
     * @throws SlabBug for NULL, an address outside any slab, an object of another cache (a free
     *         into the wrong cache), an address that is not the start of an object, a double
     *         free, or an overwritten red zone; nothing is changed
     */
    public void free(long objp) {
        free(objp, "kmem_cache_free");
    }

    void free(long objp, String who) {
        Slab slabp = lookup(objp, who);
        freeChecked(slabp, indexOf(slabp, objp), objp, who);
    }

    /** {@code kfree}'s way in: it has looked the page up already to find this cache. */
    void free(Page page, long objp, String who) {
        Slab slabp = lookup(page, objp, who);
        freeChecked(slabp, indexOf(slabp, objp), objp, who);
    }

    /**
     * Typed {@code kmem_cache_free}: gives back the object {@link #allocObject(int)} returned.
     * Null is a bug, as NULL is for {@link #free(long)}.
     *
     * @throws SlabBug as for {@link #free(long)} (null included), and for an object of a slab
     *         that has since been destroyed (a stale typed object); nothing is changed
     * @throws IllegalStateException if the cache has no typed objects
     */
    public void freeObject(T obj) {
        requireTyped();
        if (obj == null) {
            throw nullObject("kmem_cache_free");
        }
        if (obj.cache() != this) {
            throw bug(obj.address(), String.format("kmem_cache_free(%s, 0x%x): the object belongs to cache %s: "
                    + "free into the wrong cache", name, obj.address(), obj.cache().name()));
        }
        long objp = obj.address();
        Slab slabp = lookup(objp, "kmem_cache_free");
        int idx = indexOf(slabp, objp);
        if (slabp.objects[idx] != obj) {
            throw bug(objp, String.format("kmem_cache_free(%s, 0x%x): %s is a stale typed object of a slab "
                    + "that was destroyed; the slot now has another", name, objp, obj));
        }
        freeChecked(slabp, idx, objp, "kmem_cache_free");
    }

    private void freeChecked(Slab slabp, int idx, long objp, String who) {
        byte s = slabp.state(idx);
        if (s != Slab.OBJ_ALLOC) {
            throw doubleFree(who, objp, s);
        }
        if (debugInitial) {
            ctor.apply(objp, this, SlabFlags.SLAB_CTOR_CONSTRUCTOR | SlabFlags.SLAB_CTOR_VERIFY);
        }
        ArrayCache cc = cpudata[machine.current().cpu()];
        if (!debugChecks) {
            // The per-CPU hit: room in the array. The CAS is what catches a double free racing
            // on another CPU (that one holds another array's lock): exactly one of them wins.
            cc.lock();
            try {
                int avail = cc.avail;
                if (avail < cc.limit) {
                    if (!slabp.casState(idx, Slab.OBJ_ALLOC, Slab.OBJ_CPU)) {
                        throw doubleFree(who, objp, slabp.state(idx)); // raced with another free of it
                    }
                    cc.push(objp, slabp, idx);
                    cc.freehit++;
                    return;
                }
            } finally {
                cc.unlock();
            }
        }
        freeSlow(slabp, idx, objp, who, cc);
    }

    /** Everything but the array hit: a full array, no array cache, red zones and poison. */
    private void freeSlow(Slab slabp, int idx, long objp, String who, ArrayCache cc) {
        cc.lock();
        try {
            if (debug.redZone) {
                if (slabp.state(idx) != Slab.OBJ_ALLOC) {
                    throw doubleFree(who, objp, slabp.state(idx)); // raced with another free of it
                }
                debug.checkRedZones(objp, SlabAllocator.RED_MAGIC2, who);
            }
            boolean toArray = cc.limit != 0;
            if (!slabp.casState(idx, Slab.OBJ_ALLOC, toArray ? Slab.OBJ_CPU : Slab.OBJ_FREE)) {
                throw doubleFree(who, objp, slabp.state(idx)); // raced with another free of it
            }
            if (debugChecks) {
                debug.markFree(objp);
            }
            if (toArray) {
                if (cc.avail < cc.limit) {
                    cc.freehit++;
                } else {
                    cc.freemiss++;
                    flushArray(cc);
                }
                cc.push(objp, slabp, idx);
                assert arrayHoldsLocked(cc);
            } else {
                spinlock.lock();
                try {
                    freeOneLocked(slabp, idx);
                } finally {
                    spinlock.unlock();
                }
            }
        } finally {
            cc.unlock();
        }
    }

    /** {@code free_block} of the bottom {@code batchcount} entries of a full array. Holds {@code cc.lock}. */
    private void flushArray(ArrayCache cc) {
        int batch = cc.batchcount;
        spinlock.lock();
        try {
            freeBlockLocked(cc, batch);
        } finally {
            spinlock.unlock();
        }
        cc.dropBottom(batch);
    }

    /**
     * {@code __free_block}: returns the bottom {@code len} objects of an array cache to their
     * slabs (the caller then drops or clears them). Holds {@code cc.lock} and the spinlock.
     */
    private void freeBlockLocked(ArrayCache cc, int len) {
        for (int i = 0; i < len; i++) {
            Slab slabp = cc.entrySlab[i];
            int idx = cc.entryIdx[i];
            assert slabp == slabOf(cc.entry[i]) && idx == indexOf(slabp, cc.entry[i])
                    && slabp.state(idx) == Slab.OBJ_CPU : String.format("0x%x in an array cache of %s: slot %d says %s "
                    + "index %d, the address says %s", cc.entry[i], name, i, slabp, idx, slabOf(cc.entry[i]));
            slabp.setState(idx, Slab.OBJ_FREE);
            freeOneLocked(slabp, idx);
        }
    }

    /**
     * {@code kmem_cache_free_one} after the checks: pushes the index onto the bufctl list and
     * fixes the slab's list. Holds the spinlock; the object's state is already {@code OBJ_FREE}.
     */
    private void freeOneLocked(Slab slabp, int idx) {
        slabp.bufctl[idx] = slabp.free;
        slabp.free = idx;
        numActive--;
        int inuse = slabp.inuse;
        if (--slabp.inuse == 0) {
            slabp.list.moveFirst(slabp, slabsFree); // was partial or full, now empty
        } else if (inuse == num) {
            slabsFull.moveFirst(slabp, slabsPartial); // was full
        }
        assert slabListedLocked(slabp);
    }

    /** Drains one array cache into the slabs. Holds {@code cc.lock}. */
    private void drainLocked(ArrayCache cc) {
        if (cc.avail > 0) {
            spinlock.lock();
            try {
                freeBlockLocked(cc, cc.avail);
            } finally {
                spinlock.unlock();
            }
            cc.clear();
        }
    }

    /** {@code drain_cpu_caches}: every CPU's array cache back into the slabs. */
    void drainCpuCaches() {
        for (ArrayCache cc : cpudata) {
            cc.lock();
            try {
                drainLocked(cc);
            } finally {
                cc.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Address lookup and checks
    // ---------------------------------------------------------------------------------------

    /**
     * Finds the slab of the object at {@code objp} through the page's back-pointers
     * ({@code GET_PAGE_CACHE}/{@code GET_PAGE_SLAB}), checking that it is the start of an object
     * of this cache.
     */
    private Slab lookup(long objp, String who) {
        if (objp == 0) {
            throw nullObject(who);
        }
        return lookup(allocator.pageOf(objp), objp, who);
    }

    /** {@link #lookup(long, String)} with the page of {@code objp} (null outside RAM) in hand. */
    private Slab lookup(Page page, long objp, String who) {
        Object slab = page == null ? null : page.slab();
        if (page == null || page.slabCache() != this || !(slab instanceof Slab) || !page.testFlag(Page.PG_slab)) {
            throw notOurSlab(objp, who, page);
        }
        Slab slabp = (Slab) slab;
        long off = objp - redOff - slabp.sMem;
        // off is below the slab's size here (objp lies in one of its pages), which divide needs.
        int idx = off < 0 ? num : divide(off);
        if (idx >= num || (long) idx * objsize != off) {
            throw notAnObject(objp, who, slabp, off);
        }
        return slabp;
    }

    private SlabBug nullObject(String who) {
        return bug(0, who + "(" + name + ", NULL)");
    }

    private SlabBug notOurSlab(long objp, String who, Page page) {
        if (page == null) {
            return bug(objp, String.format("%s(%s, 0x%x): out of range pointer, outside RAM", who, name, objp));
        }
        Object owner = page.slabCache();
        if (!page.testFlag(Page.PG_slab) || owner == null || page.slab() == null) {
            return bug(objp, String.format("%s(%s, 0x%x): bad pointer: %s is not a slab page", who, name, objp, page));
        }
        return bug(objp, String.format("%s(%s, 0x%x): the object belongs to cache %s: free into the wrong cache",
                who, name, objp, ((KmemCache<?>) owner).name));
    }

    private SlabBug notAnObject(long objp, String who, Slab slabp, long off) {
        return bug(objp, String.format("%s(%s, 0x%x): not the start of an object (objects of %d bytes start at "
                + "0x%x + n*%d, n < %d%s)", who, name, objp, objsize, slabp.sMem + redOff, objsize, num,
                off >= 0 && off / objsize < num ? String.format("; this is byte %d of object 0x%x", off % objsize,
                slabp.sMem + redOff + off / objsize * objsize) : ""));
    }

    private Slab slabOf(long objp) {
        return (Slab) allocator.pageOf(objp).slab();
    }

    /** The index of the object at {@code objp}, which must be an object of {@code slabp}. */
    int indexOf(Slab slabp, long objp) {
        return divide(objp - redOff - slabp.sMem);
    }

    /** {@code off / objsize} for {@code 0 <= off <} the slab's size in bytes (see {@link #divMagic}). */
    private int divide(long off) {
        return divide(off, divMagic, divShift);
    }

    // Granlund-Montgomery: for 0 <= n < 2^N and d < 2^L, with s = N + L and m = ceil(2^s / d),
    // (n * m) >>> s == n / d exactly; m < 2^(N+1), so n * m < 2^(2N+1) fits a long for the
    // N <= 12 + MAX_GFP_ORDER bits of an offset within a slab. Static and package-private so
    // that KmemCacheDivideTest checks these very lines against plain division.

    /** The shift for dividing offsets within an order-{@code gfporder} slab by {@code objsize}. */
    static int divShift(int objsize, int gfporder) {
        int nBits = PhysicalMemory.PAGE_SHIFT + gfporder;
        int lBits = 32 - Integer.numberOfLeadingZeros(objsize - 1);
        return nBits + lBits;
    }

    /** The multiplier that goes with {@link #divShift}: {@code ceil(2^shift / objsize)}. */
    static long divMagic(int objsize, int gfporder) {
        int shift = divShift(objsize, gfporder);
        return ((1L << shift) + objsize - 1) / objsize;
    }

    /** {@code off / objsize} with that cache's multiplier and shift. */
    static int divide(long off, long magic, int shift) {
        return (int) ((off * magic) >>> shift);
    }

    /** The address of object {@code idx} of {@code slabp} (past its red zone). */
    long objAddr(Slab slabp, int idx) {
        return slabp.sMem + (long) idx * objsize + redOff;
    }

    private SlabBug doubleFree(String who, long objp, byte state) {
        return bug(objp, String.format("%s(%s, 0x%x): double free: the object is already %s", who, name, objp,
                Slab.stateName(state)));
    }

    private SlabBug bug(long objp, String message) {
        return new SlabBug(name, objp, message);
    }

    // ---------------------------------------------------------------------------------------
    // Growing and destroying slabs
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_grow}: adds one slab to the tail of {@code slabs_free}. Takes no lock
     * across the page allocation; {@code growing} keeps shrink and reap away meanwhile.
     *
     * @return true if a slab was added
     */
    private boolean grow(int flags) {
        if ((flags & SlabFlags.SLAB_NO_GROW) != 0) {
            return false;
        }
        int localFlags = flags & SlabFlags.SLAB_LEVEL_MASK;
        int ctorFlags = SlabFlags.SLAB_CTOR_CONSTRUCTOR
                | ((localFlags & Gfp.__GFP_WAIT) == 0 ? SlabFlags.SLAB_CTOR_ATOMIC : 0);
        int offset;
        spinlock.lock();
        try {
            if (dead) {
                throw bug(0, "kmem_cache_alloc(" + name + "): the cache has been destroyed");
            }
            offset = colourNext * colourOff;
            if (++colourNext >= colour) {
                colourNext = 0;
            }
            dflags |= SlabFlags.DFLGS_GROWN;
            growing++;
        } finally {
            spinlock.unlock();
        }
        Page page = null;
        long mgmt = 0;
        boolean pagesMarked = false;
        boolean grew = false;
        try {
            page = pageAlloc.allocPages(localFlags | gfpflags, gfporder);
            if (page == null) {
                return false;
            }
            int colouroff = offset;
            if (offSlab()) {
                mgmt = slabpCache.alloc(localFlags);
                if (mgmt == 0) {
                    return false;
                }
            } else {
                mgmt = page.physAddr() + offset; // kmem_cache_slabmgmt: slab_t at the colour offset
                colouroff += slabSize;
            }
            Slab slabp = new Slab(page, colouroff, mgmt, num, factory != null);
            setPagesSlab(page, slabp);
            pagesMarked = true;
            initObjs(slabp, ctorFlags);
            spinlock.lock();
            try {
                growing--;
                slabsFree.addLast(slabp);
                assert slabListedLocked(slabp);
                grown++;
            } finally {
                spinlock.unlock();
            }
            grew = true;
            return true;
        } finally {
            if (!grew) {
                growFailed(page, mgmt, pagesMarked);
            }
        }
    }

    private void growFailed(Page page, long mgmt, boolean pagesMarked) {
        try {
            if (pagesMarked) {
                clearPagesSlab(page);
            }
            if (offSlab() && mgmt != 0) {
                slabpCache.free(mgmt);
            }
            if (page != null) {
                pageAlloc.freePages(page, gfporder);
            }
        } finally {
            spinlock.lock();
            try {
                growing--;
                growFailures++;
            } finally {
                spinlock.unlock();
            }
        }
    }

    private void setPagesSlab(Page head, Slab slabp) {
        for (int i = 0; i < 1 << gfporder; i++) {
            Page p = allocator.page(head.pfn() + i);
            p.setSlab(this, slabp);
            p.setFlag(Page.PG_slab);
        }
    }

    /** {@code kmem_freepages}' half: PG_slab off and back-pointers cleared before the pages go back. */
    private void clearPagesSlab(Page head) {
        for (int i = 0; i < 1 << gfporder; i++) {
            Page p = allocator.page(head.pfn() + i);
            p.clearFlag(Page.PG_slab);
            p.setSlab(null, null);
        }
    }

    /**
     * {@code kmem_cache_init_objs}: red zones, typed objects, constructor, poison, and the bufctl
     * chain 0 -> 1 -> ... -> END. If a factory or constructor throws, the objects constructed so
     * far are destructed and the exception propagates (the grow is undone by the caller).
     */
    private void initObjs(Slab slabp, int ctorFlags) {
        int constructed = 0;
        try {
            for (int i = 0; i < num; i++) {
                long objp = objAddr(slabp, i);
                debug.initObjBeforeCtor(objp);
                if (factory != null) {
                    T obj = factory.create(new SlabObject.Slot(this, objp));
                    if (obj == null || obj.address() != objp || obj.cache() != this) {
                        throw new IllegalStateException("the factory of cache " + name
                                + " must return a new object built from the Slot it was given, got " + obj);
                    }
                    slabp.objects[i] = obj;
                }
                if (ctor != null) {
                    ctor.apply(objp, this, ctorFlags);
                    constructed++;
                }
                debug.initObjAfterCtor(objp);
                slabp.bufctl[i] = i + 1;
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; dtor != null && i < constructed; i++) {
                dtor.apply(objAddr(slabp, i), this, 0);
            }
            throw e;
        }
        slabp.bufctl[num - 1] = Slab.BUFCTL_END;
        slabp.free = 0;
    }

    /**
     * {@code kmem_slab_destroy}: destructs every object and gives the pages (and an off-slab
     * descriptor) back. The slab is already unlinked and checked; no slab lock is held.
     */
    private void destroySlab(Slab slabp) {
        try {
            for (int i = 0; dtor != null && i < num; i++) {
                dtor.apply(objAddr(slabp, i), this, 0);
            }
        } finally {
            clearPagesSlab(slabp.page);
            pageAlloc.freePages(slabp.page, gfporder);
            if (offSlab()) {
                slabpCache.free(slabp.mgmt);
            }
        }
    }

    /** The debug checks of {@code kmem_slab_destroy}, before anything is unlinked. Holds the spinlock. */
    private void verifySlabLocked(Slab slabp, String who) {
        if (!debugChecks) {
            return;
        }
        for (int i = 0; i < num; i++) {
            if (slabp.state(i) != Slab.OBJ_ALLOC) {
                debug.checkFreeObject(objAddr(slabp, i), who);
            }
        }
    }

    /**
     * Destroys up to {@code max} free slabs from the tail of {@code slabs_free}, stopping if the
     * cache starts growing.
     *
     * @return slabs destroyed
     */
    private int releaseFreeSlabs(int max, boolean reaping, String who) {
        int released = 0;
        while (released < max) {
            Slab slabp;
            spinlock.lock();
            try {
                slabp = slabsFree.last();
                if (growing != 0 || slabp == null) {
                    break;
                }
                verifySlabLocked(slabp, who);
                slabsFree.remove(slabp);
                if (reaping) {
                    reaped++;
                }
            } finally {
                spinlock.unlock();
            }
            destroySlab(slabp);
            released++;
        }
        return released;
    }

    // ---------------------------------------------------------------------------------------
    // Shrink, reap, tune, destroy
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_shrink(cachep)}: drains every CPU's array cache and destroys all free
     * slabs (stopping early if the cache is growing meanwhile).
     *
     * <p>Context: process context; may not be called from interrupt context. Does not sleep.
     *
     * @return 0 if the cache holds no slabs any more, 1 if full or partial slabs remain (2.4.15)
     * @throws SlabBug from interrupt context, on a destroyed cache, or if a free object is found
     *         corrupted (the slab holding it is kept)
     */
    public int shrink() {
        if (machine.current().inInterrupt()) {
            throw bug(0, "kmem_cache_shrink(" + name + ") from interrupt context");
        }
        checkLive("kmem_cache_shrink");
        drainCpuCaches();
        releaseFreeSlabs(Integer.MAX_VALUE, false, "kmem_cache_shrink");
        spinlock.lock();
        try {
            return slabsFull.isEmpty() && slabsPartial.isEmpty() ? 0 : 1;
        } finally {
            spinlock.unlock();
        }
    }

    private void checkLive(String who) {
        spinlock.lock();
        try {
            if (dead) {
                throw bug(0, who + "(" + name + "): the cache has been destroyed (it is not on the cache chain)");
            }
        } finally {
            spinlock.unlock();
        }
    }

    /**
     * One cache of {@code kmem_cache_reap}'s scan: skips a cache that is growing or grew since the
     * last scan (clearing {@code DFLGS_GROWN}), flushes the calling CPU's array cache, and counts
     * free slabs. The caller holds the chain lock.
     *
     * @return free slabs, or -1 if the cache is skipped
     */
    int reapScan(int cpu) {
        if ((flags & SlabFlags.SLAB_NO_REAP) != 0) {
            return -1;
        }
        ArrayCache cc = cpudata[cpu];
        cc.lock();
        try {
            spinlock.lock();
            try {
                if (dead || growing != 0) {
                    return -1;
                }
                if ((dflags & SlabFlags.DFLGS_GROWN) != 0) {
                    dflags &= ~SlabFlags.DFLGS_GROWN;
                    return -1;
                }
                if (cc.avail > 0) {
                    freeBlockLocked(cc, cc.avail);
                    cc.clear();
                }
                return slabsFree.size();
            } finally {
                spinlock.unlock();
            }
        } finally {
            cc.unlock();
        }
    }

    /**
     * The end of {@code kmem_cache_reap}: destroys up to {@code slabs} free slabs from the tail.
     *
     * @return pages given back
     */
    int reapSlabs(int slabs) {
        return releaseFreeSlabs(slabs, true, "kmem_cache_reap") << gfporder;
    }

    /**
     * {@code kmem_tune_cpucache(cachep, limit, batchcount)}, what writing
     * "{@code name limit batchcount}" to {@code /proc/slabinfo} does: gives every CPU a new array
     * cache of {@code limit} entries refilled and drained {@code batchcount} at a time, after
     * returning the old arrays' objects to the slabs. A limit of 0 turns the array caches off.
     *
     * <p>Context: process context; may sleep (the arrays' backing memory is kmalloc'd with
     * GFP_KERNEL, as in 2.4).
     *
     * @return true if done, false if the backing memory could not be allocated (-ENOMEM);
     *         nothing changed then
     * @throws IllegalArgumentException unless {@code 0 <= batchcount <= limit}, {@code batchcount
     *         > 0} when {@code limit > 0}, and the array fits the largest general cache (-EINVAL)
     * @throws SlabBug on a destroyed cache
     */
    public boolean tune(int limit, int batchcount) {
        if (limit < 0 || batchcount < 0 || batchcount > limit || (limit != 0 && batchcount == 0)) {
            throw new IllegalArgumentException("kmem_tune_cpucache(" + name + ", " + limit + ", " + batchcount
                    + "): need 0 <= batchcount <= limit, and batchcount > 0 when limit > 0 (-EINVAL)");
        }
        if (limit > SlabAllocator.MAX_CPUCACHE_LIMIT) {
            throw new IllegalArgumentException("kmem_tune_cpucache(" + name + ", " + limit + ", " + batchcount
                    + "): a limit over " + SlabAllocator.MAX_CPUCACHE_LIMIT
                    + " needs a cpucache_t larger than the largest general cache (-EINVAL)");
        }
        setupLock.lock();
        try {
            checkLive("kmem_tune_cpucache");
            long[] backings = new long[cpudata.length];
            ArrayCache.Slots[] arrays = new ArrayCache.Slots[cpudata.length];
            for (int cpu = 0; cpu < cpudata.length; cpu++) {
                arrays[cpu] = limit == 0 ? ArrayCache.Slots.NONE : new ArrayCache.Slots(limit);
                if (limit > 0) {
                    backings[cpu] = allocator.kmalloc(SlabAllocator.CPUCACHE_T_SIZE + WORD * limit, Gfp.GFP_KERNEL);
                    if (backings[cpu] == 0) {
                        for (int j = 0; j < cpu; j++) {
                            allocator.kfree(backings[j]);
                        }
                        return false;
                    }
                }
            }
            spinlock.lock();
            try {
                this.limit = limit;
                this.batchcount = batchcount;
            } finally {
                spinlock.unlock();
            }
            long[] old = new long[cpudata.length];
            for (int cpu = 0; cpu < cpudata.length; cpu++) {
                ArrayCache cc = cpudata[cpu];
                cc.lock();
                try {
                    drainLocked(cc);
                    old[cpu] = cc.backing;
                    cc.install(arrays[cpu]);
                    cc.limit = limit;
                    cc.batchcount = batchcount;
                    cc.backing = backings[cpu];
                    assert arrayHoldsLocked(cc);
                } finally {
                    cc.unlock();
                }
            }
            for (long b : old) {
                if (b != 0) {
                    allocator.kfree(b);
                }
            }
            return true;
        } finally {
            setupLock.unlock();
        }
    }

    /**
     * {@code kmem_cache_destroy(cachep)}: removes an empty cache: unlinks it from the cache chain,
     * gives every slab back to the page allocator, frees its array caches and its descriptor.
     *
     * <p>Context: process context; the caller guarantees nobody allocates from the cache
     * meanwhile. Does not sleep.
     *
     * @throws SlabBug if objects are still allocated, the cache is growing, is already destroyed,
     *         is a general (kmalloc) cache or the cache of caches, is called from interrupt
     *         context, or a free object is found corrupted. Then nothing is freed and the cache
     *         stays usable.
     */
    public void destroy() {
        if (machine.current().inInterrupt()) {
            throw bug(0, "kmem_cache_destroy(" + name + ") from interrupt context");
        }
        if (general || cacheCache) {
            throw bug(0, "kmem_cache_destroy(" + name + "): " + (cacheCache ? "the cache of caches"
                    : "a general (kmalloc) cache") + " is never destroyed");
        }
        setupLock.lock();
        try {
            SlabList doomed = new SlabList("doomed");
            long[] backings = new long[cpudata.length];
            lockAllArrays();
            try {
                spinlock.lock();
                try {
                    detachForDestroyLocked(doomed, backings);
                } finally {
                    spinlock.unlock();
                }
            } finally {
                unlockAllArrays();
            }
            allocator.unlinkFromChain(this);
            for (Slab s = doomed.first(); s != null; s = doomed.first()) {
                doomed.remove(s);
                destroySlab(s);
            }
            for (long b : backings) {
                if (b != 0) {
                    allocator.kfree(b);
                }
            }
            allocator.cacheCache().free(descAddr);
        } finally {
            setupLock.unlock();
        }
    }

    /** Checks that destroy may proceed, then empties the arrays and moves every slab to {@code doomed}. */
    private void detachForDestroyLocked(SlabList doomed, long[] backings) {
        if (dead) {
            throw bug(0, "kmem_cache_destroy(" + name + "): already destroyed");
        }
        if (growing != 0) {
            throw bug(0, "kmem_cache_destroy(" + name + ") while the cache is growing");
        }
        long cached = 0;
        for (ArrayCache cc : cpudata) {
            cached += cc.avail;
        }
        long out = numActive - cached;
        if (out != 0) {
            throw bug(0, "kmem_cache_destroy(" + name + "): " + out + " object" + (out == 1 ? " is" : "s are")
                    + " still allocated; nothing was freed and the cache stays usable");
        }
        for (SlabList l : new SlabList[] {slabsFull, slabsPartial, slabsFree}) {
            for (Slab s = l.first(); s != null; s = s.next) {
                verifySlabLocked(s, "kmem_cache_destroy");
            }
        }
        dead = true;
        for (ArrayCache cc : cpudata) {
            freeBlockLocked(cc, cc.avail);
            cc.clear();
            backings[cc.cpu] = cc.backing;
            cc.backing = 0;
            cc.limit = 0;
            cc.batchcount = 0;
            cc.install(ArrayCache.Slots.NONE);
            assert arrayHoldsLocked(cc);
        }
        limit = 0;
        batchcount = 0;
        assert slabsFull.isEmpty() && slabsPartial.isEmpty() : name + " has slabs in use after draining";
        for (Slab s = slabsFree.first(); s != null; s = slabsFree.first()) {
            slabsFree.remove(s);
            doomed.addLast(s);
        }
    }

    void lockAllArrays() {
        for (ArrayCache cc : cpudata) {
            cc.lock();
        }
    }

    void unlockAllArrays() {
        for (int i = cpudata.length - 1; i >= 0; i--) {
            cpudata[i].unlock();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Invariants
    // ---------------------------------------------------------------------------------------

    /**
     * Checks every invariant of the class comment ({@link KmemCacheCheck}): each object free or
     * allocated exactly once, list membership against {@code inuse}, the bufctl chains, page
     * back-pointers, and the per-CPU arrays. O(objects). Takes every array cache lock and the
     * spinlock; call it at a quiescent point.
     *
     * @throws AssertionError naming the first broken invariant
     */
    public void checkInvariants() {
        lockAllArrays();
        try {
            spinlock.lock();
            try {
                new KmemCacheCheck(this).checkLocked();
            } finally {
                spinlock.unlock();
            }
        } finally {
            unlockAllArrays();
        }
    }

    /**
     * Invariant 2 for one slab, O(1): it is on the list its {@code inuse} says, with
     * {@code 0 <= inuse <= num}. Asserted wherever a slab changes lists or {@code inuse}; the
     * spinlock is held.
     *
     * @return true (so that it can stand in an {@code assert})
     * @throws AssertionError if not
     */
    boolean slabListedLocked(Slab slabp) {
        int inuse = slabp.inuse;
        SlabList want = inuse < 0 || inuse > num ? null
                : inuse == num ? slabsFull : inuse == 0 ? slabsFree : slabsPartial;
        if (slabp.list != want) {
            throw new AssertionError("cache " + name + ": " + slabp + " is on "
                    + (slabp.list == null ? "no list" : slabp.list.name) + " with inuse " + inuse + " of " + num);
        }
        return true;
    }

    /**
     * Invariant 4 for one array cache, O(1) ({@link ArrayCache#boundsHold()}). Asserted wherever
     * {@code avail} or the tuning changes off the per-CPU hit; {@code cc}'s lock is held.
     *
     * @return true (so that it can stand in an {@code assert})
     * @throws AssertionError if not
     */
    boolean arrayHoldsLocked(ArrayCache cc) {
        if (!cc.boundsHold()) {
            throw new AssertionError("cache " + name + ": cpu " + cc.cpu + "'s array cache: " + cc.bounds());
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------
    // Accessors, and the statistics KmemCacheStats reads
    // ---------------------------------------------------------------------------------------

    public String name() {
        return name;
    }

    /** {@code cachep->objsize}: bytes per slot, alignment and red zones included. */
    public int objsize() {
        return objsize;
    }

    /** {@code kmem_cache_size} / {@code ksize}: bytes of an object the caller may use. */
    public int ksize() {
        return usable;
    }

    /** Objects per slab ({@code cachep->num}). */
    public int num() {
        return num;
    }

    /** {@code cachep->gfporder}. */
    public int gfporder() {
        return gfporder;
    }

    public int pagesPerSlab() {
        return 1 << gfporder;
    }

    /** Creation flags plus CFLGS_*. */
    public int flags() {
        return flags;
    }

    /** {@code GFP_DMA} for a DMA cache, else 0. */
    public int gfpflags() {
        return gfpflags;
    }

    /** Number of colours ({@code cachep->colour}). */
    public int colour() {
        return colour;
    }

    /** Colour step in bytes ({@code cachep->colour_off}). */
    public int colourOff() {
        return colourOff;
    }

    /** Bytes of a slab left over after objects and on-slab management. */
    public int leftOver() {
        return leftOver;
    }

    /** {@code L1_CACHE_ALIGN(num * sizeof(kmem_bufctl_t) + sizeof(slab_t))}. */
    public int slabMgmtSize() {
        return slabSize;
    }

    /** True if the slab management lives in a general cache ({@code CFLGS_OFF_SLAB}). */
    public boolean offSlab() {
        return (flags & SlabFlags.CFLGS_OFF_SLAB) != 0;
    }

    /** The general cache off-slab descriptors come from, or null. */
    public KmemCache<?> slabpCache() {
        return slabpCache;
    }

    /** True for the kmalloc caches size-N and size-N(DMA). */
    public boolean isGeneral() {
        return general;
    }

    boolean isCacheCache() {
        return cacheCache;
    }

    boolean hasCtor() {
        return ctor != null;
    }

    /** True if the cache hands out typed objects. */
    public boolean isTyped() {
        return factory != null;
    }

    SlabAllocator allocator() {
        return allocator;
    }

    /** Address of this cache's {@code kmem_cache_t} in the {@code kmem_cache} cache (0 for that one). */
    public long descriptorAddress() {
        return descAddr;
    }

    /** The per-CPU array limit (0: no array caches). */
    public int limit() {
        spinlock.lock();
        try {
            return limit;
        } finally {
            spinlock.unlock();
        }
    }

    public int batchcount() {
        spinlock.lock();
        try {
            return batchcount;
        } finally {
            spinlock.unlock();
        }
    }

    /** Marks the cache for failslab's {@code cache-filter} ({@code SLAB_FAILSLAB}). */
    public void setFailslab(boolean on) {
        failslab = on;
    }

    boolean failslab() {
        return failslab;
    }

    /** Objects the slabs count as in use: allocated plus held in per-CPU arrays ({@code active_objs}). */
    public long activeObjs() {
        return stats.activeObjs();
    }

    /** Objects handed to callers and not yet freed. Quiescent-point statistic. */
    public long allocatedObjects() {
        return stats.allocatedObjects();
    }

    /** Objects held in every CPU's array cache. */
    public int cpuCachedObjects() {
        return stats.cpuCachedObjects();
    }

    /** Objects in CPU {@code cpu}'s array cache. */
    public int cpuCachedObjects(int cpu) {
        return stats.cpuCachedObjects(cpu);
    }

    public int fullSlabs() {
        return stats.slabs(slabsFull);
    }

    public int partialSlabs() {
        return stats.slabs(slabsPartial);
    }

    public int freeSlabs() {
        return stats.slabs(slabsFree);
    }

    /** All slabs of the cache. */
    public int numSlabs() {
        return stats.numSlabs();
    }

    /** Pages held by the cache's slabs. */
    public long pages() {
        return (long) numSlabs() << gfporder;
    }

    /** STATS: objects allocated from the slabs (array refills count each object). */
    public long numAllocations() {
        return stats.counters()[KmemCacheStats.NUM_ALLOCATIONS];
    }

    /** STATS: the most objects ever in use at once. */
    public long highMark() {
        return stats.counters()[KmemCacheStats.HIGH_MARK];
    }

    /** STATS: slabs grown. */
    public long grown() {
        return stats.counters()[KmemCacheStats.GROWN];
    }

    /** STATS: slabs destroyed by the reaper. */
    public long reaped() {
        return stats.counters()[KmemCacheStats.REAPED];
    }

    /** Grows that failed (no pages, no off-slab descriptor, or a throwing constructor). */
    public long growFailures() {
        return stats.counters()[KmemCacheStats.GROW_FAILURES];
    }

    /** STATS (SMP): allocations served by the array caches / needing a refill; frees likewise. */
    public long[] cpuStats() {
        return stats.cpuStats();
    }

    @Override
    public String toString() {
        return "kmem_cache " + name + " (objsize " + objsize + ", " + num + " per slab, order " + gfporder + ")";
    }
}
