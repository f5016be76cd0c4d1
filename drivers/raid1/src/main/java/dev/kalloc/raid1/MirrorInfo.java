// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.RamDisk;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code struct mirror_info} of Linux 2.5.1 ({@code include/linux/raid/raid1.h}): one slot of the
 * array and the member device in it.
 *
 * <p>Every field is guarded by the array's device lock ({@code conf->device_lock}); the fields
 * are plain. States of a slot: in sync ({@code operational && !writeOnly}: read and written),
 * resyncing spare ({@code operational && writeOnly && spare}: written, never read; {@code spare}
 * stays set until its resync succeeds), faulty
 * ({@code !operational}: neither, until a hot-add puts a new device in the slot).
 */
final class MirrorInfo {
    /** {@code MAX_WORK_PER_DISK}: sectors read from one mirror before read balancing moves on. */
    static final int MAX_WORK_PER_DISK = 128;

    /** {@code number} and {@code raid_disk}: the slot index (equal here, see {@link Raid1}). */
    final int number;
    RamDisk dev;
    int sectLimit = MAX_WORK_PER_DISK;
    /** Where the last read balanced to this mirror ended: the disk head, for nearest-head balancing. */
    long headPosition;
    boolean operational;
    boolean writeOnly;
    boolean spare;
    /**
     * Bumped each time the slot fails or takes a hot-added disk. A resync records it for each
     * target and writes and activates a target only while it is unchanged: the same device
     * failed and re-added to the same slot is a new spare that missed the writes made while it
     * was out, however much the old resync copied to it before.
     */
    long generation;
    /**
     * Writes in flight that this slot does not hold as an in-sync copy: issued while the slot was
     * faulty or a resyncing spare ({@link R1Bio#notHeldMask}). Raised under the device lock at
     * issue, lowered when the request ends (atomic: without the lock). No kernel counterpart:
     * {@link MirrorErrorGate} counts a mirror as a surviving copy only while it is zero, since a
     * mirror that joined the array after a write was issued lacks that write.
     */
    final AtomicInteger writesNotHeld = new AtomicInteger();

    MirrorInfo(int number, RamDisk dev) {
        this.number = number;
        this.dev = dev;
        this.operational = true;
    }

    /** May a read be sent here: in sync and working. */
    boolean readable() {
        return operational && !writeOnly;
    }
}
