// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabObject;

/**
 * What a driver asks a {@link Guarantee} to guarantee, in the terms every guarantee understands:
 * what one element is made of, how many the driver may hold at once, and how an element is
 * allocated. The driver states its worst case once, in elements; each guarantee sizes itself
 * from it, so that no driver computes a pool size for one design and a page count for another.
 *
 * <h2>What an element is made of</h2>
 * Objects of a typed slab cache ({@link #slabObjects}), or blocks of {@code 2^order} pages
 * ({@link #pages}), {@link #perElement} of them per element (1 unless set), from the zones
 * {@link #zones()} names: for pages, the zone modifiers given; for slab objects, where the cache
 * takes its slabs ({@code GFP_DMA} for a {@code SLAB_CACHE_DMA} cache).
 *
 * <h2>How many</h2>
 * <ul>
 *   <li>{@link #count()}: the elements the driver may hold at once, at worst (its in-flight
 *       limit). A guarantee that reserves memory reserves for this many.</li>
 *   <li>{@link #prealloc()}: the elements a guarantee that pre-allocates keeps ready, by
 *       default {@link #count()}. Elements of a pre-allocated reserve come back after the I/O
 *       that holds them (Molnar's argument), so a driver may keep fewer ready than it holds at
 *       worst: later 2.5's bio pools scale their entries by memory, whatever their in-flight
 *       limit.</li>
 * </ul>
 *
 * <h2>How an element is allocated</h2>
 * By default an element is one object or one block, and {@link #alloc()}/{@link #free()} are the
 * bare allocator of that memory: {@code kmem_cache_alloc}/{@code kmem_cache_free}, or
 * {@code alloc_pages}/{@code __free_pages} with the zone modifiers ORed into every mask (as 2.5's
 * ISA bounce pool ORs {@code __GFP_DMA} through its {@code pool_data}). A guarantee may call that
 * memory's allocator its own way instead (a mempool uses mm/mempool.c's helpers for it).
 * A driver whose element is built of parts gives its own pair ({@link #allocatedBy}); the
 * description then says what the pair takes directly from the slab or page allocator for each
 * element. Parts it takes from other guaranteed sources (raid1's bios, from its bio set) are
 * guaranteed there, not here.
 *
 * <h2>How each guarantee reads it</h2>
 * <ul>
 *   <li>mempool: a pool of {@link #prealloc()} elements over the pair.</li>
 *   <li>reservation: an in-flight limit of {@link #count()} elements, and a reservation of the
 *       pages {@code count * perElement} objects or blocks need, in the zonelist of
 *       {@code GFP_NOIO} with the zones ORed in.</li>
 *   <li>none: the pair, called directly.</li>
 * </ul>
 *
 * <p>Usage, as a bio set describes its bios and raid1 its resync buffers:
 * <pre>{@code
 * ElementSource<Bio> bios = guarantee.source("bio",
 *         Elements.slabObjects(bioCache, inFlight).prealloc(poolEntries));
 * ElementSource<R1Bio> bufs = guarantee.source("md0-r1buf",
 *         Elements.pages(machine, NR_RESYNC_BUFS, 0)
 *                 .allocatedBy(this::r1bufPoolAlloc, this::r1bufPoolFree)
 *                 .perElement(RESYNC_PAGES));
 * }</pre>
 *
 * <p>Invariants: {@code count >= 1}, {@code prealloc >= 1}, {@code perElement >= 1} and
 * {@code count * perElement} fits an {@code int}; an element of more than one object or block
 * has its own allocator (the bare one makes one). Immutable: every method that changes the
 * description returns a new one.
 *
 * @param <E> the element type
 */
public final class Elements<E> {
    private final KmemCache<? extends SlabObject> cache;
    private final Machine machine;
    private final int order;
    private final int zones;
    private final int count;
    private final int prealloc;
    private final int perElement;
    private final ElementAllocFn<E> alloc;
    private final ElementFreeFn<E> free;
    private final boolean ownAllocator;

    private Elements(KmemCache<? extends SlabObject> cache, Machine machine, int order, int zones, int count,
            int prealloc, int perElement, ElementAllocFn<E> alloc, ElementFreeFn<E> free, boolean ownAllocator) {
        if (count < 1 || prealloc < 1 || perElement < 1) {
            throw new IllegalArgumentException("elements: count " + count + ", prealloc " + prealloc + ", perElement "
                    + perElement + "; each must be at least 1");
        }
        if ((long) count * perElement > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("elements: " + count + " elements of " + perElement + " each: too many");
        }
        if (perElement > 1 && !ownAllocator) {
            throw new IllegalArgumentException("elements of " + perElement + " objects or blocks each need their own"
                    + " allocator: call allocatedBy before perElement");
        }
        this.cache = cache;
        this.machine = machine;
        this.order = order;
        this.zones = zones;
        this.count = count;
        this.prealloc = prealloc;
        this.perElement = perElement;
        this.alloc = alloc;
        this.free = free;
        this.ownAllocator = ownAllocator;
    }

    /**
     * {@code count} objects of the typed slab cache {@code cache}, one per element, allocated by
     * {@code kmem_cache_alloc}/{@code kmem_cache_free} unless {@link #allocatedBy} says otherwise.
     *
     * @throws IllegalArgumentException if {@code cache} is null or not typed, or
     *         {@code count < 1}
     */
    public static <T extends SlabObject> Elements<T> slabObjects(KmemCache<T> cache, int count) {
        if (cache == null || !cache.isTyped()) {
            throw new IllegalArgumentException("slab elements need a typed cache, not " + cache);
        }
        return new Elements<>(cache, null, 0, cache.gfpflags() & Gfp.GFP_ZONEMASK, count, count, 1,
                cache::allocObject, cache::freeObject, false);
    }

    /**
     * {@code count} blocks of {@code 2^order} pages of {@code machine}, one per element, from the
     * zones {@code GFP_NOIO} selects (Normal, then DMA).
     *
     * @throws IllegalArgumentException for a missing machine, an order outside
     *         {@code [0, MAX_ORDER)} or {@code count < 1}
     */
    public static Elements<Page> pages(Machine machine, int count, int order) {
        return pages(machine, count, order, 0);
    }

    /**
     * As {@link #pages(Machine, int, int)}, from the zones the zone modifiers {@code zones}
     * select ({@code __GFP_DMA}: ZONE_DMA only, for an ISA device); the bare allocator ORs them
     * into every mask, so that every block, the pre-allocated ones included, lies where the
     * device reaches it.
     *
     * @throws IllegalArgumentException as above, or for bits of {@code zones} outside
     *         {@link Gfp#GFP_ZONEMASK}
     */
    public static Elements<Page> pages(Machine machine, int count, int order, int zones) {
        if (machine == null) {
            throw new IllegalArgumentException("page elements need a machine");
        }
        int maxOrder = machine.config().maxOrder();
        if (order < 0 || order >= maxOrder) {
            throw new IllegalArgumentException("page order " + order + " is outside [0, MAX_ORDER=" + maxOrder + ")");
        }
        if ((zones & ~Gfp.GFP_ZONEMASK) != 0) {
            throw new IllegalArgumentException("zones " + Gfp.toString(zones) + ": zone modifiers only");
        }
        return new Elements<>(null, machine, order, zones, count, count, 1,
                gfp -> machine.pageAlloc().allocPages(gfp | zones, order),
                page -> machine.pageAlloc().freePages(page, order), false);
    }

    /**
     * The same memory, with {@code n} elements kept ready by a guarantee that pre-allocates
     * instead of {@link #count()}.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Elements<E> prealloc(int n) {
        return new Elements<>(cache, machine, order, zones, count, n, perElement, alloc, free, ownAllocator);
    }

    /**
     * The same description, each element made of {@code units} objects or blocks; only for
     * elements with their own allocator.
     *
     * @throws IllegalArgumentException if {@code units < 1}, the total overflows, or
     *         {@code units > 1} without {@link #allocatedBy}
     */
    public Elements<E> perElement(int units) {
        return new Elements<>(cache, machine, order, zones, count, prealloc, units, alloc, free, ownAllocator);
    }

    /**
     * The same memory and counts, with elements made by {@code alloc} and given back by
     * {@code free}: for an element built of parts, or to watch the bare allocator (the workload
     * wraps {@link #alloc()} and {@link #free()} to count what they hand out).
     *
     * @throws IllegalArgumentException if either function is null
     */
    public <F> Elements<F> allocatedBy(ElementAllocFn<F> alloc, ElementFreeFn<F> free) {
        if (alloc == null || free == null) {
            throw new IllegalArgumentException("allocatedBy needs an allocate and a free function");
        }
        return new Elements<>(cache, machine, order, zones, count, prealloc, perElement, alloc, free, true);
    }

    /** Elements the driver may hold at once, at worst: what a guarantee that reserves covers. */
    public int count() {
        return count;
    }

    /** Elements a guarantee that pre-allocates keeps ready. */
    public int prealloc() {
        return prealloc;
    }

    /** Objects or blocks one element is made of. */
    public int perElement() {
        return perElement;
    }

    /** The allocate function: the driver's own, or the bare allocator of the memory. */
    public ElementAllocFn<E> alloc() {
        return alloc;
    }

    /** The free function paired with {@link #alloc()}. */
    public ElementFreeFn<E> free() {
        return free;
    }

    /** Zone modifiers ({@code __GFP_DMA}, {@code __GFP_HIGHMEM}) of the memory; 0 for the defaults. */
    public int zones() {
        return zones;
    }

    /** The slab cache whose objects make the elements, or null for blocks of pages. */
    KmemCache<? extends SlabObject> cache() {
        return cache;
    }

    /** The machine of page elements; null for slab objects. */
    Machine machine() {
        return machine;
    }

    /** The order of page elements' blocks. */
    int order() {
        return order;
    }

    /** True if {@link #alloc()} is the driver's (or a decorator's) pair, not the bare allocator. */
    boolean ownAllocator() {
        return ownAllocator;
    }

    /** Objects or blocks of the memory for every element at once: {@code count * perElement}. */
    int units() {
        return count * perElement;
    }

    @Override
    public String toString() {
        String what = cache != null ? "objects of " + cache.name() : "order-" + order + " blocks";
        return count + " elements of " + perElement + " " + what + (zones != 0 ? " in " + Gfp.toString(zones) : "")
                + ", " + prealloc + " pre-allocated" + (ownAllocator ? ", own allocator" : "");
    }
}
