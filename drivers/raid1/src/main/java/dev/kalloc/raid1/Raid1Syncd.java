// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioEndIo;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.kernel.KThreads;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Gfp;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;

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
 *   <li>raid1d ({@code sync_request_write}) writes the pages to every target still in place
 *       (same device, never failed or re-added since the resync chose it);
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
 * <h2>Speed limit</h2>
 * md's {@code speed_limit_max} ({@code /proc/sys/dev/raid/speed_limit_max}): {@code md_do_sync}
 * measures the resync's rate since its start and, while it runs above the limit, sleeps in
 * {@code HZ/4} steps before the next chunk. Here the limit is the array's
 * ({@link Raid1Array.Builder#syncSpeedLimit}, changed at any time by
 * {@link Raid1Array#setSyncSpeedLimit}), 0 for none; the sleep ends early when the limit changes,
 * the array stops or the resync aborts, so a throttled resync never delays {@link #stop()} by more
 * than a chunk.
 *
 * <p>A resync that throws (a bug) is recorded ({@link Raid1Array#daemonError()}) and counts as
 * failed (aborted), so {@link #waitResync()} still returns; before that its chunks in flight
 * finish, the window is opened again and its buffers are freed, so normal I/O goes on.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Every resync that opened the window closes it ({@code close_sync}) and destroys its
 *       {@code r1buf_pool}, after its last chunk has finished, whatever ended it.</li>
 *   <li>A chunk counted in READY is either issued (its last completion leaves the window and
 *       frees the buffer) or leaves the window at once.</li>
 *   <li>Only targets still in place (same device, same slot generation) are written and
 *       activated.</li>
 * </ul>
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
    /** {@code speed_limit_max} in KiB/s, 0 for none; written at any time, as the sysctl is. */
    private volatile long speedLimitKiB;
    private int targetMask;
    private RamDisk[] targetDevs;
    private long[] targetGens;

    /**
     * Test seam: called on raid1syncd with the sector of each chunk before it is issued; a test
     * may block in it (to act at a known point of a resync) or throw (a failure injected into
     * {@code md_do_sync}). Null normally.
     */
    volatile LongConsumer beforeChunkHook;

    /** {@code HZ/4}: md_do_sync's sleep while over the speed limit. */
    private static final long THROTTLE_STEP_NANOS = 250_000_000L;
    private static final long SECTORS_PER_KIB = 2;

    Raid1Syncd(Raid1 conf, Raid1d raid1d, long speedLimitKiB) {
        this.conf = conf;
        this.raid1d = raid1d;
        this.speedLimitKiB = speedLimitKiB;
    }

    /** Starts raid1syncd. */
    void start() {
        thread = new Thread(this::loop, conf.name + "_raid1syncd");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A hot-add's {@code md_recover_arrays}: runs {@code addSpare} (which puts the spare into its
     * slot and returns the slot) and asks for a resync pass, both under this object's lock, so
     * that {@link #stop()} cannot come between them: either the array is stopping and nothing
     * changes, or the spare is in and the pass requested. {@code addSpare} takes the device lock
     * (lock order: this, then {@code deviceLock}; nothing takes them the other way round).
     *
     * @throws IllegalStateException if raid1syncd is stopping ({@code addSpare} not run), or
     *         whatever {@code addSpare} throws (no pass requested)
     */
    int requestWith(IntSupplier addSpare) {
        int slot;
        synchronized (this) {
            if (stopping) {
                throw new IllegalStateException(conf.name + " is stopping; no resync");
            }
            slot = addSpare.getAsInt();
            requested = true;
            running = true;
        }
        wait.wakeUp();
        return slot;
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

    /**
     * The loop of {@code md_do_sync} around {@code sync_request}; true if the spares are in sync
     * now. However the loop ends (done, aborted, stopping, or an exception: a bug, or a failure a
     * test injects), {@link #closeResync} runs: the chunks in flight finish, the window opens
     * again and the resync buffers are freed, so normal I/O never waits on a dead resync. An
     * exception is then rethrown for {@link #loop} to record ({@link Raid1#daemonFailed}).
     */
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
            return false; // no chunk issued: the markers are still all 0, the window is open
        }
        doneWait.wakeUpAll(); // waitResyncBuffers(): the pool is in place
        long start = System.nanoTime();
        Throwable failure = null;
        try {
            for (long sector = 0; sector < conf.size && !aborted && !isStopping(); sector += R1BioPools.RESYNC_SECTORS) {
                position = sector;
                throttle(sector, start);
                if (aborted || isStopping()) {
                    break;
                }
                LongConsumer hook = beforeChunkHook;
                if (hook != null) {
                    hook.accept(sector);
                }
                if (!syncRequest(sector)) {
                    aborted = true;
                }
            }
        } catch (RuntimeException | AssertionError e) {
            aborted = true;
            failure = e;
        }
        failure = closeResync(failure);
        if (failure != null) {
            aborts.incrementAndGet();
            if (failure instanceof RuntimeException) {
                throw (RuntimeException) failure;
            }
            throw (AssertionError) failure;
        }
        boolean ok = !aborted && !isStopping() && activateTargets();
        (ok ? resyncs : aborts).incrementAndGet();
        position = ok ? conf.size : position;
        return ok;
    }

    /**
     * md_do_sync's {@code speed_limit_max}: before chunk {@code sector}, sleeps while the resync
     * since {@code start} would run above the limit, in steps of at most {@code HZ/4}, waking
     * early if the array stops or the resync aborts ({@link #stop()} wakes this queue).
     */
    private void throttle(long sector, long start) {
        for (;;) {
            long limit = speedLimitKiB;
            if (limit <= 0 || sector == 0) {
                return;
            }
            long due = start + sector / SECTORS_PER_KIB * 1_000_000_000L / limit;
            long left = due - System.nanoTime();
            if (left <= 0 || aborted || isStopping()) {
                return;
            }
            WaitQueue.Entry e = wait.prepareToWait(false);
            try {
                if (isStopping()) {
                    return;
                }
                wait.scheduleTimeout(e, Math.min(left, THROTTLE_STEP_NANOS), TimeUnit.NANOSECONDS);
            } finally {
                wait.finishWait(e);
            }
        }
    }

    /**
     * The end of every resync that created its buffers ({@code close_sync} and the destruction
     * of {@code r1buf_pool}): waits for the chunks in flight (their completions use the window
     * and the buffers), opens the window, destroys the pool. Each step runs even if an earlier
     * one throws; the first failure is returned, later ones suppressed into it.
     */
    private Throwable closeResync(Throwable failure) {
        waitChunks();
        try {
            conf.window.closeSync();
        } catch (RuntimeException | AssertionError e) {
            failure = addFailure(failure, e);
        }
        try {
            bufs.destroy();
        } catch (RuntimeException | AssertionError e) {
            failure = addFailure(failure, e);
        } finally {
            bufs = null;
        }
        return failure;
    }

    private static Throwable addFailure(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private boolean chooseTargets() {
        conf.deviceLock.lock();
        try {
            targetMask = 0;
            targetDevs = new RamDisk[conf.mirrors.length];
            targetGens = new long[conf.mirrors.length];
            for (MirrorInfo m : conf.mirrors) {
                if (m.operational && m.writeOnly) {
                    targetMask |= 1 << m.number;
                    targetDevs[m.number] = m.dev;
                    targetGens[m.number] = m.generation;
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

    /**
     * A resync target still in place: operational, write-only, the same device, and the same
     * generation ({@link MirrorInfo#generation}). The device alone is not enough: a target that
     * failed and was hot-added again to its slot during this resync skipped every write made
     * while it was out, some of them to chunks this resync had already copied, so it must not be
     * written as a target or activated at the end; the next pass (its hot-add requested one)
     * copies it whole. Under deviceLock.
     */
    private boolean isTarget(MirrorInfo m) {
        return (targetMask & (1 << m.number)) != 0 && m.operational && m.writeOnly && m.dev == targetDevs[m.number]
                && m.generation == targetGens[m.number];
    }

    /**
     * {@code sync_request(mddev, sector)}: enters the window, takes a resync buffer and reads the
     * chunk from an in-sync mirror. raid1syncd's process context; may sleep.
     *
     * @return false if the chunk could not be issued (no in-sync mirror, no buffer)
     */
    private boolean syncRequest(long sector) {
        conf.window.waitSyncPending(sector);
        R1Bio r1 = null;
        boolean issued = false;
        try {
            r1 = bufs.alloc(Gfp.GFP_NOIO);
            if (r1 == null) {
                conf.allocFailures.incrementAndGet();
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
                return false;
            }
            chunksInFlight.incrementAndGet();
            issued = true; // from here the chunk's completion gives back the window count and the buffer
            conf.submit(read);
            return true;
        } finally {
            // A chunk not issued (no buffer, no in-sync mirror, or an exception) leaves READY and
            // gives its buffer back here, so that closeResync finds the counts at zero.
            if (!issued) {
                conf.window.syncRequestDone(sector);
                if (r1 != null) {
                    r1.clear();
                    bufs.free(r1);
                }
            }
        }
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

    /** Sleeps until every chunk issued so far is written (or failed) and its buffer is back. */
    void waitChunks() {
        chunkWait.waitEvent(() -> chunksInFlight.get() == 0);
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

    /**
     * Sleeps until the requested or running resync has its buffers ({@code r1buf_pool} created)
     * or has ended without them. Process context.
     *
     * @return true if a resync holds its buffers now
     */
    boolean waitResyncBuffers() {
        doneWait.waitEvent(() -> bufs != null || idle());
        return bufs != null;
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

    /** Sets {@code speed_limit_max} (KiB/s, 0 for none); a throttled resync re-reads it at once. */
    void setSpeedLimit(long kibPerSecond) {
        speedLimitKiB = kibPerSecond;
        wait.wakeUpAll();
    }

    /** Aborts a running resync, waits for its chunks, stops and joins the thread. */
    void stop() {
        synchronized (this) {
            stopping = true;
        }
        wait.wakeUpAll();
        KThreads.joinUninterruptibly(thread);
    }
}
