// SPDX-License-Identifier: GPL-2.0-only
/**
 * jcstress tests of LaHaise's page reservations ({@code dev.kalloc.reservation} over the
 * accounting in {@code dev.kalloc.page}). Every test boots an {@code RsvMachine} of 16 frames in
 * one zone, with {@code pages_min} 0 and per-CPU lists off, and brings it to an exact number of
 * free, clean and reserved pages; arbiters report a {@code Verdict} as the last result field.
 *
 * <dl>
 *   <dt>{@code TwoAdmissionsLastPagesTest}</dt>
 *   <dd>Two atomic admissions of 2 pages race for 3 reservable pages (1 free, 2 clean): exactly one
 *       is granted; never both (overcommit), never neither.</dd>
 *   <dt>{@code ReservedVsOrdinaryLastPageTest}</dt>
 *   <dd>An allocation from a reservation races a {@code PF_MEMALLOC} allocation for the last free
 *       page (1 free, 1 clean, 1 reserved): the reservation always gets a page, the free one or
 *       the clean one it drops.</dd>
 *   <dt>{@code AdmissionWokenByReleaseTest} (termination)</dt>
 *   <dd>A sleeping admission waiting for pages another reservation holds is woken by that
 *       reservation's destroy.</dd>
 * </dl>
 *
 * <p>Run them alone with {@code java -jar stress/jcstress/target/jcstress.jar -t reservation};
 * add {@code -m sanity -time 20} to give the termination test samples in a smoke run.
 */
package dev.kalloc.stress.jcstress.reservation;
