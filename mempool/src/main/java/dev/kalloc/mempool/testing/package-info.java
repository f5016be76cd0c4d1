// SPDX-License-Identifier: GPL-2.0-only
/**
 * Test support in main code, for the mempool unit tests and the jcstress suite alike (jcstress
 * tests are main code of stress/jcstress, which cannot use a test-jar cleanly).
 *
 * <ul>
 *   <li>{@link dev.kalloc.mempool.testing.FakeAllocator}: an underlying allocator with no machine
 *       behind it, that fails on demand and catches double and foreign frees.</li>
 * </ul>
 * Nothing in the allocators themselves uses this package.
 */
package dev.kalloc.mempool.testing;
