// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * The allocate half of a {@link Guarantee}'s allocator pair: how one element is made. It is the
 * seam's own type, so that a driver giving its own allocator (raid1's r1bio, built of an r1bio
 * and a bio per mirror) names no type of the guarantee behind the seam; each guarantee calls it
 * in its own way (a mempool as its {@code mempool_alloc_t}, a reservation inside an entered
 * reservation, none directly).
 *
 * @param <E> the element type
 */
@FunctionalInterface
public interface ElementAllocFn<E> {
    /**
     * Allocates one element.
     *
     * <p>Context: called with the caller's gfp mask or, by a guarantee that tries cheaper ways
     * first (a mempool), with a weaker one (without {@code __GFP_WAIT} and {@code __GFP_IO}); it
     * may sleep only if {@code gfp} allows it, and it is called without any lock of the
     * guarantee held.
     *
     * @param gfp the kernel gfp mask for this attempt
     * @return a new element, or null if none could be had with {@code gfp}; an element made of
     *         parts is whole or not made at all (the parts taken go back before null is returned)
     */
    E alloc(int gfp);
}
