// SPDX-License-Identifier: GPL-2.0-only
/**
 * Ben LaHaise's page reservations (Linux 2.4.3 patch, May 2001, and his 15 December 2001 mail):
 * reserve N pages up front with a deterministic yes / wait / no, let clean page-cache pages
 * occupy the reserved memory until it is used, and never fail an allocation made from a
 * reservation. The accounting and the allocation branch are in the page allocator
 * ({@link dev.kalloc.page.ReserveAccount}, {@link dev.kalloc.page.PageAllocator#reservePages},
 * {@link dev.kalloc.page.PageAllocator#allocFromReserve}); this package is what a user holds.
 *
 * <ul>
 *   <li>{@link dev.kalloc.reservation.Reservation}: {@code struct page_reservation} with
 *       {@code reserve_pages}, {@code put_reserved_pages}, {@code destroy_page_reservation} and
 *       the scoped per-task context; the design essay is its class comment.</li>
 *   <li>{@link dev.kalloc.reservation.ReservationScope}: {@code current->page_reservations} for
 *       the length of a try-with-resources block, nestable.</li>
 *   <li>{@link dev.kalloc.reservation.Reservations}: a machine's reservations, admission
 *       counters, the invariant check.</li>
 *   <li>{@link dev.kalloc.reservation.ReservationSizing}: pages for N blocks of an order or N
 *       objects of a slab cache.</li>
 *   <li>{@link dev.kalloc.reservation.ReservationInfo}, {@link dev.kalloc.reservation.ReservationStats}:
 *       the {@code /proc}-style view and its snapshot.</li>
 * </ul>
 */
package dev.kalloc.reservation;
