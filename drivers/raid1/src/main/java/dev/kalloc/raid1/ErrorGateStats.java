// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

/**
 * A snapshot of a {@link MirrorErrorGate}'s decisions, as {@link MirrorErrorGate#stats()} takes
 * it under the gate's lock: the five numbers are of one moment.
 *
 * @param claims members (each life of a device in a slot) allowed to fail
 * @param admitted errors admitted: bios failed on a claimed mirror
 * @param refusedLastCopy errors refused because the mirror was the last good copy
 * @param refusedNotInSync errors refused on a member not in sync
 * @param refusedResync errors refused on resync I/O
 */
public record ErrorGateStats(long claims, long admitted, long refusedLastCopy, long refusedNotInSync,
        long refusedResync) {
}
