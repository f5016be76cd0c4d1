// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link WaitQueue}: wake-up order and counts, the prepare/re-test/schedule protocol, timeouts,
 * and uninterruptible sleep. Entries can be queued by the test thread itself, which lets the
 * wake-up rules be checked without any sleeping; the sleeping tests use real threads.
 */
class WaitQueueTest {
    private static final long GUARD_MS = 30_000;

    @Test
    void exclusiveWaitersAreWokenOnePerWakeUpInFifoOrder() {
        WaitQueue q = new WaitQueue();
        WaitQueue.Entry e1 = q.prepareToWait(true);
        WaitQueue.Entry e2 = q.prepareToWait(true);
        WaitQueue.Entry e3 = q.prepareToWait(true);
        assertThat(q.waiters()).isEqualTo(3);
        assertThat(q.active()).isTrue();

        q.wakeUp();
        assertThat(List.of(e1.isWoken(), e2.isWoken(), e3.isWoken())).containsExactly(true, false, false);
        assertThat(q.waiters()).as("the waker dequeues what it wakes").isEqualTo(2);
        q.wakeUp();
        assertThat(List.of(e1.isWoken(), e2.isWoken(), e3.isWoken())).containsExactly(true, true, false);
        q.wakeUp();
        assertThat(e3.isWoken()).isTrue();
        assertThat(q.active()).isFalse();
        q.wakeUp(); // nobody left: no effect
        for (WaitQueue.Entry e : List.of(e1, e2, e3)) {
            q.finishWait(e);
        }
        assertThat(q.waiters()).isZero();
    }

    @Test
    void nonExclusiveWaitersAreAllWokenWithOneExclusive() {
        WaitQueue q = new WaitQueue();
        WaitQueue.Entry x1 = q.prepareToWait(true);
        WaitQueue.Entry n1 = q.prepareToWait(false);
        WaitQueue.Entry x2 = q.prepareToWait(true);
        WaitQueue.Entry n2 = q.prepareToWait(false);
        q.wakeUp();
        assertThat(List.of(n1.isWoken(), n2.isWoken(), x1.isWoken(), x2.isWoken()))
                .containsExactly(true, true, true, false);
        assertThat(q.waiters()).isEqualTo(1);
        q.finishWait(x2);
        assertThat(q.waiters()).isZero();
    }

    @Test
    void wakeUpNrAndWakeUpAll() {
        WaitQueue q = new WaitQueue();
        List<WaitQueue.Entry> xs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            xs.add(q.prepareToWait(true));
        }
        q.wakeUpNr(2);
        assertThat(xs).extracting(WaitQueue.Entry::isWoken).containsExactly(true, true, false, false, false);
        assertThatThrownBy(() -> q.wakeUpNr(0)).isInstanceOf(IllegalArgumentException.class);
        q.wakeUpAll();
        assertThat(xs).extracting(WaitQueue.Entry::isWoken).containsOnly(true);
        assertThat(q.waiters()).isZero();
    }

    @Test
    void finishWaitDequeuesAnEntryNobodyWoke() {
        WaitQueue q = new WaitQueue();
        WaitQueue.Entry e1 = q.prepareToWait(true);
        WaitQueue.Entry e2 = q.prepareToWait(true);
        q.finishWait(e1);
        assertThat(q.waiters()).isEqualTo(1);
        q.wakeUp();
        assertThat(e1.isWoken()).isFalse();
        assertThat(e2.isWoken()).as("the wake-up goes to the next waiter, not the departed one").isTrue();
        q.finishWait(e2);
        q.finishWait(e1); // twice is harmless
        assertThat(q.waiters()).isZero();
    }

    @Test
    void scheduleReturnsAtOnceForAnAlreadyWokenEntry() {
        WaitQueue q = new WaitQueue();
        WaitQueue.Entry e = q.prepareToWait(false);
        q.wakeUp();
        q.schedule(e);
        assertThat(q.scheduleTimeout(e, 1, TimeUnit.DAYS)).isTrue();
        assertThat(q.scheduleInterruptible(e)).isTrue();
        q.finishWait(e);
    }

    @Test
    void scheduleTimeoutReturnsFalseOnTimeout() {
        WaitQueue q = new WaitQueue();
        WaitQueue.Entry e = q.prepareToWait(true);
        assertThat(q.scheduleTimeout(e, 1, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(e.isWoken()).isFalse();
        assertThat(q.scheduleTimeout(e, 0, TimeUnit.MILLISECONDS)).isFalse();
        q.finishWait(e);
        assertThat(q.waiters()).isZero();
    }

    @Test
    void sleepersAreWokenInFifoOrder() throws Exception {
        WaitQueue q = new WaitQueue();
        int n = 3;
        List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            CountDownLatch queued = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                WaitQueue.Entry e = q.prepareToWait(true);
                queued.countDown();
                try {
                    q.schedule(e);
                    order.add(id);
                } finally {
                    q.finishWait(e);
                }
            }, "sleeper-" + i);
            t.start();
            assertThat(queued.await(GUARD_MS, TimeUnit.MILLISECONDS)).isTrue();
            threads.add(t);
        }
        for (int i = 0; i < n; i++) {
            q.wakeUp();
            threads.get(i).join(GUARD_MS);
            assertThat(threads.get(i).isAlive()).isFalse();
            for (int j = i + 1; j < n; j++) {
                assertThat(threads.get(j).isAlive()).as("sleeper %d still asleep", j).isTrue();
            }
        }
        assertThat(order).containsExactly(0, 1, 2);
    }

    /**
     * Ping-pong through the protocol many times: each side publishes its flag with a volatile
     * write and then wakes the other. A lost wake-up would leave both asleep (and the guard
     * would fail the test).
     */
    @Test
    void noLostWakeUpWithThePrepareRetestScheduleProtocol() throws Exception {
        WaitQueue toConsumer = new WaitQueue();
        WaitQueue toProducer = new WaitQueue();
        AtomicInteger produced = new AtomicInteger();
        AtomicInteger consumed = new AtomicInteger();
        int rounds = 20_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                for (int i = 1; i <= rounds; i++) {
                    int want = i;
                    sleepUntil(toConsumer, () -> produced.get() >= want);
                    consumed.set(i);
                    toProducer.wakeUp();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "consumer");
        consumer.start();
        for (int i = 1; i <= rounds; i++) {
            int want = i - 1;
            sleepUntil(toProducer, () -> consumed.get() >= want);
            produced.set(i);
            toConsumer.wakeUp();
        }
        consumer.join(GUARD_MS);
        assertThat(consumer.isAlive()).as("no lost wake-up").isFalse();
        assertThat(failure.get()).isNull();
        assertThat(consumed.get()).isEqualTo(rounds);
    }

    private static void sleepUntil(WaitQueue q, java.util.function.BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            WaitQueue.Entry e = q.prepareToWait(true);
            try {
                if (!condition.getAsBoolean()) {
                    q.schedule(e);
                }
            } finally {
                q.finishWait(e);
            }
        }
    }

    @Test
    void waitEventSleepsUntilTheConditionHolds() throws Exception {
        WaitQueue q = new WaitQueue();
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> q.waitEvent(flag::get));
        t.start();
        awaitQueued(q, 1);
        q.wakeUp(); // spurious: the condition is still false, it sleeps again
        awaitQueued(q, 1);
        assertThat(t.isAlive()).isTrue();
        flag.set(true);
        q.wakeUp();
        t.join(GUARD_MS);
        assertThat(t.isAlive()).isFalse();
    }

    /**
     * schedule() is TASK_UNINTERRUPTIBLE: an interrupt does not end it. The sleeper consumes the
     * interrupt and parks again (observed as: not alive-and-interrupted, but parked with its
     * interrupt status cleared); only the wake-up ends the sleep, and then the interrupt status
     * is restored.
     */
    @Test
    void interruptDoesNotEndAnUninterruptibleSchedule() throws Exception {
        WaitQueue q = new WaitQueue();
        AtomicBoolean wokenAtReturn = new AtomicBoolean();
        AtomicBoolean interruptedAtReturn = new AtomicBoolean();
        Thread t = new Thread(() -> {
            WaitQueue.Entry e = q.prepareToWait(true);
            try {
                q.schedule(e);
                wokenAtReturn.set(e.isWoken());
                interruptedAtReturn.set(Thread.currentThread().isInterrupted());
            } finally {
                q.finishWait(e);
            }
        }, "uninterruptible");
        t.start();
        awaitQueued(q, 1);
        awaitParked(t);
        t.interrupt();
        // Failure guard: wait until the sleeper has taken the interrupt and parked again (or,
        // if schedule() wrongly returned, until it ended).
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MS);
        while (t.isAlive() && (t.isInterrupted() || t.getState() != Thread.State.WAITING)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(t.isAlive()).as("still asleep after the interrupt").isTrue();
        assertThat(q.waiters()).isEqualTo(1);

        q.wakeUp();
        t.join(GUARD_MS);
        assertThat(t.isAlive()).isFalse();
        assertThat(wokenAtReturn.get()).isTrue();
        assertThat(interruptedAtReturn.get()).as("interrupt status restored").isTrue();
    }

    @Test
    void scheduleInterruptibleEndsOnInterrupt() throws Exception {
        WaitQueue q = new WaitQueue();
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            WaitQueue.Entry e = q.prepareToWait(false);
            try {
                result.set(q.scheduleInterruptible(e));
            } finally {
                q.finishWait(e);
            }
        });
        t.start();
        awaitQueued(q, 1);
        t.interrupt();
        t.join(GUARD_MS);
        assertThat(t.isAlive()).isFalse();
        assertThat(result.get()).isFalse();
        assertThat(q.waiters()).isZero();
    }

    /** Failure guard only: waits (bounded) until {@code n} entries are queued. */
    private static void awaitQueued(WaitQueue q, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MS);
        while (q.waiters() != n) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /** Failure guard only: waits (bounded) until {@code t} is parked. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MS);
        while (t.getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
