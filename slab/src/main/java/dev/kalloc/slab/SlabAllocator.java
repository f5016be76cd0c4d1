// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Shrinker;
import dev.kalloc.page.Zone;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slab allocator of one {@link Machine}: mm/slab.c of Linux 2.4.15 / 2.5.1 outside the
 * cache itself. {@code kmem_cache_init}, {@code kmem_cache_sizes_init} and
 * {@code kmem_cpucache_init} (boot), {@code kmem_cache_create} and the cache chain,
 * {@code kmalloc}/{@code kfree}/{@code ksize} over the general caches, {@code kmem_cache_reap}
 * (registered as a {@link Shrinker}), {@code /proc/slabinfo} reading and writing, and failslab.
 *
 * <p>Usage:
 * <pre>{@code
 * try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
 *     SlabAllocator slab = SlabAllocator.boot(m);
 *     long p = slab.kmalloc(100, Gfp.GFP_KERNEL);        // an object of size-128
 *     m.memory().putInt(p, 42);
 *     slab.kfree(p);
 *     KmemCache<SlabObject> c = slab.kmemCacheCreate("my_cache", 48, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null);
 *     long o = c.alloc(SlabFlags.SLAB_KERNEL);
 *     c.free(o);
 *     c.destroy();
 *     System.out.print(slab.slabinfo());
 * }
 * }</pre>
 *
 * <h2>The machine being modelled</h2>
 * i386: {@link #BYTES_PER_WORD} = 4, {@code sizeof(slab_t)} = {@link #SLAB_T_SIZE} = 24 (list_head
 * 8, colouroff 4, s_mem 4, inuse 4, free 4), {@code sizeof(kmem_bufctl_t)} = 4, 4 KiB pages,
 * {@code L1_CACHE_BYTES} from the {@link SlabConfig} (32 by default), {@code sizeof(kmem_cache_t)}
 * = {@link #KMEM_CACHE_T_SIZE} = 244 (an SMP build with NR_CPUS = 32 and no STATS). With these the
 * caches have the objects per slab and pages per slab of a real 2.4.15 kernel.
 *
 * <h2>Boot</h2>
 * The cache of caches ({@code kmem_cache}) is sized by {@code kmem_cache_estimate}; the general
 * caches size-32 ... size-131072 and their "(DMA)" twins are created in size order, raising
 * {@code offslab_limit} to {@code (size - sizeof(slab_t)) / 2} after each on-slab one; machines
 * with more than 32 MiB use {@code slab_break_gfp_order} 2, smaller ones 1. Then (with per-CPU
 * caches on) every cache gets its array caches, whose backing {@code cpucache_t} memory is
 * kmalloc'd. Every cache's {@code kmem_cache_t} is an object of {@code kmem_cache}, and every
 * off-slab descriptor an object of a general cache, so the slab allocator's own overhead shows in
 * {@code /proc/slabinfo} as it does in the kernel.
 *
 * <h2>Concurrency</h2>
 * {@code chainLock} ({@code cache_chain_sem}) guards the cache chain (a circular list through the
 * caches, anchored at {@code kmem_cache}; new caches go right after it, so the chain lists the
 * newest first) and the reaper's clock hand. It is taken before any cache lock and never held
 * while allocating memory. The reaper only tries it when its caller may not sleep.
 *
 * <h2>Where it differs from the kernel</h2>
 * <ul>
 *   <li>Misuse throws ({@link SlabBug} for {@code BUG()}s, {@link IllegalArgumentException} for
 *       bad arguments) where the kernel BUG()s or printk()s and carries on: a duplicate name,
 *       SLAB_POISON with a constructor, SLAB_DEBUG_INITIAL without one, SLAB_RED_ZONE with
 *       SLAB_MUST_HWCACHE_ALIGN, and a size that fits no slab.</li>
 *   <li>Names are checked more than 2.4 checked them (it wanted only a non-null name shorter
 *       than {@code CACHE_NAMELEN - 1} and unique): an empty one, one starting or ending with a
 *       space, and white space other than a space inside are refused, so that every name reads
 *       back from {@code /proc/slabinfo}. Spaces inside are allowed, as 2.4 allowed them
 *       ("{@code file lock cache}", "{@code dnotify cache}").</li>
 *   <li>{@code ksize} (2.6) is provided; 2.4 only has {@code kmem_cache_size}.</li>
 *   <li>{@code /proc/slabinfo} prints 2.4's "version: 1.1" layout by default and 2.6's
 *       "version: 2.1" on request ({@link SlabinfoFormat}); see {@link #writeSlabinfo(String)}
 *       for how writing it differs.</li>
 * </ul>
 */
public final class SlabAllocator {
    /** {@code BYTES_PER_WORD} on i386. */
    public static final int BYTES_PER_WORD = 4;
    /** {@code sizeof(slab_t)} on i386. */
    public static final int SLAB_T_SIZE = 24;
    /** {@code sizeof(kmem_bufctl_t)}. */
    public static final int BUFCTL_SIZE = 4;
    /** {@code sizeof(cpucache_t)}: avail and limit. */
    public static final int CPUCACHE_T_SIZE = 8;
    /** {@code sizeof(kmem_cache_t)}, i386 SMP, NR_CPUS = 32, no STATS. */
    public static final int KMEM_CACHE_T_SIZE = 244;
    /** {@code CACHE_NAMELEN}: names must be shorter than {@code CACHE_NAMELEN - 1}. */
    public static final int CACHE_NAMELEN = 20;
    /** Objects are at most {@code PAGE_SIZE << MAX_OBJ_ORDER} bytes. */
    public static final int MAX_OBJ_ORDER = 5;
    /** Slabs are at most {@code PAGE_SIZE << MAX_GFP_ORDER} bytes. */
    public static final int MAX_GFP_ORDER = 5;
    public static final int BREAK_GFP_ORDER_LO = 1;
    public static final int BREAK_GFP_ORDER_HI = 2;
    /** Caches the reaper looks at per call. */
    public static final int REAP_SCANLEN = 10;
    /** Pages of free slabs that end the reaper's search at once. */
    public static final int REAP_PERFECT = 10;
    /** Red zone word of a free object. */
    public static final int RED_MAGIC1 = 0x5A2CF071;
    /** Red zone word of an allocated object. */
    public static final int RED_MAGIC2 = 0x170FC2A5;
    /** Fills a poisoned free object. */
    public static final byte POISON_BYTE = 0x5a;
    /** The last byte of a poisoned free object. */
    public static final byte POISON_END = (byte) 0xa5;
    /** The general cache sizes ({@code cache_sizes}, 4 KiB pages). */
    static final int[] CACHE_SIZES = {32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072};
    /** The largest kmalloc. */
    public static final int KMALLOC_MAX_SIZE = 131072;
    /** The largest array-cache limit whose {@code cpucache_t} fits in a general cache. */
    static final int MAX_CPUCACHE_LIMIT = (KMALLOC_MAX_SIZE - CPUCACHE_T_SIZE) / BYTES_PER_WORD;

    private final Machine machine;
    private final SlabConfig config;
    private final Page[] memMap;
    private final long memSize;
    final ReentrantLock chainLock = new ReentrantLock();
    private final KmemCache<SlabObject> cacheCache;
    /** {@code clock_searchp}: where the reaper starts next time. Guarded by {@code chainLock}. */
    private KmemCache<?> clockSearchp;
    /** {@code offslab_limit}; written during boot only. */
    private int offslabLimit;
    private final int slabBreakGfpOrder;
    private final KmemCache<?>[] sizeCaches = new KmemCache<?>[CACHE_SIZES.length];
    private final KmemCache<?>[] sizeDmaCaches = new KmemCache<?>[CACHE_SIZES.length];
    /** {@code g_cpucache_up}: caches created from now on get array caches at once. */
    private volatile boolean cpucacheUp;
    private final FailSlab failslab = new FailSlab();
    private final Shrinker reaper = (gfp, priority) -> kmemCacheReap(gfp);

    private SlabAllocator(Machine machine, SlabConfig config) {
        this.machine = machine;
        this.config = config;
        if (machine.config().maxOrder() <= MAX_GFP_ORDER) {
            throw new IllegalArgumentException("the slab allocator needs MAX_ORDER > " + MAX_GFP_ORDER
                    + " for its order-" + MAX_GFP_ORDER + " slabs (size-131072); the machine has MAX_ORDER "
                    + machine.config().maxOrder());
        }
        this.memSize = machine.memory().size();
        this.memMap = new Page[machine.nrPages()];
        for (Zone z : machine.zones()) {
            for (int pfn = z.startPfn(); pfn < z.startPfn() + z.size(); pfn++) {
                memMap[pfn] = z.page(pfn);
            }
        }
        this.slabBreakGfpOrder = machine.nrPages() > (32 << 20) >> PhysicalMemory.PAGE_SHIFT
                ? BREAK_GFP_ORDER_HI : BREAK_GFP_ORDER_LO;
        SlabGeometry g = SlabGeometry.cacheCache(KMEM_CACHE_T_SIZE, config.l1CacheBytes());
        this.cacheCache = new KmemCache<>(this, "kmem_cache", g, null, null, null, null, false, true, 0);
        cacheCache.chainNext = cacheCache;
        cacheCache.chainPrev = cacheCache;
        this.clockSearchp = cacheCache;
    }

    /** Boots the slab allocator with the default {@link SlabConfig}. See {@link #boot(Machine, SlabConfig)}. */
    public static SlabAllocator boot(Machine machine) {
        return boot(machine, SlabConfig.defaults());
    }

    /**
     * {@code kmem_cache_init} + {@code kmem_cache_sizes_init} + {@code kmem_cpucache_init}:
     * creates the cache of caches and the general caches, enables the per-CPU array caches, and
     * registers the reaper with the machine's reclaim. Call once per machine, from process context.
     *
     * @throws IllegalArgumentException if the machine's MAX_ORDER cannot hold order-5 slabs
     * @throws IllegalStateException if memory runs out while booting
     */
    public static SlabAllocator boot(Machine machine, SlabConfig config) {
        SlabAllocator s = new SlabAllocator(machine, config);
        s.kmemCacheSizesInit();
        if (config.cpuCaches()) {
            s.enableAllCpucaches();
        }
        machine.reclaim().registerShrinker(s.reaper);
        return s;
    }

    private void kmemCacheSizesInit() {
        for (int i = 0; i < CACHE_SIZES.length; i++) {
            int size = CACHE_SIZES[i];
            sizeCaches[i] = createBootCache("size-" + size, size, SlabFlags.SLAB_HWCACHE_ALIGN);
            if (!sizeCaches[i].offSlab()) {
                offslabLimit = (size - SLAB_T_SIZE) / 2; // "Inc off-slab bufctl limit until the ceiling is hit."
            }
            sizeDmaCaches[i] = createBootCache("size-" + size + "(DMA)", size,
                    SlabFlags.SLAB_CACHE_DMA | SlabFlags.SLAB_HWCACHE_ALIGN);
        }
    }

    private KmemCache<?> createBootCache(String name, int size, int flags) {
        KmemCache<?> c = create(name, size, 0, flags, null, null, null, true);
        if (c == null) {
            throw new IllegalStateException("slab boot: out of memory creating " + name);
        }
        return c;
    }

    /** {@code enable_all_cpucaches}: the chain is read under the lock, the arrays allocated outside it. */
    private void enableAllCpucaches() {
        cpucacheUp = true;
        for (KmemCache<?> c : caches()) {
            enableCpucache(c);
        }
    }

    /** {@code enable_cpucache}: the 2.4 limits by object size; batchcount is half the limit. */
    private static void enableCpucache(KmemCache<?> c) {
        int limit = cpucacheLimit(c.objsize());
        if (limit > 0) {
            c.tune(limit, limit / 2); // on -ENOMEM the cache works without array caches, as in 2.4
        }
    }

    /** The limit {@code enable_cpucache} gives a cache of {@code objsize} bytes (0: none). */
    static int cpucacheLimit(int objsize) {
        if (objsize > PhysicalMemory.PAGE_SIZE) {
            return 0;
        }
        if (objsize > 1024) {
            return 60;
        }
        return objsize > 256 ? 124 : 252;
    }

    // ---------------------------------------------------------------------------------------
    // kmem_cache_create
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_create(name, size, offset, flags, ctor, dtor)}: creates a cache of
     * plain objects (addresses).
     *
     * <p>Context: process context, may sleep (the cache descriptor and array caches are allocated
     * with GFP_KERNEL). Returns null if that memory cannot be had.
     *
     * @param name shown in /proc/slabinfo; unique, 1 to 18 characters; may contain spaces (as
     *        2.4's "file lock cache") but not start or end with one, nor other white space or
     *        control characters
     * @param size object size in bytes, {@code 4 <= size <= 131072}
     * @param offset colour offset step, {@code 0 <= offset <= size}; 0 means L1_CACHE_BYTES
     * @param flags SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_NO_REAP, SLAB_RED_ZONE, SLAB_POISON,
     *        SLAB_DEBUG_INITIAL, SLAB_DEBUG_FREE, SLAB_MUST_HWCACHE_ALIGN
     * @param ctor run once per object when a slab grows, or null
     * @param dtor run once per object when a slab is destroyed, or null (requires a ctor)
     * @return the cache, or null
     * @throws IllegalArgumentException for a bad name, size, offset or flags, a duplicate name, or
     *         an object too large for any slab; nothing is created
     * @throws SlabBug when called from interrupt context
     */
    public KmemCache<SlabObject> kmemCacheCreate(String name, int size, int offset, int flags, SlabCtor ctor,
            SlabCtor dtor) {
        return create(name, size, offset, flags, ctor, dtor, null, false);
    }

    /**
     * {@code kmem_cache_create} for a typed cache: like
     * {@link #kmemCacheCreate(String, int, int, int, SlabCtor, SlabCtor)}, and {@code factory}
     * builds one Java object per slot when a slab grows (before {@code ctor} runs on the slot).
     *
     * @throws IllegalArgumentException as above, or if {@code factory} is null
     */
    public <T extends SlabObject> KmemCache<T> kmemCacheCreate(String name, int size, int offset, int flags,
            SlabCtor ctor, SlabCtor dtor, SlabObject.Factory<T> factory) {
        if (factory == null) {
            throw new IllegalArgumentException("kmem_cache_create(" + name + "): a typed cache needs a factory");
        }
        return create(name, size, offset, flags, ctor, dtor, factory, false);
    }

    private <T extends SlabObject> KmemCache<T> create(String name, int size, int offset, int flags, SlabCtor ctor,
            SlabCtor dtor, SlabObject.Factory<T> factory, boolean general) {
        checkCreateArgs(name, size, offset, flags, ctor, dtor);
        if (config.forcedDebug()) {
            if (size < (PhysicalMemory.PAGE_SIZE >> 3) && (flags & SlabFlags.SLAB_MUST_HWCACHE_ALIGN) == 0) {
                flags |= SlabFlags.SLAB_RED_ZONE; // do not red zone large objects: severe fragmentation
            }
            if (ctor == null) {
                flags |= SlabFlags.SLAB_POISON;
            }
        }
        SlabGeometry g = SlabGeometry.compute(size, offset, flags, config.l1CacheBytes(), slabBreakGfpOrder,
                offslabLimit);
        if (g == null) {
            throw new IllegalArgumentException("kmem_cache_create(" + name + "): objects of " + size
                    + " bytes (flags " + SlabFlags.cacheFlagsToString(flags) + ") fit in no slab of order <= "
                    + MAX_GFP_ORDER + ": couldn't create cache");
        }
        chainLock.lock();
        try {
            if (nameTaken(name)) {
                throw duplicateName(name);
            }
        } finally {
            chainLock.unlock();
        }
        long desc = cacheCache.alloc(SlabFlags.SLAB_KERNEL);
        if (desc == 0) {
            return null;
        }
        KmemCache<?> slabp = (g.flags & SlabFlags.CFLGS_OFF_SLAB) != 0 ? kmemFindGeneralCachep(g.slabSize, 0) : null;
        KmemCache<T> c = new KmemCache<>(this, name, g, slabp, ctor, dtor, factory, general, false, desc);
        if (cpucacheUp) {
            enableCpucache(c);
        }
        boolean linked = false;
        chainLock.lock();
        try {
            if (!nameTaken(name)) {
                c.chainNext = cacheCache.chainNext; // list_add(&cachep->next, &cache_chain)
                c.chainPrev = cacheCache;
                cacheCache.chainNext.chainPrev = c;
                cacheCache.chainNext = c;
                linked = true;
            }
        } finally {
            chainLock.unlock();
        }
        if (!linked) { // raced with a create of the same name: undo ours
            if (cpucacheUp) {
                c.tune(0, 0);
            }
            cacheCache.free(desc);
            throw duplicateName(name);
        }
        return c;
    }

    private void checkCreateArgs(String name, int size, int offset, int flags, SlabCtor ctor, SlabCtor dtor) {
        String who = "kmem_cache_create(" + name + ", " + size + "): ";
        if (name == null || name.isEmpty() || name.length() >= CACHE_NAMELEN - 1) {
            String got = name == null ? "null" : name.isEmpty() ? "empty" : name.length() + " characters long";
            throw new IllegalArgumentException(who + "the name is " + got + "; it must have 1 to " + (CACHE_NAMELEN - 2)
                    + " characters (shorter than CACHE_NAMELEN - 1)");
        }
        // 2.4 took any name; these keep each one readable back from /proc/slabinfo, whose name
        // column is padded with spaces and whose lines end in a newline.
        if (name.charAt(0) == ' ' || name.charAt(name.length() - 1) == ' ') {
            throw new IllegalArgumentException(who + "the name must not start or end with a space (the "
                    + "/proc/slabinfo name column is padded with spaces)");
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch != ' ' && (Character.isWhitespace(ch) || Character.isSpaceChar(ch) || Character.isISOControl(ch))) {
                throw new IllegalArgumentException(String.format("%sthe name must not contain white space other "
                        + "than a space, nor control characters (U+%04X at %d): it is a /proc/slabinfo field", who,
                        (int) ch, i));
            }
        }
        if (machine.current().inInterrupt()) {
            throw new SlabBug(name, 0, who + "called from interrupt context");
        }
        if (size < BYTES_PER_WORD || size > (PhysicalMemory.PAGE_SIZE << MAX_OBJ_ORDER)) {
            throw new IllegalArgumentException(who + "the size must be in [" + BYTES_PER_WORD + ", "
                    + (PhysicalMemory.PAGE_SIZE << MAX_OBJ_ORDER) + "]");
        }
        if (dtor != null && ctor == null) {
            throw new IllegalArgumentException(who + "a destructor needs a constructor");
        }
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException(who + "the offset " + offset + " must be in [0, size]");
        }
        if ((flags & ~SlabFlags.CREATE_MASK) != 0) {
            throw new IllegalArgumentException(String.format("%sflags 0x%x have bits outside CREATE_MASK: 0x%x", who,
                    flags, flags & ~SlabFlags.CREATE_MASK));
        }
        if ((flags & SlabFlags.SLAB_POISON) != 0 && ctor != null) {
            throw new IllegalArgumentException(who + "SLAB_POISON with a constructor: poisoning would destroy the "
                    + "constructed state");
        }
        if ((flags & SlabFlags.SLAB_DEBUG_INITIAL) != 0 && ctor == null) {
            throw new IllegalArgumentException(who + "SLAB_DEBUG_INITIAL needs a constructor to verify with");
        }
        if ((flags & SlabFlags.SLAB_RED_ZONE) != 0 && (flags & SlabFlags.SLAB_MUST_HWCACHE_ALIGN) != 0) {
            throw new IllegalArgumentException(who + "SLAB_RED_ZONE would break the alignment SLAB_MUST_HWCACHE_ALIGN "
                    + "requires");
        }
    }

    private boolean nameTaken(String name) {
        KmemCache<?> c = cacheCache;
        do {
            if (c.name().equals(name)) {
                return true;
            }
            c = c.chainNext;
        } while (c != cacheCache);
        return false;
    }

    private static IllegalArgumentException duplicateName(String name) {
        return new IllegalArgumentException("kmem_cache_create(" + name + "): a cache of that name exists");
    }

    /** Unlinks a cache being destroyed; the reaper's clock hand moves past it. */
    void unlinkFromChain(KmemCache<?> c) {
        chainLock.lock();
        try {
            if (clockSearchp == c) {
                clockSearchp = c.chainNext;
            }
            c.chainPrev.chainNext = c.chainNext;
            c.chainNext.chainPrev = c.chainPrev;
            c.chainNext = null;
            c.chainPrev = null;
        } finally {
            chainLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------
    // kmalloc
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmalloc(size, flags)}: an object of the smallest general cache of at least
     * {@code size} bytes, from the "(DMA)" twin when {@code flags} has {@code GFP_DMA}.
     *
     * <p>Context: may sleep with {@code __GFP_WAIT}; then not from interrupt context. Returns 0
     * when {@code size} exceeds {@link #KMALLOC_MAX_SIZE} or the cache cannot grow.
     *
     * @return the object's physical address, or 0
     * @throws IllegalArgumentException for a negative size or unknown flag bits
     */
    public long kmalloc(int size, int flags) {
        if (size < 0) {
            throw new IllegalArgumentException("kmalloc(" + size + "): negative size");
        }
        int i = sizeIndex(size);
        if (i >= CACHE_SIZES.length) {
            return 0;
        }
        return ((flags & Gfp.__GFP_DMA) != 0 ? sizeDmaCaches[i] : sizeCaches[i]).alloc(flags);
    }

    /**
     * The index in {@link #CACHE_SIZES} of the smallest general cache of at least {@code size}
     * bytes (the sizes are 32 doubling), or past the end for a size over the largest: computed
     * from the highest bit rather than by the walk over the sizes 2.4 makes.
     */
    static int sizeIndex(int size) {
        return size <= CACHE_SIZES[0] ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1) - 5;
    }

    /**
     * {@code kfree(objp)}: frees an object of any cache, found from its page. Never sleeps; any
     * context.
     *
     * <p>{@code kfree(0)} does nothing and changes nothing, as 2.4's {@code kfree} returns at
     * once for NULL (callers free what a failed {@code kmalloc} returned without a check); the
     * cache form, {@link KmemCache#free(long)}, has no such check and calls 0 a bug.
     *
     * @throws SlabBug for an address outside RAM or not in a slab page, not the start of an
     *         object, a double free or an overwritten red zone; nothing is changed
     */
    public void kfree(long objp) {
        if (objp == 0) {
            return;
        }
        // The owner straight from the page, one lookup. Anything else goes through cacheOf,
        // which reads the page again and either throws the SlabBug or returns the cache that now
        // owns it: a slab grown on that page since the read above (a racing misuse) must end in
        // the cache's own checks, never in a cast of whatever was read first.
        Page page = pageOf(objp);
        Object owner = page == null ? null : page.slabCache();
        KmemCache<?> cachep = owner instanceof KmemCache<?> c && page.testFlag(Page.PG_slab) ? c
                : cacheOf(objp, "kfree");
        cachep.free(page, objp, "kfree"); // page is not null here: cacheOf throws for that
    }

    /**
     * {@code ksize(objp)} (2.6): the usable size of the object at {@code objp}; 0 for 0.
     *
     * @throws SlabBug if {@code objp} is not in a slab page
     */
    public int ksize(long objp) {
        if (objp == 0) {
            return 0;
        }
        return cacheOf(objp, "ksize").ksize();
    }

    private KmemCache<?> cacheOf(long objp, String who) {
        Page page = pageOf(objp);
        if (page == null) {
            throw new SlabBug("?", objp, String.format("%s: out of range pointer 0x%x, outside RAM", who, objp));
        }
        Object owner = page.slabCache();
        if (!page.testFlag(Page.PG_slab) || !(owner instanceof KmemCache<?> c)) {
            throw new SlabBug("?", objp, String.format("%s: bad pointer 0x%x: %s is not a slab page", who, objp, page));
        }
        return c;
    }

    /**
     * {@code kmem_find_general_cachep(size, gfpflags)}: the general cache kmalloc would use.
     *
     * @return the cache, or null if {@code size} exceeds the largest
     */
    public KmemCache<?> kmemFindGeneralCachep(int size, int gfpflags) {
        for (int i = 0; i < CACHE_SIZES.length; i++) {
            if (size <= CACHE_SIZES[i]) {
                return (gfpflags & Gfp.__GFP_DMA) != 0 ? sizeDmaCaches[i] : sizeCaches[i];
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------
    // kmem_cache_reap
    // ---------------------------------------------------------------------------------------

    /**
     * {@code kmem_cache_reap(gfp_mask)}: called by reclaim. Scans up to {@link #REAP_SCANLEN}
     * caches from the clock hand, skipping SLAB_NO_REAP caches and those that are growing or grew
     * since the last scan, flushing the calling CPU's array cache of each, and picks the one with
     * the most free-slab pages (discounted by 1/5 for a constructor and again for multi-page
     * slabs), stopping early at {@link #REAP_PERFECT}; then destroys half of its free slabs.
     *
     * <p>Context: process context. Sleeps for the chain lock only if {@code gfp} has
     * {@code __GFP_WAIT}; otherwise gives up at once if it is taken.
     *
     * @return pages given back to the page allocator
     */
    public int kmemCacheReap(int gfp) {
        if (Gfp.mayWait(gfp)) {
            chainLock.lock();
        } else if (!chainLock.tryLock()) {
            return 0;
        }
        try {
            int cpu = machine.current().cpu();
            int scan = REAP_SCANLEN;
            int bestLen = 0;
            int bestPages = 0;
            KmemCache<?> best = null;
            KmemCache<?> searchp = clockSearchp;
            boolean perfect = false;
            do {
                int fullFree = searchp.reapScan(cpu);
                if (fullFree > 0) {
                    int pages = fullFree << searchp.gfporder();
                    if (searchp.hasCtor()) {
                        pages = (pages * 4 + 1) / 5;
                    }
                    if (searchp.gfporder() > 0) {
                        pages = (pages * 4 + 1) / 5;
                    }
                    if (pages > bestPages) {
                        best = searchp;
                        bestLen = fullFree;
                        bestPages = pages;
                        if (pages >= REAP_PERFECT) {
                            clockSearchp = searchp.chainNext;
                            perfect = true;
                            break;
                        }
                    }
                }
                searchp = searchp.chainNext;
            } while (--scan > 0 && searchp != clockSearchp);
            if (!perfect) {
                clockSearchp = searchp;
            }
            if (best == null) {
                return 0;
            }
            return best.reapSlabs((bestLen + 1) / 2); // free only half of the free slabs
        } finally {
            chainLock.unlock();
        }
    }

    /** The shrinker registered with the machine's reclaim; it calls {@link #kmemCacheReap(int)}. */
    public Shrinker reaper() {
        return reaper;
    }

    // ---------------------------------------------------------------------------------------
    // /proc/slabinfo
    // ---------------------------------------------------------------------------------------

    /** The first line of {@code /proc/slabinfo} version 1.1, before " (statistics)" and " (SMP)". */
    public static final String SLABINFO_1_1_VERSION = "slabinfo - version: 1.1";

    /** The header lines of {@code /proc/slabinfo} version 2.1. */
    public static final String SLABINFO_2_1_HEADER = "slabinfo - version: 2.1\n"
            + "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
            + " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";

    /**
     * Whether the 1.1 layout has the {@code STATS} columns: 2.4 keeps the counters and prints
     * them with {@code CONFIG_DEBUG_SLAB}, which sets {@code DEBUG}, {@code STATS} and
     * {@code FORCED_DEBUG} together, so here with {@link SlabConfig#forcedDebug()}. (The port
     * keeps the counters always; {@link KmemCache} reads them whatever this says.)
     */
    public boolean slabinfoStatistics() {
        return config.forcedDebug();
    }

    /**
     * Whether the 1.1 layout is that of an SMP kernel: " (SMP)" in the header and the
     * {@code limit batchcount} columns. 2.4 decides at compile time ({@code CONFIG_SMP}), not
     * by the CPUs it finds: an SMP kernel booted on one CPU still has array caches and prints
     * them. The port models an SMP build ({@link #KMEM_CACHE_T_SIZE} has {@code batchcount} and
     * {@code cpudata[NR_CPUS]}) whose caches get array caches on any machine while
     * {@link SlabConfig#cpuCaches()} is on, so that is SMP here too, and so is every machine with
     * more than one CPU (no uniprocessor kernel runs on those). What is left, one CPU with
     * {@code cpuCaches(false)}, is the uniprocessor build {@link SlabConfig#cpuCaches()}
     * stands for. There an array cache given by {@link KmemCache#tune(int, int)} (which a
     * uniprocessor 2.4 refuses) is not shown in the 1.1 layout; the 2.1 layout shows it.
     */
    public boolean slabinfoSmp() {
        return machine.config().nrCpus() > 1 || config.cpuCaches();
    }

    /**
     * The header of {@code /proc/slabinfo} in {@code format}, with its newline: for 1.1,
     * "{@code slabinfo - version: 1.1}" with " (statistics)" if {@link #slabinfoStatistics()}
     * and " (SMP)" if {@link #slabinfoSmp()}, as {@code proc_getdata} prints it; for 2.1,
     * {@link #SLABINFO_2_1_HEADER}.
     *
     * @throws IllegalArgumentException if {@code format} is null
     */
    public String slabinfoHeader(SlabinfoFormat format) {
        if (format == null) {
            throw new IllegalArgumentException("slabinfo: the format is null; use SlabinfoFormat.V1_1 or V2_1");
        }
        if (format == SlabinfoFormat.V2_1) {
            return SLABINFO_2_1_HEADER;
        }
        return SLABINFO_1_1_VERSION + (slabinfoStatistics() ? " (statistics)" : "") + (slabinfoSmp() ? " (SMP)" : "")
                + "\n";
    }

    /**
     * Reading {@code /proc/slabinfo} as 2.4 printed it: {@link #slabinfo(SlabinfoFormat)} with
     * {@link SlabinfoFormat#V1_1}.
     */
    public String slabinfo() {
        return slabinfo(SlabinfoFormat.V1_1);
    }

    /**
     * Reading {@code /proc/slabinfo} in {@code format} ({@link SlabinfoFormat} describes both):
     * the header, then one line per cache in chain order ({@code kmem_cache} first, then the
     * newest cache first). Objects in per-CPU arrays count as active, as in the kernel. A cache
     * name may contain spaces ("{@code file lock cache}"), so a reader takes the name as the
     * text before the layout's fixed number of numeric columns, not as the first word.
     *
     * <p>Context: process context (it takes the chain lock and each cache's locks in turn);
     * never fails. Each line's slab figures are read under its cache's lock; the whole is a
     * snapshot only at a quiescent point, as in the kernel.
     *
     * @throws IllegalArgumentException if {@code format} is null
     */
    public String slabinfo(SlabinfoFormat format) {
        StringBuilder sb = new StringBuilder(slabinfoHeader(format));
        boolean statistics = slabinfoStatistics();
        boolean smp = slabinfoSmp();
        chainLock.lock();
        try {
            KmemCache<?> c = cacheCache;
            do {
                sb.append(c.stats.slabinfoLine(format, statistics, smp)).append('\n');
                c = c.chainNext;
            } while (c != cacheCache);
        } finally {
            chainLock.unlock();
        }
        return sb.toString();
    }

    /**
     * Writing "{@code name limit batchcount}" to {@code /proc/slabinfo}
     * ({@code slabinfo_write_proc}): tunes that cache's per-CPU array caches with
     * {@link KmemCache#tune(int, int)}.
     *
     * <p>The name ends at the first white space, as 2.4's {@code strchr(kbuf, ' ')} ends it, so a
     * cache whose name contains a space ("{@code file lock cache}") cannot be tuned by a write,
     * as it could not be in 2.4; call {@link KmemCache#tune(int, int)} on it. Where the port
     * differs: any white space around the line and between the fields is skipped (2.4 wanted
     * the line to start with the name and exactly one space after it, and skipped spaces only
     * before batchcount, since {@code simple_strtol} skips none), limit and batchcount must be
     * whole integers (2.4 read a leading number, or 0 if there was none, and ignored what
     * followed, so "{@code size-128 32x 16}" asked for 32/0 and failed only in the tuning), the
     * line may be longer than 2.4's {@code MAX_SLABINFO_WRITE} (128), {@code kmem_cache} itself
     * can be tuned (2.4 searched {@code cache_chain}, which starts after it), and a
     * uniprocessor configuration can tune too (2.4 returned -EINVAL without {@code CONFIG_SMP}).
     *
     * <p>Context: process context; may sleep.
     *
     * @return true if done, false on -ENOMEM (nothing changed)
     * @throws IllegalArgumentException for a malformed line, an unknown cache, or bad values
     *         (-EINVAL), with a message naming what was wrong; nothing changed
     */
    public boolean writeSlabinfo(String line) {
        if (line == null) {
            throw new IllegalArgumentException("slabinfo write: expected \"name limit batchcount\", got null");
        }
        String s = line.strip();
        int end = 0;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        String name = s.substring(0, end);
        String rest = s.substring(end).strip();
        String[] f = rest.isEmpty() ? new String[0] : rest.split("\\s+");
        if (name.isEmpty() || f.length != 2) {
            throw slabinfoWriteRefused(line, "expected \"name limit batchcount\"");
        }
        int limit;
        int batch;
        try {
            limit = Integer.parseInt(f[0]);
            batch = Integer.parseInt(f[1]);
        } catch (NumberFormatException e) {
            throw slabinfoWriteRefused(line, "limit and batchcount must be integers, got \"" + f[0] + "\" and \""
                    + f[1] + "\"");
        }
        KmemCache<?> c = kmemFindCache(name);
        if (c == null) {
            throw slabinfoWriteRefused(line, "no cache named \"" + name + "\"");
        }
        return c.tune(limit, batch);
    }

    /**
     * The refusal of a write; if the line starts with the name of a cache that has a space in
     * it, says why that cannot work, since the cause is then not in the line itself.
     */
    private IllegalArgumentException slabinfoWriteRefused(String line, String what) {
        String msg = "slabinfo write \"" + line + "\": " + what;
        String s = line.strip();
        for (KmemCache<?> c : caches()) {
            String n = c.name();
            if (n.indexOf(' ') >= 0 && s.startsWith(n)
                    && (s.length() == n.length() || Character.isWhitespace(s.charAt(n.length())))) {
                msg += "; the cache name ends at the first space, as in 2.4's slabinfo_write_proc, so \"" + n
                        + "\" cannot be tuned by a write (use KmemCache.tune)";
                break;
            }
        }
        return new IllegalArgumentException(msg);
    }

    // ---------------------------------------------------------------------------------------
    // Lookup, accounting, invariants
    // ---------------------------------------------------------------------------------------

    /** The cache named {@code name}, or null. */
    public KmemCache<?> kmemFindCache(String name) {
        chainLock.lock();
        try {
            KmemCache<?> c = cacheCache;
            do {
                if (c.name().equals(name)) {
                    return c;
                }
                c = c.chainNext;
            } while (c != cacheCache);
            return null;
        } finally {
            chainLock.unlock();
        }
    }

    /** Every cache, in chain order ({@code kmem_cache} first, newest next). */
    public List<KmemCache<?>> caches() {
        List<KmemCache<?>> list = new ArrayList<>();
        chainLock.lock();
        try {
            KmemCache<?> c = cacheCache;
            do {
                list.add(c);
                c = c.chainNext;
            } while (c != cacheCache);
        } finally {
            chainLock.unlock();
        }
        return list;
    }

    /** Pages held by all caches' slabs (what {@code PG_slab} marks). */
    public long slabPages() {
        long sum = 0;
        for (KmemCache<?> c : caches()) {
            sum += c.pages();
        }
        return sum;
    }

    /**
     * Checks every cache's invariants ({@link KmemCache#checkInvariants()}) and conservation
     * between the slab allocator and the page allocator: exactly the pages of live slabs carry
     * {@code PG_slab}, each pointing to a cache on the chain. Quiescent points only.
     *
     * @throws AssertionError naming the first broken invariant
     */
    public void checkInvariants() {
        chainLock.lock();
        try {
            long slabPages = 0;
            KmemCache<?> c = cacheCache;
            do {
                c.checkInvariants();
                slabPages += c.pages();
                if (c.chainNext.chainPrev != c) {
                    throw broken("chain links broken at " + c.name());
                }
                c = c.chainNext;
            } while (c != cacheCache);
            long marked = 0;
            for (Page p : memMap) {
                if (p.testFlag(Page.PG_slab)) {
                    marked++;
                    if (!(p.slabCache() instanceof KmemCache) || ((KmemCache<?>) p.slabCache()).chainNext == null) {
                        throw broken(p + " is PG_slab but its cache is not on the chain");
                    }
                } else if (p.slabCache() != null || p.slab() != null) {
                    throw broken(p + " has slab back-pointers without PG_slab");
                }
            }
            if (marked != slabPages) {
                throw broken("conservation: " + marked + " pages are PG_slab, the caches hold " + slabPages);
            }
        } finally {
            chainLock.unlock();
        }
    }

    private static AssertionError broken(String what) {
        return new AssertionError("slab: " + what);
    }

    /** The page containing {@code addr}, or null outside RAM. O(1), allocation-free. */
    Page pageOf(long addr) {
        if (addr < 0 || addr >= memSize) {
            return null;
        }
        return memMap[(int) (addr >>> PhysicalMemory.PAGE_SHIFT)];
    }

    Page page(int pfn) {
        return memMap[pfn];
    }

    public Machine machine() {
        return machine;
    }

    public SlabConfig config() {
        return config;
    }

    /** failslab's knobs for this allocator. */
    public FailSlab failslab() {
        return failslab;
    }

    /** {@code cache_cache}: the cache of {@code kmem_cache_t} descriptors. */
    public KmemCache<SlabObject> cacheCache() {
        return cacheCache;
    }

    /** The general cache size-{@code CACHE_SIZES[i]} or its DMA twin. */
    public KmemCache<?> generalCache(int size, boolean dma) {
        for (int i = 0; i < CACHE_SIZES.length; i++) {
            if (CACHE_SIZES[i] == size) {
                return dma ? sizeDmaCaches[i] : sizeCaches[i];
            }
        }
        throw new IllegalArgumentException("no general cache of size " + size);
    }

    /** {@code offslab_limit} as boot left it. */
    public int offslabLimit() {
        return offslabLimit;
    }

    /** {@code slab_break_gfp_order}: 2 on machines over 32 MiB, else 1. */
    public int slabBreakGfpOrder() {
        return slabBreakGfpOrder;
    }

    @Override
    public String toString() {
        return "SlabAllocator[" + config + ", " + machine + "]";
    }
}
