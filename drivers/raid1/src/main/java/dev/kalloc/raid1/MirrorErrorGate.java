// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.ErrorGate;
import dev.kalloc.bio.RamDisk;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Random disk errors an md RAID-1 array is built to survive: every member may fail a bio at
 * random ({@link RamDisk#injectErrors(double, long, ErrorGate)} with this gate), but never so that
 * the array is left without an in-sync mirror that is good. No kernel counterpart; it follows
 * what 2.5.1's raid1 does with an error, so that a test of the array's error paths under memory
 * pressure is not a test of double faults, which no RAID-1 survives.
 *
 * <h2>What an error does in 2.5.1, and so what a random error may be</h2>
 * {@code end_request} calls {@code md_error} for every clone that fails, a read as much as a
 * write, and raid1's {@code error} fails that mirror ({@code mark_disk_bad}) unless it is the last
 * working disk; a failed read is then redirected by raid1d to another mirror, a write is done once
 * an in-sync mirror has it. So in 2.5.1 a disk's first error is its last: there is no transient
 * error, and "a random error" on a mirror is that mirror failing at a random moment, announced by
 * a failed bio. On the last working disk the error goes up instead (a read is an "unrecoverable
 * I/O read error", a write fails the request): the array has lost the sector. Hence the rule:
 * <ul>
 *   <li>A mirror in sync takes a random error only if, once it is failed, another in-sync mirror
 *       is left that nothing has claimed and that holds every write in flight (it was in sync
 *       when each was issued: {@link MirrorInfo#writesNotHeld} is zero; a spare that has just
 *       finished its resync does not hold the writes issued while it was write-only, which 2.5.1
 *       does not count as making a write uptodate): the first admitted error <em>claims</em> the mirror
 *       (md will fail it when that bio completes), and every later error on it is admitted too
 *       (its bios in flight fail as a dying disk's do). At least one in-sync mirror therefore
 *       stays good for every sector, and md's error handler never meets its last working disk.</li>
 *   <li>A spare being recovered takes none: 2.5.1 fails it on its first error and the recovery
 *       ends with nothing to show, and a recovery is what memory pressure is tested against here.
 *       Once the resync has made it a mirror in sync, the first rule applies.</li>
 *   <li>Resync I/O (a buffer's read of an in-sync mirror) takes none: in 2.5.1 one failed sync
 *       read ends the whole recovery ({@code sync_request_write} calls {@code md_done_sync} with
 *       failure), and its buffers would have to be made again under the pressure.</li>
 * </ul>
 * A scheduled failure (a disk made to fail every I/O from some moment) must go through the same
 * rule, or it could take the last good copy after a random error took the other:
 * {@link #claim(RamDisk)} asks first.
 *
 * <h2>Invariant</h2>
 * If every failure of the array's members is admitted or claimed here, then at every moment some
 * mirror is in sync and unclaimed, so md's error handler fails every claimed mirror it is told
 * about and no request fails for a disk error. A claim lives as long as the slot's
 * {@link MirrorInfo#generation}: once md has failed the mirror (or a hot-add has put a new spare
 * into the slot), the claim is spent.
 *
 * <h2>Locking</h2>
 * {@code this} guards the claims and counters; the mirrors are read under the array's device lock
 * taken inside it (lock order: this, then {@code deviceLock}; the gate is called by a member's
 * dispatcher, which holds neither).
 */
public final class MirrorErrorGate implements ErrorGate {
    private final Raid1 conf;
    /** Claimed members and the slot generation they were claimed in. */
    private final Map<RamDisk, Long> claims = new IdentityHashMap<>();
    private long claimsMade;
    private long admitted;
    private long refusedLastCopy;
    private long refusedNotInSync;
    private long refusedResync;

    /** A gate for the members of {@code array}, present and hot-added later. */
    public MirrorErrorGate(Raid1Array array) {
        this.conf = array.conf();
    }

    /**
     * Admits the error if {@code bio} is normal I/O to a member in sync that is claimed already or
     * can be claimed (another in-sync mirror stays unclaimed). A member's dispatcher thread; does
     * not sleep.
     */
    @Override
    public synchronized boolean admit(RamDisk disk, Bio bio) {
        if (bio.privateData() instanceof R1Bio r1 && r1.cmd == R1Bio.SPECIAL) {
            refusedResync++;
            return false;
        }
        Verdict v = decide(disk);
        switch (v) {
            case CLAIMED -> admitted++;
            case LAST_COPY -> refusedLastCopy++;
            case NOT_IN_SYNC -> refusedNotInSync++;
        }
        return v == Verdict.CLAIMED;
    }

    /**
     * Claims {@code disk} for a failure the caller is about to cause (every I/O failing from
     * now, a bad range): true if it is claimed now (or was), so the array survives its failure;
     * false if it is not an in-sync member, or if it is the last good copy of the array's data,
     * in which case the caller must not fail it. Any context; does not sleep.
     */
    public synchronized boolean claim(RamDisk disk) {
        return decide(disk) == Verdict.CLAIMED;
    }

    private enum Verdict { CLAIMED, LAST_COPY, NOT_IN_SYNC }

    private Verdict decide(RamDisk disk) {
        conf.deviceLock.lock();
        try {
            MirrorInfo m = conf.mirrorOf(disk);
            if (m == null || !m.readable()) {
                return Verdict.NOT_IN_SYNC;
            }
            if (claimedNow(m)) {
                return Verdict.CLAIMED;
            }
            for (MirrorInfo other : conf.mirrors) {
                if (other != m && other.readable() && !claimedNow(other) && other.writesNotHeld.get() == 0) {
                    claims.put(disk, m.generation);
                    claimsMade++;
                    return Verdict.CLAIMED;
                }
            }
            return Verdict.LAST_COPY;
        } finally {
            conf.deviceLock.unlock();
        }
    }

    /** Whether the device in slot {@code m} is claimed in its present life. Under both locks. */
    private boolean claimedNow(MirrorInfo m) {
        Long gen = claims.get(m.dev);
        return gen != null && gen == m.generation;
    }

    /** Errors admitted: bios failed on a claimed mirror. */
    public synchronized long admitted() {
        return admitted;
    }

    /** Errors refused because the mirror was the last good copy. */
    public synchronized long refusedLastCopy() {
        return refusedLastCopy;
    }

    /** Errors refused on a member not in sync (a spare being recovered, a failed slot). */
    public synchronized long refusedNotInSync() {
        return refusedNotInSync;
    }

    /** Errors refused on resync I/O. */
    public synchronized long refusedResync() {
        return refusedResync;
    }

    /** Claims made so far: members (each life of a device in a slot) allowed to fail. */
    public synchronized long claims() {
        return claimsMade;
    }

    /** The counters above, read under the gate's lock: one moment's decisions. */
    public synchronized ErrorGateStats stats() {
        return new ErrorGateStats(claimsMade, admitted, refusedLastCopy, refusedNotInSync, refusedResync);
    }
}
