// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

/**
 * A snapshot of one reservation's counts, for {@link ReservationInfo}. Each count is read under
 * the zone locks; the snapshot as a whole is exact at a quiescent point.
 *
 * @param name the reservation's name
 * @param multishot {@code RSV_MULTISHOT} or not
 * @param zones its zones, highest first, as "Normal,DMA"
 * @param avail pages reserved and unused
 * @param pending pages found for an admission still waiting
 * @param used pages allocated and not freed (multishot) or ever allocated (oneshot)
 * @param debt shortfall of an admission still waiting
 * @param scopes scopes open on it on live threads (see {@link Reservation#scopes()})
 * @param servedFree allocations served from a free reserved page
 * @param servedAfterDrop allocations served after dropping clean page-cache pages
 * @param failures allocations it could not serve (quota exhausted in the allocation's zones,
 *        fragmentation above order 0, or only pinned clean pages for a caller that may not sleep)
 * @param pinnedWaits sleeps because the only clean pages left were pinned
 * @param droppedClean clean page-cache pages dropped to serve it
 */
public record ReservationStats(String name, boolean multishot, String zones, int avail, int pending, int used,
        int debt, int scopes, long servedFree, long servedAfterDrop, long failures, long pinnedWaits,
        long droppedClean) {
}
