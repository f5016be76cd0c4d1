// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioEndIo;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.RequestQueue;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Gfp;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The raid1 personality of Linux 2.5.1 ({@code drivers/md/raid1.c}): {@code conf_t} and the
 * normal I/O path: {@code make_request}, {@code read_balance}, {@code end_request},
 * {@code raid_end_bio_io}, the md error handler {@code error}, and the read retry raid1d
 * performs ({@code map} and the redirect).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A request's master bio is completed exactly once: a read by its one successful clone,
 *       by raid1d's unrecoverable verdict, or at once when no mirror can serve it; a write by
 *       whoever moves the r1bio's {@code remaining} to 0. {@code remaining} is set to the number
 *       of clones plus one (the submitter's bias) before the first clone is submitted, and the
 *       submitter drops its bias after the last, so no completion can end the request while the
 *       submitter still walks the element.</li>
 *   <li>At least one mirror is in sync while the array runs: the error handler never fails the
 *       last working disk ({@code working_disks == 1}); the error goes up to the request.</li>
 *   <li>{@code workingDisks} = the number of slots that are operational and not write-only.</li>
 *   <li>A write's master is completed uptodate only if, when it ends, the data is on a mirror
 *       that is in sync: some in-sync mirror wrote it, and no mirror that is still in sync
 *       failed it.</li>
 * </ul>
 *
 * <h2>Locking</h2>
 * {@code deviceLock} ({@code conf->device_lock}) guards every {@link MirrorInfo},
 * {@code workingDisks}, {@code lastUsed} and {@code sectCount}. It is held only for short,
 * non-sleeping sections (no allocation, no submission), so interrupt-context completions may take
 * it. A request's clones are set up under it and submitted after it is released.
 *
 * <h2>Differences from 2.5.1</h2>
 * <ul>
 *   <li>A write's master is uptodate if an in-sync mirror wrote it ({@code R1BIO_Uptodate}, as
 *       later kernels decide), not by the status of the last clone to finish, which made a
 *       write that reached the good mirrors look failed when a failing mirror answered last. A
 *       resyncing spare's success does not count: its copy is not yet readable. And a copy that
 *       fails on a mirror the error handler leaves in sync (the last working disk) fails the
 *       write ({@code R1BIO_WriteError}) even if another mirror wrote it: that mirror has been
 *       failed since, so no in-sync mirror holds the data.</li>
 *   <li>Read balancing never chooses a write-only (resyncing) mirror, and raid1d's {@code map}
 *       picks the first in-sync mirror, not merely the first operational one.</li>
 *   <li>No superblock is written: {@code sb_dirty}/{@code md_update_sb} have nothing to do.</li>
 *   <li>A spare is hot-added into the slot of a failed mirror (see {@link Raid1Array#hotAdd}),
 *       so slot and {@code raid_disk} are the same number.</li>
 * </ul>
 */
final class Raid1 {
    /** {@link #error} left the disk alone: not a member, or already faulty. */
    static final int ERROR_IGNORED = 0;
    /** {@link #error} refused to fail the last working disk; the error goes up. */
    static final int ERROR_LAST_DISK = 1;
    /** {@link #error} marked the disk faulty; the array runs on the others. */
    static final int ERROR_FAILED = 2;

    final String name;
    final RamDisk mddev;
    final long size;
    final MirrorInfo[] mirrors;
    final R1BioPools pools;
    final BioSet bioSet;
    final ResyncWindow window = new ResyncWindow();
    final ReentrantLock deviceLock = new ReentrantLock();
    private int workingDisks;
    private int lastUsed;
    private long sectCount;
    Raid1d raid1d;
    /** Set by {@link Raid1Array#close()}: no new requests. */
    volatile boolean stopped;

    final BioEndIo endRequestFn = this::endRequest;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final WaitQueue idleWait = new WaitQueue();

    final AtomicLong reads = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong readErrors = new AtomicLong();
    final AtomicLong writeErrors = new AtomicLong();
    final AtomicLong readRetries = new AtomicLong();
    final AtomicLong unrecoverable = new AtomicLong();
    final AtomicLong failedRequests = new AtomicLong();
    final AtomicLong diskFailures = new AtomicLong();
    final AtomicLong allocFailures = new AtomicLong();
    private volatile Throwable daemonError;

    Raid1(String name, RamDisk mddev, RamDisk[] members, R1BioPools pools) {
        this.name = name;
        this.mddev = mddev;
        this.size = mddev.nrSectors();
        this.pools = pools;
        this.bioSet = pools.bioSet();
        this.mirrors = new MirrorInfo[members.length];
        for (int i = 0; i < members.length; i++) {
            mirrors[i] = new MirrorInfo(i, members[i]);
        }
        this.workingDisks = members.length;
        this.lastUsed = 0;
    }

    // -------------------------------------------------------------------------------------
    // make_request
    // -------------------------------------------------------------------------------------

    /**
     * {@code make_request} (reached through {@code md_make_request}, the md device's
     * make-request function): enters the resync window, takes an r1bio with {@code GFP_NOIO},
     * then sends a read to one mirror or a write to every operational one.
     *
     * <p>2.5.1 took the r1bio first and then waited at the window holding it. Here a request
     * waits empty-handed: resync buffers draw their r1bios from the same source, and under the
     * reservation guarantee (a source with an in-flight limit and no idle reserve) requests
     * holding every r1bio while they wait for the resync would starve the resync they wait for.
     *
     * <p>Context: the submitter's process context; may sleep (the r1bio pool, the resync window).
     * Failure: if no r1bio can be had (possible only on the NONE guarantee, or the reservation's
     * documented limits) the master is failed with {@code bio_io_error}.
     *
     * @throws IllegalStateException if the array is stopped (the master is untouched)
     */
    void makeRequest(RequestQueue q, Bio master) {
        inFlight.incrementAndGet(); // before the test of stopped: paired with close()'s write, then waitIdle
        if (stopped) {
            requestGone();
            throw new IllegalStateException(name + " is stopped; " + master + " not accepted");
        }
        int bucket = window.newRequest(master.sector(), master.sectors());
        R1Bio r1 = pools.r1bioPool().alloc(Gfp.GFP_NOIO);
        if (r1 == null) {
            window.requestDone(bucket);
            allocFailures.incrementAndGet();
            failedRequests.incrementAndGet();
            try {
                master.set().bioIoError(master);
            } finally {
                requestGone();
            }
            return;
        }
        int rw = master.dataDir();
        r1.start(rw, master.sector(), master.sectors(), master);
        r1.bucket = bucket;
        if (rw == Bio.READ) {
            reads.incrementAndGet();
            readRequest(r1);
        } else {
            writes.incrementAndGet();
            writeRequest(r1);
        }
    }

    private void readRequest(R1Bio r1) {
        Bio clone;
        deviceLock.lock();
        try {
            int disk = readBalance(r1.sector, r1.sectors);
            if (disk < 0) {
                clone = null;
            } else {
                clone = setUpClone(r1, disk, Bio.READ);
                r1.readDisk = disk;
                r1.readDev = mirrors[disk].dev;
            }
        } finally {
            deviceLock.unlock();
        }
        if (clone == null) {
            raidEndBioIo(r1, false);
            return;
        }
        submit(clone);
    }

    private void writeRequest(R1Bio r1) {
        int mask = 0;
        deviceLock.lock();
        try {
            for (int i = 0; i < mirrors.length; i++) {
                MirrorInfo m = mirrors[i];
                if (m.operational) {
                    setUpClone(r1, i, Bio.WRITE);
                    mask |= 1 << i;
                    if (m.writeOnly) {
                        r1.writeOnlyMask |= 1 << i;
                    }
                }
                if (!m.operational || m.writeOnly) {
                    r1.notHeldMask |= 1 << i;
                    m.writesNotHeld.incrementAndGet();
                }
            }
        } finally {
            deviceLock.unlock();
        }
        if (mask == 0) {
            raidEndBioIo(r1, false);
            return;
        }
        r1.setRemaining(Integer.bitCount(mask) + 1); // before any clone is submitted
        for (int i = 0; i < mirrors.length; i++) {
            if ((mask & (1 << i)) != 0) {
                submit(r1.bios[i]);
            }
        }
        if (r1.decRemaining()) { // the submitter's bias
            raidEndBioIo(r1, writeSucceeded(r1));
        }
    }

    /**
     * A write's verdict: an in-sync mirror holds it ({@code R1BIO_Uptodate}) and no mirror that
     * stayed in sync failed it ({@code R1BIO_WriteError}). The second test matters when the
     * mirrors that wrote it were failed afterwards (by another request or {@code setFaulty}) and
     * the copy that failed is on the last working disk: the only in-sync mirror lacks the data.
     */
    private static boolean writeSucceeded(R1Bio r1) {
        return r1.testState(R1Bio.R1BIO_UPTODATE) && !r1.testState(R1Bio.R1BIO_WRITE_ERROR);
    }

    /** Makes the slot's bio a clone of the master aimed at the slot's device. Under deviceLock. */
    private Bio setUpClone(R1Bio r1, int slot, int rw) {
        Bio b = r1.bios[slot];
        bioSet.bioCloneInto(b, r1.masterBio);
        b.setSector(r1.sector).setDev(mirrors[slot].dev).setEndIo(endRequestFn).setPrivate(r1).setRw(rw);
        return b;
    }

    /**
     * {@code generic_make_request} of a clone; a member whose queue is closed fails the clone
     * ({@code bio_io_error}) as a dead disk would.
     */
    void submit(Bio clone) {
        try {
            BlockLayer.genericMakeRequest(clone);
        } catch (IllegalStateException e) {
            clone.set().bioIoError(clone);
        }
    }

    // -------------------------------------------------------------------------------------
    // read_balance
    // -------------------------------------------------------------------------------------

    /**
     * {@code read_balance}: the mirror for a read of {@code sectors} at {@code sector}. Starting
     * at {@code last_used} (moved backwards to an in-sync mirror), a sequential read stays where
     * the head is; after {@link MirrorInfo#MAX_WORK_PER_DISK} sectors on one mirror the next one
     * backwards gets its turn (fairness); otherwise the mirror whose head is nearest wins. The
     * chosen mirror's head moves to the end of the read. Under deviceLock.
     *
     * @return the slot, or -1 if no mirror is in sync
     */
    int readBalance(long sector, int sectors) {
        int n = mirrors.length;
        int newDisk = lastUsed;
        int tries = n;
        while (!mirrors[newDisk].readable()) {
            newDisk = (newDisk + n - 1) % n;
            if (--tries == 0) {
                return -1;
            }
        }
        if (sector != mirrors[newDisk].headPosition) {
            if (sectCount >= mirrors[newDisk].sectLimit) {
                sectCount = 0;
                do {
                    newDisk = (newDisk + n - 1) % n;
                } while (!mirrors[newDisk].readable());
            } else {
                newDisk = nearestHead(newDisk, sector);
            }
        }
        mirrors[newDisk].headPosition = sector + sectors;
        if (newDisk != lastUsed) {
            sectCount = 0;
        }
        lastUsed = newDisk;
        sectCount += sectors;
        return newDisk;
    }

    /** The in-sync mirror nearest {@code sector}, scanning backwards from {@code from}; ties keep the earlier. */
    private int nearestHead(int from, long sector) {
        int n = mirrors.length;
        int best = from;
        long bestDistance = Math.abs(sector - mirrors[from].headPosition);
        for (int k = 1, disk = from; k < n; k++) {
            disk = (disk + n - 1) % n;
            if (mirrors[disk].readable()) {
                long d = Math.abs(sector - mirrors[disk].headPosition);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = disk;
                }
            }
        }
        return best;
    }

    // -------------------------------------------------------------------------------------
    // Completion
    // -------------------------------------------------------------------------------------

    /**
     * {@code end_request}: a clone has completed. An error goes to the md error handler; a read
     * error sends the request to raid1d for a retry; a write's last completion ends the request.
     * Interrupt context (the member's completion thread), or raid1d's process context.
     */
    int endRequest(Bio clone, int nrSectors) {
        R1Bio r1 = (R1Bio) clone.privateData();
        boolean ok = clone.testFlag(Bio.BIO_UPTODATE);
        boolean read = r1.cmd == Bio.READ;
        if (!ok) {
            (read ? readErrors : writeErrors).incrementAndGet();
            if (error(clone.dev()) == ERROR_LAST_DISK && !read) {
                // The mirror stays in sync without this write; whatever else wrote it is not
                // (or is a spare), so the write must fail, whatever R1BIO_Uptodate says.
                r1.setState(R1Bio.R1BIO_WRITE_ERROR);
            }
        } else if (read || (r1.writeOnlyMask & (1 << r1.slotOf(clone))) == 0) {
            r1.setState(R1Bio.R1BIO_UPTODATE);
        }
        if (read) {
            if (ok) {
                raidEndBioIo(r1, true);
            } else {
                raid1d.rescheduleRetry(r1);
            }
        } else if (r1.decRemaining()) {
            raidEndBioIo(r1, writeSucceeded(r1));
        }
        return 0;
    }

    /**
     * {@code raid_end_bio_io}: leaves the resync window, completes the master with
     * {@code uptodate}, and gives the element back to {@code r1bio_pool} ({@code free_r1bio}).
     */
    void raidEndBioIo(R1Bio r1, boolean uptodate) {
        window.requestDone(r1.bucket);
        Bio master = r1.masterBio;
        if (!uptodate) {
            failedRequests.incrementAndGet();
        }
        for (int mask = r1.notHeldMask; mask != 0; mask &= mask - 1) {
            int left = mirrors[Integer.numberOfTrailingZeros(mask)].writesNotHeld.decrementAndGet();
            assert left >= 0 : r1 + ": writesNotHeld went below zero";
        }
        r1.notHeldMask = 0;
        try {
            master.set().bioEndio(master, uptodate, master.sectors());
        } finally {
            r1.clear();
            pools.r1bioPool().free(r1);
            requestGone();
        }
    }

    private void requestGone() {
        if (inFlight.decrementAndGet() == 0) {
            idleWait.wakeUpAll();
        }
    }

    // -------------------------------------------------------------------------------------
    // Errors and the read retry
    // -------------------------------------------------------------------------------------

    /**
     * The md error handler ({@code md_error} → raid1's {@code error}, {@code mark_disk_bad}):
     * marks the mirror holding {@code dev} faulty, unless it is the last working disk. Any
     * context.
     *
     * @return {@link #ERROR_FAILED}, {@link #ERROR_LAST_DISK} or {@link #ERROR_IGNORED}
     */
    int error(RamDisk dev) {
        deviceLock.lock();
        try {
            MirrorInfo m = mirrorOf(dev);
            if (m == null || !m.operational) {
                return ERROR_IGNORED;
            }
            if (!m.writeOnly && workingDisks == 1) {
                return ERROR_LAST_DISK;
            }
            m.operational = false;
            m.generation++; // a resync targeting this slot must not activate it (Raid1Syncd#isTarget)
            if (!m.writeOnly) {
                workingDisks--;
            }
            diskFailures.incrementAndGet();
            assert checkInvariants();
            return ERROR_FAILED;
        } finally {
            deviceLock.unlock();
        }
    }

    /** The slot holding {@code dev}, or null. Under deviceLock. */
    MirrorInfo mirrorOf(RamDisk dev) {
        for (MirrorInfo m : mirrors) {
            if (m.dev == dev) {
                return m;
            }
        }
        return null;
    }

    /**
     * raid1d's read retry ({@code map} and the redirect): sends the failed read to the first
     * in-sync mirror, or, when that is the mirror that just failed it, completes the master with
     * an error ("unrecoverable I/O read error"). raid1d's process context.
     */
    void retryRead(R1Bio r1) {
        Bio clone = null;
        deviceLock.lock();
        try {
            for (int i = 0; i < mirrors.length; i++) {
                if (mirrors[i].readable()) {
                    if (mirrors[i].dev != r1.readDev) {
                        clone = setUpClone(r1, i, Bio.READ);
                        r1.readDisk = i;
                        r1.readDev = mirrors[i].dev;
                    }
                    break;
                }
            }
        } finally {
            deviceLock.unlock();
        }
        if (clone == null) {
            unrecoverable.incrementAndGet();
            raidEndBioIo(r1, false);
            return;
        }
        readRetries.incrementAndGet();
        submit(clone);
    }

    // -------------------------------------------------------------------------------------
    // Views and checks
    // -------------------------------------------------------------------------------------

    int workingDisks() {
        deviceLock.lock();
        try {
            return workingDisks;
        } finally {
            deviceLock.unlock();
        }
    }

    /** Adds an in-sync mirror (a spare whose resync finished). Under deviceLock. */
    void activate(MirrorInfo m) {
        m.writeOnly = false;
        m.spare = false;
        workingDisks++;
        assert checkInvariants();
    }

    /** Records the first failure of raid1d or raid1syncd (a bug); the daemon goes on. */
    void daemonFailed(Throwable e) {
        if (daemonError == null) {
            daemonError = e;
        }
    }

    Throwable daemonError() {
        return daemonError;
    }

    /** Requests between {@code make_request} and {@code raid_end_bio_io}. */
    int inFlight() {
        return inFlight.get();
    }

    /** Sleeps until no request is in flight. Process context. */
    void waitIdle() {
        idleWait.waitEvent(() -> inFlight.get() == 0);
    }

    /**
     * {@code status()}: {@code " [raid_disks/working_disks] [UU_]"}, a U for each in-sync slot.
     */
    String status() {
        deviceLock.lock();
        try {
            StringBuilder sb = new StringBuilder(" [").append(mirrors.length).append('/').append(workingDisks)
                    .append("] [");
            for (MirrorInfo m : mirrors) {
                sb.append(m.readable() ? 'U' : '_');
            }
            return sb.append(']').toString();
        } finally {
            deviceLock.unlock();
        }
    }

    /** The invariants of the class comment. Under deviceLock. */
    boolean checkInvariants() {
        int working = 0;
        for (MirrorInfo m : mirrors) {
            if (m.readable()) {
                working++;
            }
        }
        if (working != workingDisks) {
            throw new AssertionError(name + ": working_disks " + workingDisks + " but " + working + " mirrors in sync");
        }
        if (working < 1) {
            throw new AssertionError(name + ": no mirror in sync");
        }
        return true;
    }
}
