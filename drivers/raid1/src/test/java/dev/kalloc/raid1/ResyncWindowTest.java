// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The five-region accounting of {@link ResyncWindow}, step by step in one thread. */
class ResyncWindowTest {
    private final ResyncWindow w = new ResyncWindow();

    @Test
    void withoutAResyncEveryRequestIsAdmittedToFuture() {
        int t = w.newRequest(0, 8);
        assertThat(t).isNotEqualTo(ResyncWindow.DONE);
        assertThat(w.normalInFlight()).isEqualTo(1);
        w.requestDone(t);
        assertThat(w.normalInFlight()).isZero();
    }

    @Test
    void theFirstChunkShiftsTwiceAndClosesTheFirstTwoWindows() {
        w.initResync();
        w.waitSyncPending(0);
        assertThat(w.syncInFlight()).isEqualTo(1);
        // active = ready = 0, pending = [0, 2048), future from 4096: normal I/O below 4096 waits
        assertThat(w.tryAdmit(0, 8)).isNegative();
        assertThat(w.tryAdmit(4090, 8)).as("straddles into future").isNegative();
        int future = w.tryAdmit(4096, 8);
        assertThat(future).isPositive();
        w.requestDone(future);
        assertThat(w.toString()).contains("active <0 ready <2048 pending <4096 future");
    }

    @Test
    void requestsInFlightAtAShiftAreWaitedForAsPending() {
        int old = w.newRequest(3000, 8);
        w.initResync();
        // the first shift moves the request to PENDING; the second needs it done, so do it by hand:
        Thread t = new Thread(() -> w.waitSyncPending(0));
        t.start();
        w.requestDone(old); // wakes raid1syncd if it already waits for the pending count
        join(t);
        assertThat(w.normalInFlight()).isZero();
        assertThat(w.syncInFlight()).isEqualTo(1);
    }

    @Test
    void chunksMoveFromReadyToActiveAndTheDoneRegionOpens() {
        w.initResync();
        for (long s = 0; s < 2048; s += 128) {
            w.waitSyncPending(s);
        }
        assertThat(w.syncInFlight()).isEqualTo(16);
        for (long s = 0; s < 2048; s += 128) {
            w.syncRequestDone(s); // still READY: no shift happened
        }
        w.waitSyncPending(2048); // shift: active [0,2048) empty, ready [2048,4096)
        w.syncRequestDone(2048);
        w.waitSyncPending(4096); // shift: done below 2048
        int done = w.tryAdmit(0, 2048);
        assertThat(done).isEqualTo(ResyncWindow.DONE);
        assertThat(w.tryAdmit(2040, 16)).as("straddles into active").isNegative();
        w.syncRequestDone(4096);
        w.closeSync();
        assertThat(w.tryAdmit(2040, 16)).as("open after close_sync").isPositive();
        w.requestDone(done);
        assertThat(w.normalInFlight()).isEqualTo(1);
    }

    @Test
    void closeSyncRefusesChunksStillInFlight() {
        w.initResync();
        w.waitSyncPending(0);
        assertThatThrownBy(w::closeSync).isInstanceOf(IllegalStateException.class).hasMessageContaining("ready 1");
        w.syncRequestDone(0);
        w.closeSync();
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
