// SPDX-License-Identifier: GPL-2.0-only
/**
 * jcstress tests of {@code dev.kalloc.slab}: the slab lists under the cache spinlock (two threads
 * taking the last objects of a slab, concurrent frees moving a slab between the full, partial and
 * free lists), the per-CPU array caches (two threads on one CPU id, an allocation racing a free
 * that flushes a batch back to the slabs, an allocation racing a free on the same array), the
 * free-path CAS that lets exactly one of two racing frees of one object through, and
 * {@code kmem_cache_shrink} racing an allocation.
 *
 * <p>Every test boots a {@code SlabFixture}: a 64-frame machine with one zone and a booted slab
 * allocator, and a cache of 1000-byte objects, four per one-page slab, with management on-slab.
 * Setup brings the cache to an exact state (which objects are where), so each outcome is a
 * statement about the lists and arrays. Arbiters report a {@code SlabVerdict} as the last result
 * field; every test forbids a nonzero verdict.
 */
package dev.kalloc.stress.jcstress.slab;
