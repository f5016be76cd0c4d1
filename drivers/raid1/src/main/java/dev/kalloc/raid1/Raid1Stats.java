// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

/**
 * A snapshot of one array's counters ({@code conf->...} of the 2.5.1 port and raid1syncd's), as
 * {@link Raid1Array#stats()} takes it. Each counter is exact; taken while requests or a resync
 * are running, the set may mix moments (each is a separate atomic).
 *
 * @param reads reads submitted to the array
 * @param writes writes submitted to the array
 * @param readErrors mirror reads that failed (normal and resync)
 * @param writeErrors mirror writes that failed (normal and resync)
 * @param readRetries reads raid1d redirected to another mirror
 * @param unrecoverableReads reads that failed with no other mirror to try
 * @param failedRequests array requests completed without {@code BIO_UPTODATE}
 * @param diskFailures mirrors the error handler marked faulty
 * @param allocFailures r1bio and resync-buffer allocations that returned null
 * @param resyncedSectors sectors written to spares by resyncs
 * @param resyncsCompleted resyncs that brought their spares into sync
 * @param resyncsAborted resyncs that stopped on an error
 * @param throttledRequests normal requests that waited at the resync window
 */
public record Raid1Stats(long reads, long writes, long readErrors, long writeErrors, long readRetries,
        long unrecoverableReads, long failedRequests, long diskFailures, long allocFailures, long resyncedSectors,
        long resyncsCompleted, long resyncsAborted, long throttledRequests) {
}
