// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

/**
 * A slab constructor or destructor: {@code void (*ctor)(void *objp, kmem_cache_t *cachep,
 * unsigned long flags)}.
 *
 * <p>A constructor runs once per object when its slab grows, with {@link
 * SlabFlags#SLAB_CTOR_CONSTRUCTOR} (and {@link SlabFlags#SLAB_CTOR_ATOMIC} if the growing
 * allocation may not sleep); objects must be handed back to {@code kmem_cache_free} in the state
 * it left them in (Bonwick's object caching). With {@link SlabFlags#SLAB_DEBUG_INITIAL} it is also
 * called on every free with {@link SlabFlags#SLAB_CTOR_VERIFY}, to check that state. A destructor
 * runs once per object when its slab is destroyed, with flags 0.
 *
 * <p>Context: called without any slab lock held. It must not allocate from its own cache.
 */
@FunctionalInterface
public interface SlabCtor {
    /**
     * @param objp the object's address (after the red zone, if any)
     * @param cachep the cache the object belongs to
     * @param flags SLAB_CTOR_* bits
     */
    void apply(long objp, KmemCache<?> cachep, int flags);
}
