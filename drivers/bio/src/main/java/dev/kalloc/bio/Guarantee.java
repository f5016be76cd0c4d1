package dev.kalloc.bio;

import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;

/**
 * The forward-progress guarantee a driver allocates under, chosen when the driver's pools are
 * created: the one seam through which the bio layer, highmem's bounce pages and raid1's r1bios
 * get memory, so that the same driver code runs on each and a difference in a report is a
 * difference in the guarantee.
 *
 * <ul>
 *   <li>{@link Kind#MEMPOOL}: Ingo Molnar's design, the one 2.5.1 shipped: a {@code mempool}
 *       of {@code minNr} pre-allocated elements in front of the allocator
 *       ({@link Guarantees#mempool}).</li>
 *   <li>{@link Kind#RESERVATION}: Ben LaHaise's: the plain allocator, called while a page
 *       reservation of {@code reservePages} pages is entered, so that an allocation the
 *       ordinary passes refuse is served from reserved memory ({@link Guarantees#reservation}).</li>
 *   <li>{@link Kind#NONE}: the plain allocator, allowed to fail or stall: the baseline
 *       ({@link Guarantees#none}).</li>
 * </ul>
 *
 * <p>Usage, as a driver sets up one allocator:
 * <pre>{@code
 * Guarantee g = Guarantees.mempool(machine, MempoolPolicy.LINUX_2_5_1);
 * ElementSource<Bio> bios = g.source("bio", 256,
 *         ReservationSizing.slabObjects(machine, bioCache, 256),
 *         SlabMempools.allocSlab(bioCache), SlabMempools.freeSlab(bioCache));
 * Bio b = bios.alloc(Gfp.GFP_NOIO);
 * bios.free(b);
 * }</pre>
 * A driver states both sizes, since it alone knows its worst case: {@code minNr} elements for a
 * pool, {@code reservePages} pages for a reservation; each implementation uses the one it needs.
 */
public interface Guarantee {
    /** The three implementations. */
    enum Kind {
        MEMPOOL, RESERVATION, NONE;

        /** Lower-case name for views. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Which implementation this is. */
    Kind kind();

    /**
     * Creates a guaranteed source of elements over an allocator pair.
     *
     * <p>Context: process context; may sleep (a mempool prefills with {@code GFP_KERNEL}, a
     * reservation's admission may wait for pages).
     *
     * @param name for messages and views (a mempool's or reservation's name)
     * @param minNr elements a pool keeps in reserve ({@link Kind#MEMPOOL}); the in-flight limit
     *        the reservation covers ({@link Kind#RESERVATION}: beyond it a sleeping allocation
     *        waits for a free, an atomic one fails); unused by {@link Kind#NONE}
     * @param reservePages pages to reserve (used by {@link Kind#RESERVATION})
     * @param alloc the underlying allocator, null on failure
     * @param free its free function
     * @throws IllegalStateException if the guarantee cannot be set up (a pool that cannot be
     *         prefilled, a reservation that is refused); nothing is left behind
     */
    <E> ElementSource<E> source(String name, int minNr, int reservePages, MempoolAllocFn<E> alloc,
            MempoolFreeFn<E> free);

    /**
     * As {@link #source(String, int, int, MempoolAllocFn, MempoolFreeFn)}, for elements that must
     * come from the zones {@code zoneGfp} selects (e.g. {@code GFP_NOIO | GFP_DMA}: ZONE_DMA only,
     * for the ISA bounce pool). A reservation is then taken against those zones, so that its
     * quota lies where the allocations fall; a mempool and the bare allocator take their pages
     * only through {@code alloc}, which must itself ask for those zones (as 2.5's
     * {@code page_pool_alloc} ORs {@code __GFP_DMA} from {@code pool_data}).
     *
     * <p>The default ignores {@code zoneGfp}: right for a guarantee whose memory comes only
     * through {@code alloc} (mempool, none); a guarantee that reserves memory overrides it.
     */
    default <E> ElementSource<E> source(String name, int minNr, int reservePages, int zoneGfp,
            MempoolAllocFn<E> alloc, MempoolFreeFn<E> free) {
        return source(name, minNr, reservePages, alloc, free);
    }
}
