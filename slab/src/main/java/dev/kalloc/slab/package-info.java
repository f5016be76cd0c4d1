// SPDX-License-Identifier: GPL-2.0-only
/**
 * mm/slab.c of Linux 2.4.15 / 2.5.1 in Java: the slab allocator (Bonwick, as Mark Hemment and
 * Manfred Spraul wrote it for Linux) over the {@code dev.kalloc.page} buddy allocator.
 *
 * <ul>
 *   <li>{@link dev.kalloc.slab.SlabAllocator}: one per machine; boot, {@code kmem_cache_create},
 *       the cache chain, {@code kmalloc}/{@code kfree}/{@code ksize}, {@code kmem_cache_reap}
 *       (a reclaim shrinker), {@code /proc/slabinfo}, failslab.</li>
 *   <li>{@link dev.kalloc.slab.KmemCache}: {@code kmem_cache_t}; alloc, free, shrink, destroy,
 *       per-CPU array caches, red zones and poisoning; typed objects.</li>
 *   <li>{@link dev.kalloc.slab.SlabObject}: base class of typed objects, one per slot, bound to
 *       the slot's bytes in physical memory.</li>
 *   <li>{@link dev.kalloc.slab.SlabFlags}: the SLAB_* values of include/linux/slab.h.</li>
 * </ul>
 *
 * <p>Objects are physical addresses in slab pages; 0 is NULL. Misuse throws
 * {@link dev.kalloc.slab.SlabBug} (a {@link dev.kalloc.kernel.KernelBug}) before changing anything.
 */
package dev.kalloc.slab;
