// SPDX-License-Identifier: GPL-2.0-only
/**
 * jcstress tests of {@code dev.kalloc.raid1}: the r1bio {@code remaining} counter with racing
 * mirror completions (the master ends exactly once, with the right status), and raid1d's read
 * retry racing the failure of the mirror it redirects to. Each state builds its own array
 * without daemons over stacked members that capture their clones ({@code Raid1Fixture}), so the
 * test completes them itself, in interrupt context, in exactly the races it names.
 */
package dev.kalloc.stress.jcstress.raid1;
