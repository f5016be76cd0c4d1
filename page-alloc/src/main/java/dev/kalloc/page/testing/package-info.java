// SPDX-License-Identifier: GPL-2.0-only
/**
 * Test support. In main code: {@link dev.kalloc.page.testing.HeldPages}, which the jcstress
 * fixtures use (jcstress tests are main code of stress/jcstress, which cannot use a test-jar
 * cleanly). The fixtures of kalloc's own unit tests ({@code TinyMachines}, {@code MemoryHog},
 * {@code ReadmeExamples}) are in page-alloc's test jar, in a package of their own,
 * {@code dev.kalloc.page.tests}, so that no package is split between the two jars. Nothing in
 * the allocator itself uses this package.
 */
package dev.kalloc.page.testing;
