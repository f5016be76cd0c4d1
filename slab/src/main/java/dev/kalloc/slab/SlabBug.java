// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.kernel.KernelBug;

/**
 * A {@link KernelBug} raised by the slab allocator: a double free, a free of an address that is
 * not the start of an object, a free into the wrong cache, an overwritten red zone, a use after
 * free found by the poison check, or destroying a cache that still has objects out. It names the
 * cache and the object's address, and it is thrown before anything is changed: the object stays
 * where it was and the cache stays usable.
 */
public final class SlabBug extends KernelBug {
    private static final long serialVersionUID = 1L;

    private final String cacheName;
    private final long address;

    SlabBug(String cacheName, long address, String message) {
        super(message);
        this.cacheName = cacheName;
        this.address = address;
    }

    /** The cache the misuse was detected in (the one named by the caller, or owning the page). */
    public String cacheName() {
        return cacheName;
    }

    /** The physical address the misuse concerns, or 0 when it concerns the cache as a whole. */
    public long address() {
        return address;
    }
}
