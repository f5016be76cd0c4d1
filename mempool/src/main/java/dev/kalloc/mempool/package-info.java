// SPDX-License-Identifier: GPL-2.0-only
/**
 * mm/mempool.c: memory pools, a reserve of pre-allocated elements in front of any allocator so
 * that I/O paths make forward progress under memory pressure (Ingo Molnar, Linux 2.5.1,
 * December 2001).
 *
 * <ul>
 *   <li>{@link dev.kalloc.mempool.Mempool}: the pool ({@code mempool_t}) with
 *       {@code mempool_create}, {@code mempool_alloc}, {@code mempool_free},
 *       {@code mempool_resize} and {@code mempool_destroy}; the design essay is its class
 *       comment.</li>
 *   <li>{@link dev.kalloc.mempool.MempoolPolicy}: the 2.5.1 five-level order of attempts or the
 *       modern one.</li>
 *   <li>{@link dev.kalloc.mempool.MempoolAllocFn}, {@link dev.kalloc.mempool.MempoolFreeFn}: the
 *       kernel's {@code mempool_alloc_t} and {@code mempool_free_t}.</li>
 *   <li>{@link dev.kalloc.mempool.Mempools}: ready-made pairs for pages of an order and for
 *       another pool; {@link dev.kalloc.mempool.SlabMempools}: for slab caches and kmalloc of a
 *       fixed size.</li>
 *   <li>{@link dev.kalloc.mempool.MempoolStats}, {@link dev.kalloc.mempool.MempoolLevel},
 *       {@link dev.kalloc.mempool.MempoolInfo}: the counters and their {@code /proc}-style
 *       view.</li>
 * </ul>
 */
package dev.kalloc.mempool;
