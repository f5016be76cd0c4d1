// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.page.Machine;
import dev.kalloc.slab.KmemCache;

/**
 * How many pages to reserve so that allocations made below a reservation find what they need:
 * {@code N} blocks of an order, or {@code N} objects of a slab cache. A reservation counts pages;
 * these helpers turn a caller's worst case into pages.
 */
public final class ReservationSizing {
    private ReservationSizing() {
    }

    /**
     * Pages for {@code count} blocks of {@code 2^order}: {@code count << order}.
     *
     * <p>A reservation promises pages, not contiguity: for {@code order > 0} an allocation from it
     * may still fail when free memory is fragmented (see
     * {@link dev.kalloc.page.PageAllocator#allocFromReserve}).
     *
     * @throws IllegalArgumentException for a negative count or order, or a result over
     *         {@code Integer.MAX_VALUE}
     */
    public static int pages(int count, int order) {
        if (count < 0 || order < 0 || order > 30) {
            throw new IllegalArgumentException("pages(" + count + ", " + order
                    + "): need count >= 0 and 0 <= order <= 30");
        }
        long pages = (long) count << order;
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pages(" + count + ", " + order + ") = " + pages + " pages: too many");
        }
        return (int) pages;
    }

    /**
     * Pages for {@code objects} objects of {@code cache} held at once by the reservation's user:
     * {@code ceil((objects + headroom) / num)} slabs of {@code 2^gfporder} pages, where
     * {@code headroom = nrCpus * limit} (the cache's per-CPU array limit as tuned now), plus, for
     * a cache whose slab descriptors live off-slab, the pages of the descriptor cache for that
     * many descriptors.
     *
     * <p>Why the headroom: the slab allocator grows a cache only when the allocating CPU's array
     * and every slab are empty of free objects, but free objects may sit in the other CPUs'
     * arrays (and this CPU's, after frees) up to {@code limit} each, where this CPU cannot reach
     * them. So the slabs may have to hold {@code objects} allocated plus up to
     * {@code nrCpus * limit} free ones before the user's next allocation is sure to find one.
     * Without the headroom a reservation sized at {@code ceil(objects / num)} slabs can run dry
     * with objects to spare, stranded on other CPUs. A cache without array caches
     * ({@code limit} 0) needs none.
     *
     * <p>The guarantee is for a cache the reservation's user allocates from alone: objects of a
     * shared cache (the kmalloc caches) that other users take come out of the same slabs. For the
     * off-slab descriptor cache, a general cache, no per-CPU headroom is added: its arrays are
     * shared with kmalloc and usually warm; size a reservation for it separately if a descriptor
     * must never be missing. Re-size after {@link KmemCache#tune}.
     *
     * @return pages; 0 for no objects
     * @throws IllegalArgumentException for a negative count, or a result over
     *         {@code Integer.MAX_VALUE}
     */
    public static int slabObjects(Machine machine, KmemCache<?> cache, int objects) {
        if (objects < 0) {
            throw new IllegalArgumentException("slabObjects(" + cache.name() + ", " + objects + "): negative count");
        }
        if (objects == 0) {
            return 0;
        }
        long headroom = (long) machine.config().nrCpus() * cache.limit();
        long slabs = slabsFor(cache, objects + headroom);
        long pages = slabs << cache.gfporder();
        if (cache.offSlab() && cache.slabpCache() != null) {
            KmemCache<?> descriptors = cache.slabpCache();
            pages += slabsFor(descriptors, slabs) << descriptors.gfporder();
        }
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("slabObjects(" + cache.name() + ", " + objects + ") = " + pages
                    + " pages: too many");
        }
        return (int) pages;
    }

    private static long slabsFor(KmemCache<?> cache, long objects) {
        int num = cache.num();
        return (objects + num - 1) / num;
    }
}
