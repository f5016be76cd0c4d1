// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * The forward-progress guarantee a driver allocates under, chosen when the driver's pools are
 * created: the one seam through which the bio layer, highmem's bounce pages and raid1's r1bios
 * get memory, so that the same driver code runs on each and a difference in a report is a
 * difference in the guarantee.
 *
 * <p>The seam speaks only of elements: a driver describes what it needs ({@link Elements}: n
 * objects of a slab cache or n blocks of an order, in which zones, allocated by which
 * {@link ElementAllocFn}/{@link ElementFreeFn} pair) and gets an {@link ElementSource}; each
 * implementation sizes itself from the description. A driver never names a mempool or a
 * reservation type, and never computes a pool size for one and a page count for the other.
 *
 * <ul>
 *   <li>{@link GuaranteeKind#MEMPOOL_2_5_1}, {@link GuaranteeKind#MEMPOOL_MODERN}: Ingo
 *       Molnar's design, the one 2.5.1 shipped: a {@code mempool} of
 *       {@link Elements#prealloc()} pre-allocated elements in front of the allocator
 *       ({@link Guarantees#mempool}).</li>
 *   <li>{@link GuaranteeKind#RESERVATION}: Ben LaHaise's: the plain allocator, called while a
 *       page reservation sized for {@link Elements#count()} elements is entered, so that an
 *       allocation the ordinary passes refuse is served from reserved memory
 *       ({@link Guarantees#reservation}).</li>
 *   <li>{@link GuaranteeKind#NONE}: the plain allocator, allowed to fail or stall: the baseline
 *       ({@link Guarantees#none}).</li>
 * </ul>
 *
 * <p>Usage, as a driver sets up one allocator ({@code guarantee} chosen by whoever builds the
 * driver, e.g. {@code GuaranteeKind.MEMPOOL_2_5_1.create(machine)}):
 * <pre>{@code
 * ElementSource<Bio> bios = guarantee.source("bio", Elements.slabObjects(bioCache, 256));
 * Bio b = bios.alloc(Gfp.GFP_NOIO);
 * bios.free(b);
 * }</pre>
 */
public interface Guarantee {
    /** Which of the four this is. */
    GuaranteeKind kind();

    /**
     * Creates a guaranteed source of the elements {@code elements} describes, sized from that
     * description (see {@link Elements}, "How each guarantee reads it").
     *
     * <p>Context: process context; may sleep (a mempool prefills with {@code GFP_KERNEL}, a
     * reservation's admission may wait for pages).
     *
     * @param name for messages and views (a mempool's or reservation's name)
     * @throws IllegalArgumentException if the description is of another machine than the
     *         guarantee's
     * @throws IllegalStateException if the guarantee cannot be set up (a pool that cannot be
     *         prefilled, a reservation that is refused); nothing is left behind
     */
    <E> ElementSource<E> source(String name, Elements<E> elements);
}
