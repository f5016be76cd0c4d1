// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static dev.kalloc.page.Gfp.__GFP_IO;
import static dev.kalloc.page.Gfp.__GFP_WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The modern mempool_alloc: no half-full rule, an immediate full-gfp retry, a timed sleep and retry. */
class ModernLevelsTest {
    private final FakeAllocator fake = new FakeAllocator();

    private Mempool<Elem> pool(int minNr, Duration timeout) {
        Mempool<Elem> pool = Mempool.builder("m", minNr, fake, fake).policy(MempoolPolicy.MODERN)
                .waitTimeout(timeout).create();
        assertThat(pool).isNotNull();
        fake.resetCounts();
        return pool;
    }

    @Test
    void aFullPoolIsUsedBeforeAnyBlockingAllocation() {
        Mempool<Elem> pool = pool(4, Mempool.DEFAULT_WAIT_TIMEOUT);
        fake.failWhen(FakeAllocator.NOWAIT);
        for (int i = 0; i < 4; i++) {
            assertThat(pool.alloc(GFP_NOIO)).isNotNull();
        }
        assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(4);
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isZero();
        assertThat(fake.sleepingCalls()).isZero();
        assertThat(fake.lastGfp()).isEqualTo((GFP_NOIO | Mempool.MODERN_GFP_MODIFIERS) & ~(__GFP_WAIT | __GFP_IO));
    }

    @Test
    void anEmptyPoolRetriesAtOnceWithTheFullGfp() {
        Mempool<Elem> pool = pool(1, Mempool.DEFAULT_WAIT_TIMEOUT);
        fake.failWhen(FakeAllocator.NOWAIT);
        pool.alloc(GFP_NOIO);
        Elem e = pool.alloc(GFP_NOIO);
        assertThat(fake.isLive(e)).isTrue();
        assertThat(fake.lastGfp()).isEqualTo(GFP_NOIO | Mempool.MODERN_GFP_MODIFIERS);
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
        assertThat(pool.stats().waits()).isZero();
    }

    @Test
    void atomicCallerGetsNullFromAnEmptyPoolAfterOneAttempt() {
        Mempool<Elem> pool = pool(1, Mempool.DEFAULT_WAIT_TIMEOUT);
        fake.failWhen(FakeAllocator.ALWAYS);
        assertThat(pool.alloc(GFP_ATOMIC)).isNotNull();
        long calls = fake.nonSleepingCalls();
        assertThat(pool.alloc(GFP_ATOMIC)).isNull();
        assertThat(fake.nonSleepingCalls()).isEqualTo(calls + 1);
        assertThat(pool.stats().failures()).isEqualTo(1);
    }

    @Test
    void theTimedSleepRetriesWithoutAnyFree() throws Exception {
        AtomicInteger unplugs = new AtomicInteger();
        Mempool<Elem> pool = Mempool.builder("m", 1, fake, fake).policy(MempoolPolicy.MODERN)
                .waitTimeout(Duration.ofMillis(20)).unplugIo(unplugs::incrementAndGet).create();
        fake.failWhen(FakeAllocator.ALWAYS);
        pool.alloc(GFP_NOIO); // empties the pool
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.stats().waits() >= 2, "the sleeper has timed out twice");
        fake.failWhen(FakeAllocator.NOWAIT); // the retry after the next timeout, with the full gfp, works
        Elem e = sleeper.get(10, TimeUnit.SECONDS);
        assertThat(fake.isLive(e)).isTrue();
        assertThat(pool.served(MempoolLevel.AFTER_WAIT)).isEqualTo(1);
        assertThat(pool.stats().failures()).isZero();
        assertThat(unplugs.get()).isEqualTo((int) pool.stats().waits());
        assertThat(pool.currNr()).isZero();
    }
}
