// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.Gfp;

/**
 * The flag values of include/linux/slab.h (Linux 2.4.15 / 2.5.1) and the internal flags of
 * mm/slab.c, with the kernel's numbers, so that a mask reads the same in a kernel log and here.
 *
 * <p>Three families share the {@code int}:
 * <ul>
 *   <li>allocation flags ({@code SLAB_KERNEL}, {@code SLAB_ATOMIC}, ...): aliases of the gfp
 *       masks, passed to {@link KmemCache#alloc(int)} and {@link SlabAllocator#kmalloc(int, int)},
 *       plus {@link #SLAB_NO_GROW};</li>
 *   <li>cache flags, given to {@link SlabAllocator#kmemCacheCreate}: {@link #CREATE_MASK};</li>
 *   <li>constructor flags, passed to a {@link SlabCtor}: {@link #SLAB_CTOR_CONSTRUCTOR},
 *       {@link #SLAB_CTOR_ATOMIC}, {@link #SLAB_CTOR_VERIFY}.</li>
 * </ul>
 */
public final class SlabFlags {
    private SlabFlags() {
    }

    /* Allocation flags: the gfp masks under their slab names. */
    public static final int SLAB_NOFS = Gfp.GFP_NOFS;
    public static final int SLAB_NOIO = Gfp.GFP_NOIO;
    public static final int SLAB_NOHIGHIO = Gfp.GFP_NOHIGHIO;
    public static final int SLAB_ATOMIC = Gfp.GFP_ATOMIC;
    public static final int SLAB_USER = Gfp.GFP_USER;
    public static final int SLAB_KERNEL = Gfp.GFP_KERNEL;
    public static final int SLAB_NFS = Gfp.GFP_NFS;
    public static final int SLAB_DMA = Gfp.GFP_DMA;
    /**
     * The gfp bits a slab allocation passes on to the page allocator when the cache grows. With
     * 2.6's modifiers, as 2.6's {@code SLAB_LEVEL_MASK} has them: a modern mempool over a slab
     * cache ORs them into its mask, and they must reach {@code __alloc_pages} (a grow for a pool
     * must give up rather than loop, and must not take the emergency reserve).
     */
    public static final int SLAB_LEVEL_MASK = Gfp.__GFP_WAIT | Gfp.__GFP_HIGH | Gfp.__GFP_IO
            | Gfp.__GFP_HIGHIO | Gfp.__GFP_FS | Gfp.__GFP_NOWARN | Gfp.__GFP_NORETRY | Gfp.__GFP_NOMEMALLOC;
    /** kmem_cache_alloc flag: do not grow the cache; fail if no object is free. */
    public static final int SLAB_NO_GROW = 0x00001000;

    /* Cache flags (kmem_cache_create). */
    /** Perform (expensive) checks on free: detects a double free by walking the free list. */
    public static final int SLAB_DEBUG_FREE = 0x00000100;
    /** Call the constructor with {@link #SLAB_CTOR_VERIFY} on free, to check the object state. */
    public static final int SLAB_DEBUG_INITIAL = 0x00000200;
    /** Red zone objects: one word before and one after, checked on free and allocation. */
    public static final int SLAB_RED_ZONE = 0x00000400;
    /** Poison free objects with 0x5a (last byte 0xa5), checked on allocation. */
    public static final int SLAB_POISON = 0x00000800;
    /** Never reap this cache under memory pressure. */
    public static final int SLAB_NO_REAP = 0x00001000;
    /** Align objects on L1 cache lines. */
    public static final int SLAB_HWCACHE_ALIGN = 0x00002000;
    /** Take the cache's pages from ZONE_DMA. */
    public static final int SLAB_CACHE_DMA = 0x00004000;
    /** Alignment is required, not a hint: red zoning is refused. */
    public static final int SLAB_MUST_HWCACHE_ALIGN = 0x00008000;

    /** The cache flags kmem_cache_create accepts (the DEBUG variant: debugging is always built in). */
    public static final int CREATE_MASK = SLAB_DEBUG_FREE | SLAB_DEBUG_INITIAL | SLAB_RED_ZONE | SLAB_POISON
            | SLAB_HWCACHE_ALIGN | SLAB_NO_REAP | SLAB_CACHE_DMA | SLAB_MUST_HWCACHE_ALIGN;

    /* Internal cache flags, kept in the same word as the creation flags. */
    /** The slab descriptor and bufctl array live in a general cache, not in the slab. */
    public static final int CFLGS_OFF_SLAB = 0x010000;
    /** Order-0 on-slab cache (the kernel's unfinished optimisation; recorded, not used). */
    public static final int CFLGS_OPTIMIZE = 0x020000;

    /** Dynamic flag: the cache grew since the reaper last looked; the reaper skips it once. */
    public static final int DFLGS_GROWN = 0x000001;

    /* Constructor flags. */
    /** Always set when a constructor or destructor is called by the allocator. */
    public static final int SLAB_CTOR_CONSTRUCTOR = 0x001;
    /** The constructor must not sleep: the slab grew for an atomic allocation. */
    public static final int SLAB_CTOR_ATOMIC = 0x002;
    /** SLAB_DEBUG_INITIAL: the constructor is asked to verify the object, not to build it. */
    public static final int SLAB_CTOR_VERIFY = 0x004;

    /** Every bit {@link KmemCache#alloc(int)} accepts. */
    static final int ALLOC_VALID_MASK = Gfp.GFP_VALID_MASK | SLAB_NO_GROW;

    /** Names a set of cache flags, e.g. {@code SLAB_HWCACHE_ALIGN|CFLGS_OFF_SLAB}. */
    public static String cacheFlagsToString(int flags) {
        StringBuilder sb = new StringBuilder();
        int[] bits = {SLAB_DEBUG_FREE, SLAB_DEBUG_INITIAL, SLAB_RED_ZONE, SLAB_POISON, SLAB_NO_REAP,
            SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_MUST_HWCACHE_ALIGN, CFLGS_OFF_SLAB, CFLGS_OPTIMIZE};
        String[] names = {"SLAB_DEBUG_FREE", "SLAB_DEBUG_INITIAL", "SLAB_RED_ZONE", "SLAB_POISON",
            "SLAB_NO_REAP", "SLAB_HWCACHE_ALIGN", "SLAB_CACHE_DMA", "SLAB_MUST_HWCACHE_ALIGN", "CFLGS_OFF_SLAB",
            "CFLGS_OPTIMIZE"};
        int rest = flags;
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            sb.append(sb.length() == 0 ? "" : "|").append(String.format("0x%x", rest));
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }
}
