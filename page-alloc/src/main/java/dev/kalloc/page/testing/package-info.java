// SPDX-License-Identifier: GPL-2.0-only
/**
 * Test support. In main code: {@link dev.kalloc.page.testing.HeldPages}, which the jcstress
 * fixtures use (jcstress tests are main code of stress/jcstress, which cannot use a test-jar
 * cleanly). In the test-jar, for the unit tests of page-alloc and the modules above it:
 * {@code TinyMachines} (small machine configurations) and {@code MemoryHog}. Nothing in the
 * allocator itself uses this package.
 */
package dev.kalloc.page.testing;
