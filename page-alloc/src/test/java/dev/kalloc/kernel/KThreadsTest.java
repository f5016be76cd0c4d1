// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** kthread_stop's wait: an interrupt neither cuts it short nor gets lost. */
class KThreadsTest {

    @Test
    void anInterruptDuringTheWaitIsKeptUntilTheThreadHasExited() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread daemon = new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "daemon");
        daemon.start();
        boolean[] sawInterrupt = new boolean[1];
        boolean[] daemonAlive = new boolean[1];
        Thread stopper = new Thread(() -> {
            KThreads.joinUninterruptibly(daemon);
            daemonAlive[0] = daemon.isAlive();
            sawInterrupt[0] = Thread.currentThread().isInterrupted();
        }, "stopper");
        stopper.start();
        while (stopper.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        stopper.interrupt(); // arrives while the stopper is inside join
        assertThat(stopper.isAlive()).as("the interrupt does not end the wait").isTrue();
        release.countDown();
        stopper.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(stopper.isAlive()).isFalse();
        assertThat(daemonAlive[0]).as("the daemon had exited when the wait returned").isFalse();
        assertThat(sawInterrupt[0]).as("the interrupt is re-asserted afterwards").isTrue();
    }

    @Test
    void aNullOrFinishedThreadReturnsAtOnce() throws Exception {
        KThreads.joinUninterruptibly(null);
        Thread done = new Thread(() -> { });
        done.start();
        done.join();
        KThreads.joinUninterruptibly(done);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
