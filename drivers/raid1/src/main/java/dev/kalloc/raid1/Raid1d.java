// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.kernel.KThreads;
import dev.kalloc.kernel.WaitQueue;

/**
 * raid1d of Linux 2.5.1's raid1.c: the array's own thread and its retry list
 * ({@code retry_list_head}, {@code reschedule_retry}). Completions in interrupt context may not
 * sleep or resubmit at length, so they hand requests here: failed reads to be redirected to
 * another mirror, and resync buffers whose read has finished, to be written to the targets.
 *
 * <h2>Locking</h2>
 * {@code this} guards the list ({@code retry_list_lock}); the list is FIFO through
 * {@link R1Bio#nextR1}, so no node is allocated per request. A request on the list belongs to
 * raid1d until it handles it.
 *
 * <p>A handler that throws (a bug) is recorded ({@link Raid1Array#daemonError()}) and raid1d
 * goes on; that request is lost, as a completion whose handler throws is in the block layer.
 *
 * <p>Without a thread ({@link Raid1Array.Builder#daemons(boolean)} false, for tests that drive
 * the interleaving), {@link #runOnce()} is the pass the thread would make.
 */
final class Raid1d {
    private final Raid1 conf;
    private final WaitQueue wait = new WaitQueue();
    private R1Bio head;
    private R1Bio tail;
    private boolean stopping;
    private Thread thread;
    private volatile Raid1Syncd syncd;

    Raid1d(Raid1 conf) {
        this.conf = conf;
    }

    void setSyncd(Raid1Syncd s) {
        this.syncd = s;
    }

    /** Starts the thread ({@code md_register_thread(raid1d, conf, "raid1d")}). */
    void start() {
        thread = new Thread(this::loop, conf.name + "_raid1d");
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code reschedule_retry}: queues {@code r1} for raid1d and wakes it. Any context. */
    void rescheduleRetry(R1Bio r1) {
        synchronized (this) {
            r1.nextR1 = null;
            if (tail == null) {
                head = r1;
            } else {
                tail.nextR1 = r1;
            }
            tail = r1;
        }
        wait.wakeUp();
    }

    private synchronized R1Bio takeAll() {
        R1Bio list = head;
        head = null;
        tail = null;
        return list;
    }

    private synchronized boolean hasWorkOrStop() {
        return head != null || stopping;
    }

    private synchronized boolean isStopping() {
        return stopping;
    }

    private void loop() {
        for (;;) {
            wait.waitEvent(this::hasWorkOrStop);
            if (runOnce() == 0 && isStopping()) {
                return;
            }
        }
    }

    /**
     * One pass over the retry list: every request queued so far is handled in order. Process
     * context; the thread's body, or a test's when the array has no daemons.
     *
     * @return the requests handled
     */
    int runOnce() {
        int handled = 0;
        for (R1Bio r1 = takeAll(); r1 != null;) {
            R1Bio next = r1.nextR1;
            r1.nextR1 = null;
            try {
                if (r1.cmd == R1Bio.SPECIAL) {
                    syncd.syncRequestWrite(r1);
                } else {
                    conf.retryRead(r1);
                }
            } catch (RuntimeException | AssertionError e) {
                conf.daemonFailed(e);
            }
            handled++;
            r1 = next;
        }
        return handled;
    }

    /** Stops the thread once the list is empty and joins it; a no-op without a thread. */
    void stop() {
        synchronized (this) {
            stopping = true;
        }
        wait.wakeUpAll();
        KThreads.joinUninterruptibly(thread);
    }
}
