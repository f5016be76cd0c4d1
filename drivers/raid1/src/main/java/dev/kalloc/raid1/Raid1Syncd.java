package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioEndIo;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.WaitQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * raid1syncd and the resync path of Linux 2.5.1's raid1.c, with the loop of md.c's
 * {@code md_do_sync}: copies the in-sync data onto hot-added spares, one
 * {@link R1BioPools#RESYNC_SECTORS}-sector chunk at a time, through {@code r1buf_pool}, while
 * normal I/O goes on around it ({@link ResyncWindow} keeps them apart and throttles both).
 *
 * <h2>One resync</h2>
 * <ol>
 *   <li>{@code init_resync}: the window is opened, {@code r1buf_pool} created; the targets are the
 *       slots that are operational spares now (a spare added later waits for the next pass).</li>
 *   <li>For each chunk ({@code sync_request}): enter the window (may wait for the shift),
 *       take a resync buffer ({@code GFP_NOIO}), read the chunk from an in-sync mirror into its
 *       pages ({@code end_sync_read} hands it to raid1d).</li>
 *   <li>raid1d ({@code sync_request_write}) writes the pages to every target still in place;
 *       the last write's completion ({@code end_sync_write}) leaves the window
 *       ({@code sync_request_done}), counts the chunk ({@code md_done_sync}) and gives the buffer
 *       back ({@code put_buf}).</li>
 *   <li>When every chunk is written, {@code close_sync}, {@code r1buf_pool} is destroyed and,
 *       if nothing failed, the targets become in-sync mirrors ({@code DISKOP_SPARE_ACTIVE}).</li>
 * </ol>
 * Any error (a failed read, a failed or vanished target, no resync buffer on the NONE
 * guarantee, the array closing) aborts the resync: no more chunks are issued, the ones in flight
 * finish, and the spares stay write-only. 2.5.1 also aborted on a failed sync read.
 *
 * <p>A resync that throws (a bug) is recorded ({@link Raid1Array#daemonError()}) and counts as
 * failed, so {@link #waitResync()} still returns.
 *
 * <h2>Locking</h2>
 * {@code this} guards {@code requested}, {@code running}, {@code stopping} and the result; the
 * resync state of one pass ({@code bufs}, {@code targetMask}, {@code targetDevs},
 * {@code aborted}) is written by the thread before the first chunk is issued and read by
 * completions after the queue hand-offs; {@code aborted} is volatile since completions set it.
 */
final class Raid1Syncd {
    private final Raid1 conf;
    private final Raid1d raid1d;
    private final WaitQueue wait = new WaitQueue();
    private final WaitQueue doneWait = new WaitQueue();
    private final WaitQueue chunkWait = new WaitQueue();
    private final BioEndIo endSyncReadFn = this::endSyncRead;
    private final BioEndIo endSyncWriteFn = this::endSyncWrite;
    private final AtomicInteger chunksInFlight = new AtomicInteger();
    private final AtomicLong syncedSectors = new AtomicLong();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private Thread thread;
    private boolean requested;
    private boolean running;
    private boolean stopping;
    private boolean lastOk = true;
    private volatile boolean aborted;
    private volatile long position;
    private volatile ElementSource<R1Bio> bufs;
    private int targetMask;
    private RamDisk[] targetDevs;

    Raid1Syncd(Raid1 conf, Raid1d raid1d) {
        this.conf = conf;
        this.raid1d = raid1d;
    }

    /** Starts raid1syncd. */
    void start() {
        thread = new Thread(this::loop, conf.name + "_raid1syncd");
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code md_recover_arrays}: asks for a resync pass and wakes the thread. */
    void request() {
        synchronized (this) {
            if (stopping) {
                throw new IllegalStateException(conf.name + " is stopping; no resync");
            }
            requested = true;
            running = true;
        }
        wait.wakeUp();
    }

    private synchronized boolean requestedOrStopping() {
        return requested || stopping;
    }

    private void loop() {
        for (;;) {
            wait.waitEvent(this::requestedOrStopping);
            synchronized (this) {
                if (stopping) {
                    running = false;
                    requested = false;
                    break;
                }
                requested = false;
            }
            boolean ok;
            try {
                ok = mdDoSync();
            } catch (RuntimeException | AssertionError e) {
                conf.daemonFailed(e);
                ok = false;
            }
            synchronized (this) {
                lastOk = ok;
                if (!requested) {
                    running = false;
                }
            }
            doneWait.wakeUpAll();
        }
        doneWait.wakeUpAll();
    }

    private synchronized boolean isStopping() {
        return stopping;
    }

    /** The loop of {@code md_do_sync} around {@code sync_request}; true if the spares are in sync now. */
    private boolean mdDoSync() {
        aborted = false;
        position = 0;
        if (!chooseTargets()) {
            return false;
        }
        conf.window.initResync();
        try {
            bufs = conf.pools.createR1bufPool();
        } catch (IllegalStateException e) {
            aborts.incrementAndGet();
            return false;
        }
        for (long sector = 0; sector < conf.size && !aborted && !isStopping(); sector += R1BioPools.RESYNC_SECTORS) {
            position = sector;
            if (!syncRequest(sector)) {
                aborted = true;
            }
        }
        chunkWait.waitEvent(() -> chunksInFlight.get() == 0);
        conf.window.closeSync();
        bufs.destroy();
        bufs = null;
        boolean ok = !aborted && !isStopping() && activateTargets();
        (ok ? resyncs : aborts).incrementAndGet();
        position = ok ? conf.size : position;
        return ok;
    }

    private boolean chooseTargets() {
        conf.deviceLock.lock();
        try {
            targetMask = 0;
            targetDevs = new RamDisk[conf.mirrors.length];
            for (MirrorInfo m : conf.mirrors) {
                if (m.operational && m.writeOnly) {
                    targetMask |= 1 << m.number;
                    targetDevs[m.number] = m.dev;
                }
            }
            return targetMask != 0;
        } finally {
            conf.deviceLock.unlock();
        }
    }

    /** {@code DISKOP_SPARE_ACTIVE} for every target still in its slot. */
    private boolean activateTargets() {
        conf.deviceLock.lock();
        try {
            boolean any = false;
            for (MirrorInfo m : conf.mirrors) {
                if (isTarget(m)) {
                    conf.activate(m);
                    any = true;
                }
            }
            return any;
        } finally {
            conf.deviceLock.unlock();
        }
    }

    /** A resync target still in place: operational, write-only, the same device. Under deviceLock. */
    private boolean isTarget(MirrorInfo m) {
        return (targetMask & (1 << m.number)) != 0 && m.operational && m.writeOnly && m.dev == targetDevs[m.number];
    }

    /**
     * {@code sync_request(mddev, sector)}: enters the window, takes a resync buffer and reads the
     * chunk from an in-sync mirror. raid1syncd's process context; may sleep.
     *
     * @return false if the chunk could not be issued (no in-sync mirror, no buffer)
     */
    private boolean syncRequest(long sector) {
        conf.window.waitSyncPending(sector);
        R1Bio r1 = bufs.alloc(Gfp.GFP_NOIO);
        if (r1 == null) {
            conf.allocFailures.incrementAndGet();
            conf.window.syncRequestDone(sector);
            return false;
        }
        r1.start(R1Bio.SPECIAL, sector, R1BioPools.RESYNC_SECTORS, null);
        r1.buf.setSector(sector);
        Bio read = null;
        conf.deviceLock.lock();
        try {
            int disk = conf.readBalance(sector, R1BioPools.RESYNC_SECTORS);
            if (disk >= 0) {
                read = r1.bios[disk];
                conf.bioSet.bioCloneInto(read, r1.buf);
                read.setDev(conf.mirrors[disk].dev).setEndIo(endSyncReadFn).setPrivate(r1).setRw(Bio.READ);
                r1.readDisk = disk;
                r1.readDev = conf.mirrors[disk].dev;
            }
        } finally {
            conf.deviceLock.unlock();
        }
        if (read == null) {
            conf.window.syncRequestDone(sector);
            bufs.free(r1);
            return false;
        }
        chunksInFlight.incrementAndGet();
        conf.submit(read);
        return true;
    }

    /** {@code end_sync_read}: marks the result and hands the buffer to raid1d. Interrupt context. */
    private int endSyncRead(Bio bio, int nrSectors) {
        R1Bio r1 = (R1Bio) bio.privateData();
        if (bio.testFlag(Bio.BIO_UPTODATE)) {
            r1.setState(R1Bio.R1BIO_UPTODATE);
        } else {
            conf.readErrors.incrementAndGet();
            conf.error(bio.dev());
        }
        raid1d.rescheduleRetry(r1);
        return 0;
    }

    /**
     * {@code sync_request_write}: writes a chunk that was read to every target still in place.
     * raid1d's process context.
     */
    void syncRequestWrite(R1Bio r1) {
        if (!r1.testState(R1Bio.R1BIO_UPTODATE)) {
            finishChunk(r1, false);
            return;
        }
        int mask = 0;
        conf.deviceLock.lock();
        try {
            for (MirrorInfo m : conf.mirrors) {
                if (m.number != r1.readDisk && isTarget(m)) {
                    Bio w = r1.bios[m.number];
                    conf.bioSet.bioCloneInto(w, r1.buf);
                    w.setDev(m.dev).setEndIo(endSyncWriteFn).setPrivate(r1).setRw(Bio.WRITE);
                    mask |= 1 << m.number;
                }
            }
        } finally {
            conf.deviceLock.unlock();
        }
        if (mask == 0) {
            finishChunk(r1, false);
            return;
        }
        r1.setRemaining(Integer.bitCount(mask) + 1);
        for (int i = 0; i < r1.bios.length; i++) {
            if ((mask & (1 << i)) != 0) {
                conf.submit(r1.bios[i]);
            }
        }
        if (r1.decRemaining()) {
            finishChunk(r1, !r1.testState(R1Bio.R1BIO_WRITE_ERROR));
        }
    }

    /** {@code end_sync_write}: the last target's completion finishes the chunk. Interrupt context. */
    private int endSyncWrite(Bio bio, int nrSectors) {
        R1Bio r1 = (R1Bio) bio.privateData();
        if (!bio.testFlag(Bio.BIO_UPTODATE)) {
            conf.writeErrors.incrementAndGet();
            conf.error(bio.dev());
            r1.setState(R1Bio.R1BIO_WRITE_ERROR);
        }
        if (r1.decRemaining()) {
            finishChunk(r1, !r1.testState(R1Bio.R1BIO_WRITE_ERROR));
        }
        return 0;
    }

    /** {@code sync_request_done}, {@code md_done_sync} and {@code put_buf}. */
    private void finishChunk(R1Bio r1, boolean ok) {
        long sector = r1.sector;
        conf.window.syncRequestDone(sector);
        if (ok) {
            syncedSectors.addAndGet(r1.sectors);
        } else {
            aborted = true;
        }
        r1.clear();
        bufs.free(r1);
        if (chunksInFlight.decrementAndGet() == 0) {
            chunkWait.wakeUpAll();
        }
    }

    /** Sleeps until no resync is requested or running. Process context. */
    boolean waitResync() {
        doneWait.waitEvent(this::idle);
        synchronized (this) {
            return lastOk;
        }
    }

    private synchronized boolean idle() {
        return !running;
    }

    synchronized boolean running() {
        return running;
    }

    /** The sector the running resync has reached; the array size once done. */
    long position() {
        return position;
    }

    long syncedSectors() {
        return syncedSectors.get();
    }

    long resyncs() {
        return resyncs.get();
    }

    long aborts() {
        return aborts.get();
    }

    /** Aborts a running resync, waits for its chunks, stops and joins the thread. */
    void stop() {
        synchronized (this) {
            stopping = true;
        }
        wait.wakeUpAll();
        if (thread != null) {
            boolean interrupted = false;
            for (;;) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
