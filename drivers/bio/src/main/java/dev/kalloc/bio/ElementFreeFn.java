// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * The free half of a {@link Guarantee}'s allocator pair: gives an element back to what
 * {@link ElementAllocFn} took it from, part by part for an element made of parts.
 *
 * @param <E> the element type
 */
@FunctionalInterface
public interface ElementFreeFn<E> {
    /**
     * Frees one element made by the paired {@link ElementAllocFn}.
     *
     * <p>Context: must not sleep (a guarantee may call it from a free in interrupt context);
     * called without any lock of the guarantee held.
     *
     * @param element never null
     */
    void free(E element);
}
