// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.kernel.WaitQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The resync segment machinery of Linux 2.5.1's raid1.c ({@code new_request},
 * {@code raid_request_done}, {@code wait_sync_pending}, {@code sync_request_done},
 * {@code init_resync}, {@code close_sync}): how a background resync and normal I/O keep out of
 * each other's way, and the throttle between them.
 *
 * <h2>The five regions</h2>
 * Four markers split the array: {@code startActive <= startReady <= startPending <=
 * startFuture}.
 * <pre>
 *   DONE     [0, startActive)            synced; normal I/O allowed        (cntDone)
 *   ACTIVE   [startActive, startReady)   resync I/O still in flight        (cntActive)
 *   READY    [startReady, startPending)  resync I/O being issued, no normal I/O (cntReady)
 *   PENDING  [startPending, startFuture) old normal I/O draining, no new   (cntPending)
 *   FUTURE   [startFuture, end)          normal I/O allowed                (cntFuture)
 * </pre>
 * Normal I/O that touches ACTIVE, READY or PENDING waits ({@code wait_done}). The resync issues
 * chunks in READY; when it reaches PENDING it waits until ACTIVE's resync I/O and PENDING's old
 * normal I/O have completed ({@code wait_ready}), then shifts every region up by one window
 * ({@code window} sectors): active takes ready, ready takes pending, pending takes future, and
 * the normal I/O counted in FUTURE is now counted as PENDING. {@code phase} flips at each shift
 * so that a completing request knows which of the two it was counted in. So at most two windows
 * of resync I/O are in flight, normal I/O never runs where the resync reads and writes, and the
 * resync never copies a region while a normal write to it is in flight.
 *
 * <h2>Differences from 2.5.1 (a faithful simplification)</h2>
 * <ul>
 *   <li>A request remembers the counter it was charged to (its token: DONE, or FUTURE with the
 *       phase) instead of re-deriving it from its sector at completion; with the markers reset by
 *       {@link #closeSync} between resyncs, re-deriving miscounts requests that straddle two
 *       resyncs. {@link #initResync} therefore waits for the DONE requests of the previous
 *       resync to finish instead of folding their count into FUTURE.</li>
 *   <li>Admission tests the request's whole range, not only its first sector: a bio may span a
 *       region boundary here (2.4's block-sized buffer heads could not).</li>
 * </ul>
 *
 * <h2>Locking</h2>
 * {@code this} guards every marker, counter and {@code phase} ({@code conf->segment_lock}). Wake-
 * ups are made after the monitor is released; waiters re-test under it.
 */
final class ResyncWindow {
    /** {@code conf->window} at resync start: 2048 sectors (1 MiB). */
    static final int WINDOW = 2048;

    /** Token of a request counted in DONE. */
    static final int DONE = 0;
    private static final int FUTURE_PHASE0 = 1;
    private static final int FUTURE_PHASE1 = 2;

    private final AtomicLong throttled = new AtomicLong();
    private final WaitQueue waitDone = new WaitQueue();
    private final WaitQueue waitReady = new WaitQueue();
    private long startActive;
    private long startReady;
    private long startPending;
    private long startFuture;
    private int cntDone;
    private int cntActive;
    private int cntReady;
    private int cntPending;
    private int cntFuture;
    private boolean phase;

    /**
     * {@code new_request}: admits a normal request for {@code [sector, sector + sectors)},
     * waiting while it touches the regions the resync owns. Process context; may sleep.
     *
     * @return the token to pass to {@link #requestDone}
     */
    int newRequest(long sector, int sectors) {
        int token = tryAdmit(sector, sectors);
        if (token >= 0) {
            return token;
        }
        throttled.incrementAndGet();
        for (;;) {
            waitDone.waitEvent(() -> admissible(sector, sectors));
            token = tryAdmit(sector, sectors);
            if (token >= 0) {
                return token;
            }
        }
    }

    /** Normal requests that had to wait for the resync: the throttle at work. */
    long throttled() {
        return throttled.get();
    }

    synchronized int tryAdmit(long sector, int sectors) {
        if (sector + sectors <= startActive) {
            cntDone++;
            return DONE;
        }
        if (sector >= startFuture) {
            cntFuture++;
            return phase ? FUTURE_PHASE1 : FUTURE_PHASE0;
        }
        return -1;
    }

    private synchronized boolean admissible(long sector, int sectors) {
        return sector + sectors <= startActive || sector >= startFuture;
    }

    /** {@code raid_request_done}: the request of {@code token} has completed. Any context. */
    void requestDone(int token) {
        boolean wakeReady = false;
        boolean wakeDone = false;
        synchronized (this) {
            if (token == DONE) {
                wakeDone = --cntDone == 0;
            } else if ((token == FUTURE_PHASE1) == phase) {
                cntFuture--;
            } else {
                wakeReady = --cntPending == 0;
            }
            assert checkInvariants();
        }
        if (wakeReady) {
            waitReady.wakeUpAll();
        }
        if (wakeDone) {
            waitDone.wakeUpAll();
        }
    }

    /**
     * {@code init_resync}'s part: waits until no request admitted below a previous resync's
     * markers is in flight. The markers are all 0 between resyncs, so every request admitted now
     * counts in FUTURE. Process context; may sleep.
     */
    void initResync() {
        waitDone.waitEvent(this::noDoneRequests);
    }

    private synchronized boolean noDoneRequests() {
        return cntDone == 0;
    }

    /**
     * {@code wait_sync_pending} and the count of {@code sync_request}: before the resync issues
     * its chunk at {@code sector}, shifts the windows until the chunk lies in READY, waiting for
     * each shift's condition, then counts the chunk in READY. Process context (raid1syncd); may
     * sleep.
     */
    void waitSyncPending(long sector) {
        for (;;) {
            synchronized (this) {
                if (sector < startPending) {
                    cntReady++;
                    return;
                }
            }
            waitReady.waitEvent(this::mayShift);
            shift();
        }
    }

    private synchronized boolean mayShift() {
        return cntActive == 0 && cntPending == 0;
    }

    private void shift() {
        synchronized (this) {
            if (cntActive != 0 || cntPending != 0) {
                return; // only raid1syncd shifts, but re-test under the lock all the same
            }
            startActive = startReady;
            startReady = startPending;
            startPending = startFuture;
            startFuture += WINDOW;
            cntActive = cntReady;
            cntReady = 0;
            cntPending = cntFuture;
            cntFuture = 0;
            phase = !phase;
            assert checkInvariants();
        }
        waitDone.wakeUpAll();
    }

    /** {@code sync_request_done}: the resync chunk at {@code sector} is written. Any context. */
    void syncRequestDone(long sector) {
        boolean wake;
        synchronized (this) {
            if (sector >= startReady) {
                cntReady--;
                wake = false;
            } else {
                wake = --cntActive == 0;
            }
            assert checkInvariants();
        }
        if (wake) {
            waitReady.wakeUpAll();
        }
    }

    /**
     * {@code close_sync}: after the last chunk has completed, opens the whole array to normal
     * I/O again (every marker back to 0) and wakes the requests waiting to enter.
     *
     * @throws IllegalStateException if resync chunks are still counted (a resync bug)
     */
    void closeSync() {
        synchronized (this) {
            if (cntActive != 0 || cntReady != 0) {
                throw new IllegalStateException("close_sync with resync chunks in flight: active " + cntActive
                        + ", ready " + cntReady);
            }
            startActive = 0;
            startReady = 0;
            startPending = 0;
            startFuture = 0;
        }
        waitDone.wakeUpAll();
    }

    /** Counts every marker and counter is consistent with; called under the monitor by asserts. */
    synchronized boolean checkInvariants() {
        if (!(0 <= startActive && startActive <= startReady && startReady <= startPending
                && startPending <= startFuture)) {
            throw new AssertionError("resync markers out of order: " + this);
        }
        if (cntDone < 0 || cntActive < 0 || cntReady < 0 || cntPending < 0 || cntFuture < 0) {
            throw new AssertionError("resync counter below zero: " + this);
        }
        return true;
    }

    /** Normal requests in flight, all regions together. */
    synchronized int normalInFlight() {
        return cntDone + cntPending + cntFuture;
    }

    /** Resync chunks in flight. */
    synchronized int syncInFlight() {
        return cntActive + cntReady;
    }

    /** Requests waiting to enter the regions the resync owns. */
    int waitingRequests() {
        return waitDone.waiters();
    }

    @Override
    public synchronized String toString() {
        return "resync window [done <" + startActive + " active <" + startReady + " ready <" + startPending
                + " pending <" + startFuture + " future; counts " + cntDone + "/" + cntActive + "/" + cntReady + "/"
                + cntPending + "/" + cntFuture + ", phase " + (phase ? 1 : 0) + "]";
    }
}
