// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

/**
 * A snapshot of one RAM disk's counters, as {@link RamDisk#stats()} takes it: the per-device
 * numbers of {@code diskstats} ({@link BioInfo}) and the fault-injection counts, in one value.
 * Each counter is exact; taken while I/O is in flight, the set may mix moments.
 *
 * @param reads read bios serviced
 * @param writes write bios serviced
 * @param sectorsRead sectors read
 * @param sectorsWritten sectors written
 * @param ioErrors bios failed by fault injection
 * @param errorsRefused random errors drawn and refused by the disk's {@link ErrorGate}
 * @param completions bios handed to {@code bio_endio}
 * @param unreachableSegments segments serviced at or above the queue's bounce limit
 * @param maxQueued the deepest the queue has been
 */
public record DiskStats(long reads, long writes, long sectorsRead, long sectorsWritten, long ioErrors,
        long errorsRefused, long completions, long unreachableSegments, long maxQueued) {
}
