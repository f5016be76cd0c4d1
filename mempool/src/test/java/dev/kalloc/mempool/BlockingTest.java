// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_KERNEL;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Level 5: a sleeping alloc with the underlying allocator failing always blocks until a free, then succeeds. */
class BlockingTest {
    private final FakeAllocator fake = new FakeAllocator();

    /** The modern timeout is far longer than the test, so only the free can end the sleep. */
    private Mempool<Elem> drained(MempoolPolicy policy, int minNr, List<Elem> out) {
        Mempool<Elem> pool = Mempool.builder("b", minNr, fake, fake).policy(policy)
                .waitTimeout(Duration.ofMinutes(10)).create();
        fake.failWhen(FakeAllocator.ALWAYS);
        for (int i = 0; i < minNr; i++) {
            out.add(pool.alloc(GFP_NOIO));
        }
        assertThat(pool.currNr()).isZero();
        return pool;
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void sleepingAllocBlocksUntilAFreeThenGetsThatElement(MempoolPolicy policy) throws Exception {
        List<Elem> out = new ArrayList<>();
        Mempool<Elem> pool = drained(policy, 2, out);
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps on the pool");
        assertThat(sleeper.isDone()).isFalse();

        pool.free(out.get(0));
        Elem got = sleeper.get(10, TimeUnit.SECONDS);
        assertThat(got).isSameAs(out.get(0));
        assertThat(pool.served(MempoolLevel.AFTER_WAIT)).isEqualTo(1);
        assertThat(pool.stats().waits()).isEqualTo(1);
        assertThat(pool.stats().waitNanos()).isPositive();
        assertThat(pool.stats().failures()).isZero();
        assertThat(pool.waiters()).isZero();
        assertThat(pool.nrOut()).isEqualTo(2);
        pool.checkInvariants();
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void twoSleepersAreWokenByTwoFrees(MempoolPolicy policy) throws Exception {
        List<Elem> out = new ArrayList<>();
        Mempool<Elem> pool = drained(policy, 2, out);
        Future<Elem> first = TestSupport.spawn(() -> pool.alloc(GFP_KERNEL));
        TestSupport.await(() -> pool.waiters() == 1, "the first allocation sleeps");
        Future<Elem> second = TestSupport.spawn(() -> pool.alloc(GFP_KERNEL));
        TestSupport.await(() -> pool.waiters() == 2, "both allocations sleep");
        pool.free(out.get(0));
        pool.free(out.get(1));
        assertThat(List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS)))
                .containsExactlyInAnyOrderElementsOf(out);
        assertThat(pool.served(MempoolLevel.AFTER_WAIT)).isEqualTo(2);
    }

    @Test
    void aWoken251SleeperServedByTheAllocatorHandsTheWakeupOn() throws Exception {
        List<Elem> out = new ArrayList<>();
        Mempool<Elem> pool = drained(MempoolPolicy.LINUX_2_5_1, 1, out);
        Future<Elem> first = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the first allocation sleeps");
        Future<Elem> second = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 2, "both allocations sleep");
        // The free wakes only the first exclusive sleeper, whose level-1 retry gets the one
        // element the allocator can still make. The freed element stays in the pool; unless the
        // wake-up is handed on, the second sleeper (untimed) never sees it.
        fake.failWhen(FakeAllocator.NEVER).budget(1);
        pool.free(out.get(0));
        Elem a = first.get(10, TimeUnit.SECONDS);
        Elem b = second.get(10, TimeUnit.SECONDS);
        assertThat(List.of(a, b)).containsOnlyOnce(out.get(0));
        assertThat(List.of(a, b)).filteredOn(e -> !out.contains(e)).hasSize(1); // the allocator's
        assertThat(pool.currNr()).isZero();
        assertThat(pool.waiters()).isZero();
        pool.checkInvariants();
    }

    @Test
    void linux251SleepsWithoutTimeoutAndRetriesFromLevel1AfterAWake() throws Exception {
        List<Elem> out = new ArrayList<>();
        Mempool<Elem> pool = drained(MempoolPolicy.LINUX_2_5_1, 1, out);
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps");
        fake.failWhen(FakeAllocator.NEVER); // memory is back, but nothing wakes an untimed sleeper
        try {
            sleeper.get(200, TimeUnit.MILLISECONDS);
            throw new AssertionError("the 2.5.1 sleep ended without a free");
        } catch (TimeoutException expected) {
            assertThat(pool.waiters()).isEqualTo(1);
        }
        pool.free(out.get(0));
        Elem got = sleeper.get(10, TimeUnit.SECONDS);
        // repeat_alloc starts at level 1, which now succeeds: the freed element stays in the pool.
        assertThat(got).isNotSameAs(out.get(0));
        assertThat(fake.isLive(got)).isTrue();
        assertThat(pool.currNr()).isEqualTo(1);
        assertThat(pool.served(MempoolLevel.AFTER_WAIT)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void waitTimeIsMeasuredWithThePoolsClock(MempoolPolicy policy) throws Exception {
        AtomicLong now = new AtomicLong();
        Mempool<Elem> pool = Mempool.builder("clocked", 1, fake, fake).policy(policy)
                .waitTimeout(Duration.ofMinutes(10)).clock(() -> now.addAndGet(1_000)).create();
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem e = pool.alloc(GFP_NOIO);
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps");
        pool.free(e);
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isSameAs(e);
        assertThat(pool.stats().waitNanos()).isEqualTo(1_000);
    }
}
