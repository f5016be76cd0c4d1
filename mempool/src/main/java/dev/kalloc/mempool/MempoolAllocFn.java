// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * {@code mempool_alloc_t} (include/linux/mempool.h): the underlying allocator a pool draws on.
 *
 * <p>The kernel passes an opaque {@code pool_data} pointer as the second argument; in Java the
 * function captures what it needs (a cache, a size, an order, another pool) instead.
 *
 * @param <E> the element type
 */
@FunctionalInterface
public interface MempoolAllocFn<E> {
    /**
     * Allocates one element.
     *
     * <p>Context: called by the pool with the caller's gfp mask or a weaker one (without
     * {@code __GFP_WAIT} and {@code __GFP_IO}); it may sleep only if {@code gfp} allows it, and
     * it is called without any pool lock held.
     *
     * @param gfp the kernel gfp mask for this attempt
     * @return a new element, or null if none could be had with {@code gfp}
     */
    E alloc(int gfp);
}
