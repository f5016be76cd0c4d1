// SPDX-License-Identifier: GPL-2.0-only
/**
 * Test support in main code, for the unit tests of the modules above slab and for the stress
 * modules (jcstress tests and the workload are main code, which cannot use a test-jar cleanly).
 *
 * <ul>
 *   <li>{@link dev.kalloc.slab.testing.SlabRig}: a booted machine with its slab allocator, owned
 *       and closed together; the base of the drivers' {@code dev.kalloc.bio.testing.DriverRig}.</li>
 * </ul>
 * Nothing in the allocators themselves uses this package.
 */
package dev.kalloc.slab.testing;
