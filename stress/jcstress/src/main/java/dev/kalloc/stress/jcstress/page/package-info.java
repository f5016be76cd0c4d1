// SPDX-License-Identifier: GPL-2.0-only
/**
 * jcstress tests of {@code dev.kalloc.page}: the zoned buddy allocator (allocation of the last
 * pages, split against whole-block allocation, merging on concurrent frees), the per-CPU page
 * lists (refill, drain at {@code high}, {@code drain_all_pages}, two threads on one CPU id) and
 * the sleep/wake protocol (a sleeping allocation woken by a free, {@code WaitQueue} itself) and
 * the locks ({@code PerCpuLock}, and {@code SpinLock}: exclusion, and a parked waiter woken).
 *
 * <p>Every allocator test boots a {@code TinyMachine} of 16 frames and
 * brings it to an exact free-list state, so each outcome is a precise statement about the lists.
 * Their arbiters report a {@code Verdict} as the last result field; the lock tests put their
 * end check there instead (-1 when it failed).
 * The module's {@code package-info} lists what each test proves and how to run them.
 */
package dev.kalloc.stress.jcstress.page;
