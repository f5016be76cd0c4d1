// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import java.util.Map;

/**
 * A guaranteed source of one kind of element (a bio, a bio vector, a bounce page, an r1bio): what
 * a {@link Guarantee} hands a driver for each of its allocators. It stands where the kernel's
 * drivers call {@code mempool_alloc}/{@code mempool_free}; behind it is a mempool, a slab cache
 * used under an entered reservation, or the bare allocator.
 *
 * <p>Thread roles: {@link #alloc} and {@link #free} from any thread, concurrently; {@link #destroy}
 * once, at a quiescent point.
 *
 * @param <E> the element type
 */
public interface ElementSource<E> {
    /**
     * Allocates an element.
     *
     * <p>Context: may sleep iff {@code gfp} has {@code __GFP_WAIT} (then not from interrupt
     * context). Failure: an atomic {@code gfp} may always return null. With a sleeping
     * {@code gfp}, a mempool ({@link GuaranteeKind#isMempool()}) never returns null;
     * {@link GuaranteeKind#RESERVATION} returns null only in the cases its reservation documents
     * (beyond the reserved quota); {@link GuaranteeKind#NONE} returns null whenever the allocator
     * does.
     *
     * @return the element, or null (see above)
     */
    E alloc(int gfp);

    /**
     * Gives back an element from {@link #alloc}. Never sleeps; any context.
     *
     * <p>Null is a no-op for every guarantee, so that a driver behaves the same whichever
     * guarantee is behind it: the seam is kalloc's, not a kernel function, and it does not pass
     * a null on to a 2.5.1 pool (whose {@code mempool_free} has no NULL check and calls it a bug).
     */
    void free(E element);

    /**
     * Releases what the source holds (the pool's idle elements, the reservation's unused pages).
     *
     * @throws dev.kalloc.kernel.KernelBug or IllegalStateException if elements are still out
     *         (nothing changes)
     */
    void destroy();

    /** The source's name, for messages and views. */
    String name();

    /** Which guarantee backs this source. */
    GuaranteeKind kind();

    /** Elements currently allocated and not yet freed. */
    long outstanding();

    /** Allocations that returned null. */
    long failures();

    /**
     * Named counters of the guarantee behind this source: why it did what it did (which level of
     * a pool served, how often a reservation dropped a clean page, how long callers slept), in
     * insertion order. The names are stable, for reports: lower case, {@code [a-z0-9_]}. A
     * snapshot that may be taken while the source is busy: each value is read on its own, so the
     * set may mix moments; all are exact at a quiescent point. Never throws. The default, for a
     * source that counts nothing beyond {@link #outstanding()} and {@link #failures()}, is
     * empty.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }
}
