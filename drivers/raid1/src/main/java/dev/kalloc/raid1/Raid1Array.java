// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Machine;
import dev.kalloc.slab.SlabAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An md RAID-1 array (md.c's {@code mddev_t} with the raid1 personality of Linux 2.5.1): an
 * md device, with its own request queue, mirroring N member devices. This is the driver's public
 * face; {@link Raid1} holds the personality.
 *
 * <p>Usage:
 * <pre>{@code
 * Raid1Array md = Raid1Array.builder(slab, GuaranteeKind.MEMPOOL_2_5_1.create(m))
 *         .name("md0").members(rd0, rd1).create();
 * bio.setSector(0).setDev(md.device()).setEndIo(...);
 * BlockLayer.submitBio(Bio.WRITE, bio);          // written to rd0 and rd1; master ends once
 * md.setFaulty(rd1);                             // or a fault injected into rd1: the same path
 * md.hotAdd(rd2);                                // rd2 takes rd1's slot; raid1syncd resyncs it
 * md.waitResync();                               // true once rd2 is in sync
 * md.firstMismatch();                            // -1: every mirror holds the same bytes
 * md.status();                                   // " [2/2] [UU]"
 * }</pre>
 *
 * <h2>Size</h2>
 * The md device has 2.4 md's {@code MD_NEW_SIZE_SECTORS} of its smallest member: the size
 * rounded down to {@code MD_RESERVED_SECTORS} (128, 64 KiB) less those 128 sectors, where md keeps
 * its superblock (not written here). The size is therefore a whole number of resync chunks.
 *
 * <h2>Threads</h2>
 * raid1d (read retries, resync writes) and raid1syncd (resync) are daemon threads of the array,
 * named {@code <name>_raid1d} and {@code <name>_raid1syncd}. With {@code daemons(false)} neither
 * runs: {@link #runRaid1d()} makes raid1d's pass in the caller, and {@link #hotAdd} is refused;
 * jcstress tests use that to choose the interleaving.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A hot-add changes its slot only together with the resync request it makes, under
 *       raid1syncd's lock; once {@link #close()} has begun, a hot-add changes nothing.</li>
 *   <li>{@link #close()} does its work once; every other call returns after it has finished.</li>
 * </ul>
 *
 * <h2>Concurrency</h2>
 * Every method may be called from any thread. Bios are submitted through the block layer from
 * process context; their completions run in interrupt context. {@link #firstMismatch()} reads
 * the members' storage directly and means something only when no I/O is in flight.
 */
public final class Raid1Array implements AutoCloseable {
    /** {@code MD_RESERVED_SECTORS}: 64 KiB at the end of each member for the superblock. */
    public static final int MD_RESERVED_SECTORS = 128;

    /** The state of one slot, as mdstat would show it. */
    public enum MirrorState {
        /** Read and written: {@code U}. */
        IN_SYNC,
        /** A hot-added spare: written, being resynced, not read. */
        SPARE,
        /** Failed: neither read nor written until a hot-add replaces it. */
        FAULTY
    }

    private final Machine machine;
    private final Guarantee guarantee;
    private final Raid1 conf;
    private final Raid1d raid1d;
    private final Raid1Syncd syncd;
    private final boolean daemons;
    /** Set by the one close() that does the work (compareAndSet); refuses administration. */
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Set when that close() has finished (or failed); other callers wait for it on closeWait. */
    private volatile boolean closed;
    private final WaitQueue closeWait = new WaitQueue();

    private Raid1Array(Builder b) {
        this.machine = b.slab.machine();
        this.guarantee = b.guarantee;
        this.daemons = b.daemons;
        RamDisk[] members = b.members.toArray(new RamDisk[0]);
        long smallest = Long.MAX_VALUE;
        for (RamDisk d : members) {
            smallest = Math.min(smallest, d.nrSectors());
        }
        long size = (smallest & ~(long) (MD_RESERVED_SECTORS - 1)) - MD_RESERVED_SECTORS;
        R1BioPools pools = new R1BioPools(b.slab, guarantee, b.name, members.length, b.nrR1Bios);
        RamDisk md = RamDisk.createStacked(machine, b.name, size);
        this.conf = new Raid1(b.name, md, members, pools);
        this.raid1d = new Raid1d(conf);
        this.syncd = new Raid1Syncd(conf, raid1d, b.syncSpeedLimit);
        conf.raid1d = raid1d;
        raid1d.setSyncd(syncd);
        md.queue().setMakeRequestFn(conf::makeRequest);
        if (daemons) {
            raid1d.start();
            syncd.start();
        }
    }

    /** Starts an array over {@code slab}'s machine whose pools come from {@code guarantee}. */
    public static Builder builder(SlabAllocator slab, Guarantee guarantee) {
        return new Builder(slab, guarantee);
    }

    // -------------------------------------------------------------------------------------
    // Devices
    // -------------------------------------------------------------------------------------

    /** The md device: submit bios to it ({@code bio.setDev(array.device())}). */
    public RamDisk device() {
        return conf.mddev;
    }

    /** The md device's size in sectors. */
    public long sectors() {
        return conf.size;
    }

    /** {@code raid_disks}: the number of slots. */
    public int raidDisks() {
        return conf.mirrors.length;
    }

    /** The device in each slot, in slot order (a failed one stays until replaced). */
    public List<RamDisk> members() {
        conf.deviceLock.lock();
        try {
            List<RamDisk> l = new ArrayList<>(conf.mirrors.length);
            for (MirrorInfo m : conf.mirrors) {
                l.add(m.dev);
            }
            return Collections.unmodifiableList(l);
        } finally {
            conf.deviceLock.unlock();
        }
    }

    /** The state of slot {@code slot}. */
    public MirrorState state(int slot) {
        if (slot < 0 || slot >= conf.mirrors.length) {
            throw new IllegalArgumentException("slot " + slot + ": " + conf.name + " has slots 0.."
                    + (conf.mirrors.length - 1));
        }
        conf.deviceLock.lock();
        try {
            MirrorInfo m = conf.mirrors[slot];
            return !m.operational ? MirrorState.FAULTY : m.spare ? MirrorState.SPARE : MirrorState.IN_SYNC;
        } finally {
            conf.deviceLock.unlock();
        }
    }

    /** {@code working_disks}: slots in sync. */
    public int workingDisks() {
        return conf.workingDisks();
    }

    // -------------------------------------------------------------------------------------
    // Administration (mdadm --fail, --add)
    // -------------------------------------------------------------------------------------

    /**
     * {@code SET_DISK_FAULTY} ({@code mdadm --fail}): the md error handler on {@code member}, as
     * a failed I/O would call it.
     *
     * @return true if the member is faulty now; false if it was already, or if it is the last
     *         working disk, which raid1 never fails
     * @throws IllegalArgumentException if {@code member} is not in the array (nothing changes)
     */
    public boolean setFaulty(RamDisk member) {
        checkOpen();
        conf.deviceLock.lock();
        try {
            if (member == null || conf.mirrorOf(member) == null) {
                throw new IllegalArgumentException(member + " is not a member of " + conf.name);
            }
        } finally {
            conf.deviceLock.unlock();
        }
        return conf.error(member) == Raid1.ERROR_FAILED;
    }

    /**
     * {@code HOT_ADD_DISK} ({@code mdadm --add}) of a replacement: {@code disk} takes the slot of
     * the first faulty mirror (which leaves the array) as a write-only spare, and raid1syncd
     * starts resyncing it. Returns at once; {@link #waitResync()} waits for the result.
     *
     * @return the slot {@code disk} went into
     * @throws IllegalArgumentException if {@code disk} is null, of another machine,
     *         smaller than the array, or already a member
     * @throws IllegalStateException if no slot is faulty, the array has no daemons, or it is
     *         closed; in every case nothing changes
     */
    public int hotAdd(RamDisk disk) {
        checkOpen();
        if (disk == null || disk.machine() != machine) {
            throw new IllegalArgumentException("hot-add of " + disk + " to " + conf.name
                    + ": need a device of the array's machine");
        }
        if (disk.nrSectors() < conf.size + MD_RESERVED_SECTORS) {
            throw new IllegalArgumentException("hot-add of " + disk + " to " + conf.name + ": it has "
                    + disk.nrSectors() + " sectors, the array needs " + (conf.size + MD_RESERVED_SECTORS));
        }
        if (!daemons) {
            throw new IllegalStateException(conf.name + " runs without daemons: no raid1syncd to resync " + disk);
        }
        // The slot changes only together with the resync request, under raid1syncd's lock: a
        // close() that has begun stopping raid1syncd makes this throw before anything changes.
        return syncd.requestWith(() -> addSpare(disk));
    }

    /** Puts {@code disk} into the first faulty slot as a write-only spare; returns the slot. */
    private int addSpare(RamDisk disk) {
        int slot = -1;
        conf.deviceLock.lock();
        try {
            if (conf.mirrorOf(disk) != null) {
                throw new IllegalArgumentException(disk + " is already a member of " + conf.name);
            }
            for (MirrorInfo m : conf.mirrors) {
                if (!m.operational) {
                    m.dev = disk;
                    m.operational = true;
                    m.writeOnly = true;
                    m.spare = true;
                    m.headPosition = 0;
                    m.generation++; // a new spare, even if this device was here before
                    slot = m.number;
                    break;
                }
            }
        } finally {
            conf.deviceLock.unlock();
        }
        if (slot < 0) {
            throw new IllegalStateException(conf.name + " has no failed slot for " + disk + status());
        }
        return slot;
    }

    /**
     * Sleeps until no resync is requested or running. Process context.
     *
     * @return true if the last resync brought its spares into sync (also when none ran)
     */
    public boolean waitResync() {
        return syncd.waitResync();
    }

    /**
     * Sleeps until no request is in flight: every master's end-io has returned and its r1bio is
     * back in the pool (a master's end-io runs before its r1bio is freed). Process context.
     */
    public void waitIdle() {
        conf.waitIdle();
    }

    /**
     * Sleeps until the resync a hot-add asked for has created its resync buffers
     * ({@code init_resync}'s {@code r1buf_pool}), or has ended without them (the guarantee could
     * not be set up). Process context. A caller that is about to use up memory waits here so that
     * the pool is taken while memory is still there.
     *
     * @return true if a resync holds its buffers now
     */
    public boolean waitResyncBuffers() {
        return syncd.waitResyncBuffers();
    }

    /**
     * Writes md's {@code speed_limit_max} for this array, in KiB/s (0: no limit); a resync
     * sleeping at the old limit goes on at the new one at once. An administrator lowers it so a
     * recovery leaves the disks to the load, and raises it to let the recovery finish.
     */
    public void setSyncSpeedLimit(long kibPerSecond) {
        if (kibPerSecond < 0) {
            throw new IllegalArgumentException("syncSpeedLimit " + kibPerSecond + " KiB/s: must be 0 (none) or more");
        }
        syncd.setSpeedLimit(kibPerSecond);
    }

    /** True while a resync is requested or running. */
    public boolean resyncRunning() {
        return syncd.running();
    }

    // -------------------------------------------------------------------------------------
    // Checks and views
    // -------------------------------------------------------------------------------------

    /**
     * Compares the storage of every operational member over the array's sectors. Meaningful
     * when no I/O is in flight (after {@link #waitResync()} and the caller's own completions).
     * Refused ({@link IllegalStateException}) if a member is stacked: it has no storage to read.
     *
     * @return the first sector where two operational members differ, or -1 if they are identical
     */
    public long firstMismatch() {
        List<RamDisk> disks = new ArrayList<>();
        conf.deviceLock.lock();
        try {
            for (MirrorInfo m : conf.mirrors) {
                if (m.operational) {
                    disks.add(m.dev);
                }
            }
        } finally {
            conf.deviceLock.unlock();
        }
        int chunk = R1BioPools.RESYNC_BLOCK_SIZE;
        byte[] first = new byte[chunk];
        byte[] other = new byte[chunk];
        for (long sector = 0; sector < conf.size; sector += R1BioPools.RESYNC_SECTORS) {
            disks.get(0).readRaw(sector, first, 0, chunk);
            for (int d = 1; d < disks.size(); d++) {
                disks.get(d).readRaw(sector, other, 0, chunk);
                int at = Arrays.mismatch(first, other);
                if (at >= 0) {
                    return sector + at / 512;
                }
            }
        }
        return -1;
    }

    /** raid1's {@code status()}: {@code " [raid_disks/working_disks] [UU_]"}. */
    public String status() {
        return conf.status();
    }

    /**
     * The array's /proc/mdstat entry: the device line (members newest first with their slots,
     * {@code (F)} for faulty, {@code (S)} for a spare), the size in 1 KiB blocks with
     * {@link #status()}, and a recovery line while a resync runs.
     */
    public String mdstat() {
        StringBuilder sb = new StringBuilder(conf.name).append(" : active raid1");
        conf.deviceLock.lock();
        try {
            for (int i = conf.mirrors.length - 1; i >= 0; i--) {
                MirrorInfo m = conf.mirrors[i];
                sb.append(' ').append(m.dev.name()).append('[').append(i).append(']');
                sb.append(!m.operational ? "(F)" : m.spare ? "(S)" : "");
            }
        } finally {
            conf.deviceLock.unlock();
        }
        sb.append('\n').append("      ").append(conf.size / 2).append(" blocks").append(status()).append('\n');
        if (syncd.running()) {
            long done = Math.min(syncd.position(), conf.size) / 2;
            long total = conf.size / 2;
            int permille = (int) (done * 1000 / total);
            int bars = permille / 50;
            sb.append("      [").append("=".repeat(bars)).append('>').append(".".repeat(19 - Math.min(19, bars)))
                    .append("]  recovery =")
                    .append(String.format(Locale.ROOT, "%3d.%d%%", permille / 10, permille % 10))
                    .append(" (").append(done).append('/').append(total).append(")\n");
        }
        return sb.toString();
    }

    // -------------------------------------------------------------------------------------
    // Counters
    // -------------------------------------------------------------------------------------

    /** Reads submitted to the array. */
    public long reads() {
        return conf.reads.get();
    }

    /** Writes submitted to the array. */
    public long writes() {
        return conf.writes.get();
    }

    /** Mirror reads that failed (normal and resync). */
    public long readErrors() {
        return conf.readErrors.get();
    }

    /** Mirror writes that failed (normal and resync). */
    public long writeErrors() {
        return conf.writeErrors.get();
    }

    /** Reads raid1d redirected to another mirror. */
    public long readRetries() {
        return conf.readRetries.get();
    }

    /** Reads that failed with no other mirror to try ("unrecoverable I/O read error"). */
    public long unrecoverableReads() {
        return conf.unrecoverable.get();
    }

    /** Array requests completed without {@code BIO_UPTODATE}. */
    public long failedRequests() {
        return conf.failedRequests.get();
    }

    /** Mirrors the error handler marked faulty. */
    public long diskFailures() {
        return conf.diskFailures.get();
    }

    /** r1bio and resync-buffer allocations that returned null. */
    public long allocFailures() {
        return conf.allocFailures.get();
    }

    /** Sectors written to spares by resyncs. */
    public long resyncedSectors() {
        return syncd.syncedSectors();
    }

    /** Resyncs that brought their spares into sync. */
    public long resyncsCompleted() {
        return syncd.resyncs();
    }

    /** Normal requests that waited at the resync window (the throttle against normal I/O). */
    public long throttledRequests() {
        return conf.window.throttled();
    }

    /**
     * The first exception raid1d or raid1syncd caught (a bug: the request or resync it was
     * handling is lost or failed), or null.
     */
    public Throwable daemonError() {
        return conf.daemonError();
    }

    /** Resyncs that stopped on an error. */
    public long resyncsAborted() {
        return syncd.aborts();
    }

    /** The counters above in one snapshot, for a report; never blocks. */
    public Raid1Stats stats() {
        return new Raid1Stats(reads(), writes(), readErrors(), writeErrors(), readRetries(), unrecoverableReads(),
                failedRequests(), diskFailures(), allocFailures(), resyncedSectors(), resyncsCompleted(),
                resyncsAborted(), throttledRequests());
    }

    /** Array requests between {@code make_request} and their completion. */
    public int inFlight() {
        return conf.inFlight();
    }

    /** The guarantee the array's pools come from. */
    public Guarantee guarantee() {
        return guarantee;
    }

    /** {@code r1bio_pool}, for views and tests. */
    public ElementSource<R1Bio> r1bioPool() {
        return conf.pools.r1bioPool();
    }

    /** The {@code r1bio} slab cache, for tests that inject failures into it. */
    dev.kalloc.slab.KmemCache<R1Bio> r1bioPoolCacheForTests() {
        return conf.pools.r1bioCache();
    }

    /** The personality, for this package's tools ({@link MirrorErrorGate}). */
    Raid1 conf() {
        return conf;
    }

    /** raid1syncd, for tests that use its seams. */
    Raid1Syncd syncdForTests() {
        return syncd;
    }

    /** The array's bio set (the clones and the resync buffers' bios). */
    public BioSet bioSet() {
        return conf.bioSet;
    }

    // -------------------------------------------------------------------------------------
    // Without daemons; teardown
    // -------------------------------------------------------------------------------------

    /**
     * raid1d's pass over its retry list, in the caller: for arrays built with
     * {@code daemons(false)}. Process context.
     *
     * @return the requests handled
     * @throws IllegalStateException if the array runs its own raid1d
     */
    public int runRaid1d() {
        if (daemons) {
            throw new IllegalStateException(conf.name + " runs its own raid1d");
        }
        return raid1d.runOnce();
    }

    /**
     * Stops the array: refuses new requests ({@link IllegalStateException} from the submission),
     * aborts a running resync and waits for its chunks, waits for every request in flight (with
     * daemons), stops the threads, closes the md device and frees the pools.
     * The members stay open; they are the caller's. Process context; may sleep.
     *
     * <p>Idempotent and safe to call concurrently: one caller does the work; any other returns
     * once it has finished (waiting for it if need be).
     *
     * @throws IllegalStateException without daemons, if requests are still in flight (nothing
     *         changes)
     */
    @Override
    public void close() {
        if (closing.get()) {
            waitClosed();
            return;
        }
        if (!daemons && conf.inFlight() != 0) {
            throw new IllegalStateException(conf.name + ": " + conf.inFlight()
                    + " requests in flight and no raid1d to finish them");
        }
        if (!closing.compareAndSet(false, true)) {
            waitClosed(); // another close() got there first
            return;
        }
        try {
            conf.stopped = true; // paired with make_request's inFlight increment before its test
            syncd.stop();
            conf.waitIdle();
            raid1d.stop();
            conf.mddev.close();
            conf.pools.destroy();
        } finally {
            closed = true;
            closeWait.wakeUpAll();
        }
    }

    private void waitClosed() {
        closeWait.waitEvent(() -> closed);
    }

    private void checkOpen() {
        if (closing.get()) {
            throw new IllegalStateException(conf.name + " is closed");
        }
    }

    @Override
    public String toString() {
        return "raid1 " + conf.name + " (" + conf.mirrors.length + " mirrors, " + guarantee + ")" + status();
    }

    /** Options of an array. */
    public static final class Builder {
        private final SlabAllocator slab;
        private final Guarantee guarantee;
        private String name = "md0";
        private List<RamDisk> members = List.of();
        private int nrR1Bios = R1BioPools.NR_RAID1_BIOS;
        private boolean daemons = true;
        private long syncSpeedLimit;

        private Builder(SlabAllocator slab, Guarantee guarantee) {
            if (slab == null || guarantee == null) {
                throw new IllegalArgumentException("a raid1 array needs a slab allocator and a guarantee");
            }
            this.slab = slab;
            this.guarantee = guarantee;
        }

        /** The md device's name, also its caches' and threads' prefix: 1 to 12 characters. */
        public Builder name(String n) {
            if (n == null || n.isEmpty() || n.length() > 12) {
                throw new IllegalArgumentException("array name '" + n + "': 1 to 12 characters");
            }
            this.name = n;
            return this;
        }

        /**
         * The member devices, one per slot, in slot order: 1 to 30 distinct devices of at least
         * 256 sectors. A member may itself be stacked (md over md), or a stacked device whose
         * make-request function a test installs; {@link Raid1Array#firstMismatch()} needs
         * members with storage.
         */
        public Builder members(RamDisk... disks) {
            return members(disks == null ? null : Arrays.asList(disks));
        }

        /** As {@link #members(RamDisk...)}. */
        public Builder members(List<RamDisk> disks) {
            if (disks == null || disks.isEmpty() || disks.size() > 30) {
                throw new IllegalArgumentException("a raid1 array has 1 to 30 members, got "
                        + (disks == null ? "none" : disks.size()));
            }
            for (int i = 0; i < disks.size(); i++) {
                RamDisk d = disks.get(i);
                if (d == null || d.machine() != slab.machine()) {
                    throw new IllegalArgumentException("member " + i + " (" + d
                            + "): need a device of the slab allocator's machine");
                }
                if (d.nrSectors() < 2 * MD_RESERVED_SECTORS) {
                    throw new IllegalArgumentException("member " + d + ": " + d.nrSectors() + " sectors; at least "
                            + 2 * MD_RESERVED_SECTORS);
                }
                if (disks.subList(0, i).contains(d)) {
                    throw new IllegalArgumentException("member " + d + " is given twice");
                }
            }
            this.members = List.copyOf(disks);
            return this;
        }

        /**
         * r1bios {@code r1bio_pool} guarantees to requests (default {@code NR_RAID1_BIOS}, 256).
         * The pool holds 32 more ({@code NR_RESYNC_BUFS}): the resync buffers take theirs from it
         * for a whole resync, and without that share a pool of 32 or fewer could be emptied by
         * them and deadlock requests against the resync under memory pressure.
         */
        public Builder nrR1Bios(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("nrR1Bios " + n + ": at least 1");
            }
            this.nrR1Bios = n;
            return this;
        }

        /**
         * md's {@code speed_limit_max} for this array's resyncs, in KiB/s (default 0: no limit):
         * raid1syncd sleeps before a chunk while the resync since its start would run faster.
         */
        public Builder syncSpeedLimit(long kibPerSecond) {
            if (kibPerSecond < 0) {
                throw new IllegalArgumentException("syncSpeedLimit " + kibPerSecond + " KiB/s: must be 0 (none) or more");
            }
            this.syncSpeedLimit = kibPerSecond;
            return this;
        }

        /** Whether raid1d and raid1syncd run (default true); see {@link Raid1Array#runRaid1d()}. */
        public Builder daemons(boolean on) {
            this.daemons = on;
            return this;
        }

        /**
         * Creates the pools, the md device and the threads. Process context; may sleep.
         *
         * @throws IllegalArgumentException if no members were given
         * @throws IllegalStateException if the guarantee cannot be set up
         */
        public Raid1Array create() {
            if (members.isEmpty()) {
                throw new IllegalArgumentException("a raid1 array needs members");
            }
            return new Raid1Array(this);
        }
    }
}
