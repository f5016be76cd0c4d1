// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabObject;
import java.util.function.Predicate;

/**
 * Ready-made allocate/free pairs over the slab allocator: {@code mempool_alloc_slab}/
 * {@code mempool_free_slab} with {@code mempool_create_slab_pool} ("mempool helpers used by
 * device mapper", 2.5.45; in 2.5.1 fs/bio.c had its own {@code slab_pool_alloc}/
 * {@code slab_pool_free}), and {@code mempool_kmalloc}/{@code mempool_kfree} with
 * {@code mempool_create_kmalloc_pool} (2.6.16), whose {@code pool_data} is the fixed size.
 *
 * <h2>Element types</h2>
 * <ul>
 *   <li>A typed cache ({@link KmemCache#isTyped()}) hands out its slot objects, reused for every
 *       allocation of a slot, so a pool of them ({@link #slabPool}) allocates nothing on any
 *       path once warm.</li>
 *   <li>A plain cache and kmalloc hand out physical addresses ({@code long}, 0 for NULL). A
 *       {@code Mempool<E>} holds references, so these pools hold {@link Long}s: every allocation
 *       from the underlying cache boxes its address (16 bytes of garbage; addresses are never
 *       small enough for the box cache). The pool itself still adds none.</li>
 * </ul>
 *
 * <h2>Owner checks</h2>
 * Each ready-made pool installs a check that reads only the element's own metadata: a typed
 * object's cache; for an address, its page's {@code PG_slab} bit and cache back-pointer (the
 * kmalloc check accepts either general cache of the size, plain or DMA). A double free is left to
 * the pool's refill scan and to {@code kmem_cache_free}, which catches it always.
 *
 * <h2>Where it differs from the kernel</h2>
 * The modern kernel refuses ({@code VM_BUG_ON}) a slab pool over a cache with a constructor.
 * The slab module does not expose whether a cache has one, so that is not checked here; 2.5-era
 * users (bio) had no such rule.
 */
public final class SlabMempools {
    private SlabMempools() {
    }

    // ---------------------------------------------------------------------------------------
    // Typed slab caches
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_alloc_slab} for a typed cache: {@code kmem_cache_alloc(cache, gfp)}. It
     * sleeps only if {@code gfp} has {@code __GFP_WAIT} and the cache must grow; null when the
     * cache cannot grow (or failslab says so).
     *
     * @throws IllegalArgumentException if {@code cache} is null or not typed
     */
    public static <T extends SlabObject> MempoolAllocFn<T> allocSlab(KmemCache<T> cache) {
        requireTyped(cache);
        return cache::allocObject;
    }

    /**
     * {@code mempool_free_slab} for a typed cache: {@code kmem_cache_free(cache, obj)}; null is a
     * {@link dev.kalloc.slab.SlabBug} as {@link KmemCache#freeObject} has it.
     */
    public static <T extends SlabObject> MempoolFreeFn<T> freeSlab(KmemCache<T> cache) {
        requireTyped(cache);
        return cache::freeObject;
    }

    /** The owner check of a typed slab pool: the object belongs to {@code cache}. */
    public static Predicate<SlabObject> ownsSlabObject(KmemCache<?> cache) {
        requireTyped(cache);
        return obj -> obj.cache() == cache;
    }

    /**
     * {@code mempool_create_slab_pool(min_nr, cache)} for a typed cache, as a builder preset with
     * the pair, the owner check and {@code machine} (whose tasks call the pool); set a policy or
     * hooks, then {@code create()}.
     */
    public static <T extends SlabObject> Mempool.Builder<T> slabPool(Machine machine, String name, int minNr,
            KmemCache<T> cache) {
        return Mempool.builder(name, minNr, allocSlab(cache), freeSlab(cache)).machine(machine)
                .ownerCheck(ownsSlabObject(cache));
    }

    private static void requireTyped(KmemCache<?> cache) {
        if (cache == null) {
            throw new IllegalArgumentException("a slab pool needs a cache");
        }
        if (!cache.isTyped()) {
            throw new IllegalArgumentException("cache " + cache.name() + " has no typed objects; use the address "
                    + "pair (allocSlabAddress/freeSlabAddress)");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Plain slab caches (addresses)
    // ---------------------------------------------------------------------------------------

    /** {@code mempool_alloc_slab} for a plain cache: the object's address, or null for 0. */
    public static MempoolAllocFn<Long> allocSlabAddress(KmemCache<?> cache) {
        requireCache(cache);
        return gfp -> box(cache.alloc(gfp));
    }

    /**
     * {@code mempool_free_slab} for a plain cache: {@code kmem_cache_free(cache, objp)}; null is
     * NULL, a {@link dev.kalloc.slab.SlabBug} as {@link KmemCache#free(long)} has it.
     */
    public static MempoolFreeFn<Long> freeSlabAddress(KmemCache<?> cache) {
        requireCache(cache);
        return objp -> cache.free(objp == null ? 0 : objp);
    }

    /** The owner check of a plain slab pool: the address lies in a slab page of {@code cache}. */
    public static Predicate<Long> ownsSlabAddress(SlabAllocator slab, KmemCache<?> cache) {
        requireCache(cache);
        Machine machine = slab.machine();
        return objp -> slabCacheOf(machine, objp) == cache;
    }

    /** {@code mempool_create_slab_pool} for a plain cache of {@code slab}, as a preset builder. */
    public static Mempool.Builder<Long> slabAddressPool(SlabAllocator slab, String name, int minNr,
            KmemCache<?> cache) {
        return Mempool.builder(name, minNr, allocSlabAddress(cache), freeSlabAddress(cache)).machine(slab.machine())
                .ownerCheck(ownsSlabAddress(slab, cache));
    }

    private static void requireCache(KmemCache<?> cache) {
        if (cache == null) {
            throw new IllegalArgumentException("a slab pool needs a cache");
        }
    }

    // ---------------------------------------------------------------------------------------
    // kmalloc of a fixed size
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_kmalloc}: {@code kmalloc(size, gfp)}, the address or null for 0. Context as
     * {@code kmalloc}: it sleeps only with {@code __GFP_WAIT}.
     *
     * @throws IllegalArgumentException unless {@code 0 < size <= KMALLOC_MAX_SIZE}
     */
    public static MempoolAllocFn<Long> kmalloc(SlabAllocator slab, int size) {
        requireSize(slab, size);
        return gfp -> box(slab.kmalloc(size, gfp));
    }

    /** {@code mempool_kfree}: {@code kfree(objp)}; null is NULL, a no-op as {@code kfree(NULL)} is. */
    public static MempoolFreeFn<Long> kfree(SlabAllocator slab) {
        if (slab == null) {
            throw new IllegalArgumentException("a kmalloc pool needs a slab allocator");
        }
        return objp -> slab.kfree(objp == null ? 0 : objp);
    }

    /**
     * The owner check of a kmalloc pool: the address lies in a slab page of the general cache
     * kmalloc uses for {@code size} (its plain or its DMA twin).
     */
    public static Predicate<Long> ownsKmalloc(SlabAllocator slab, int size) {
        requireSize(slab, size);
        Machine machine = slab.machine();
        KmemCache<?> plain = slab.kmemFindGeneralCachep(size, 0);
        KmemCache<?> dma = slab.kmemFindGeneralCachep(size, Gfp.GFP_DMA);
        return objp -> {
            Object owner = slabCacheOf(machine, objp);
            return owner != null && (owner == plain || owner == dma);
        };
    }

    /** {@code mempool_create_kmalloc_pool(min_nr, size)} as a builder preset with pair, check and machine. */
    public static Mempool.Builder<Long> kmallocPool(SlabAllocator slab, String name, int minNr, int size) {
        return Mempool.builder(name, minNr, kmalloc(slab, size), kfree(slab)).machine(slab.machine())
                .ownerCheck(ownsKmalloc(slab, size));
    }

    private static void requireSize(SlabAllocator slab, int size) {
        if (slab == null) {
            throw new IllegalArgumentException("a kmalloc pool needs a slab allocator");
        }
        if (size <= 0 || size > SlabAllocator.KMALLOC_MAX_SIZE) {
            throw new IllegalArgumentException("kmalloc pool size " + size + " is outside [1, "
                    + SlabAllocator.KMALLOC_MAX_SIZE + "]");
        }
    }

    // ---------------------------------------------------------------------------------------

    private static Long box(long objp) {
        return objp == 0 ? null : objp;
    }

    /** The slab cache owning the page at {@code objp}, or null if it is not a slab page of RAM. */
    private static Object slabCacheOf(Machine machine, long objp) {
        if (objp <= 0 || objp >= machine.memory().size()) {
            return null;
        }
        Page page = machine.physToPage(objp);
        return page.testFlag(Page.PG_slab) ? page.slabCache() : null;
    }
}
