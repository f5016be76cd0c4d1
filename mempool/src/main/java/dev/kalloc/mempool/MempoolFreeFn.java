// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * {@code mempool_free_t} (include/linux/mempool.h): gives an element back to the underlying
 * allocator that {@link MempoolAllocFn} took it from.
 *
 * @param <E> the element type
 */
@FunctionalInterface
public interface MempoolFreeFn<E> {
    /**
     * Frees one element made by the paired {@link MempoolAllocFn}.
     *
     * <p>Context: must not sleep (the pool calls it from {@code mempool_free}, which may run in
     * interrupt context); called without any pool lock held.
     *
     * @param element never null
     */
    void free(E element);
}
