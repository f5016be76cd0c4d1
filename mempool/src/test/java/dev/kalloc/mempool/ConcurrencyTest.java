// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded randomized load: threads allocate (sleeping and atomic) and free while the underlying
 * allocator fails half the time. No element is ever held by two callers; at the end every
 * element is accounted for and the invariants hold. (The exhaustive interleavings are jcstress's.)
 */
class ConcurrencyTest {
    private static final int THREADS = 4;
    private static final int OPS = 20_000;

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void randomLoadKeepsEveryElementWithOneOwner(MempoolPolicy policy) throws Exception {
        FakeAllocator fake = new FakeAllocator();
        Mempool<Elem> pool = Mempool.builder("load", 8, fake, fake).policy(policy)
                .waitTimeout(Duration.ofMillis(5)).create();
        fake.failWhen(gfp -> ThreadLocalRandom.current().nextBoolean());
        Set<Elem> held = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

        ExecutorService ex = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long seed = 0x5EED + t;
            done.add(ex.submit(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                List<Elem> mine = new ArrayList<>();
                for (int i = 0; i < OPS; i++) {
                    if (!mine.isEmpty() && rnd.nextInt(100) < 50) {
                        Elem e = mine.remove(mine.size() - 1);
                        assertThat(held.remove(e)).isTrue();
                        pool.free(e);
                        continue;
                    }
                    // Sleep only while holding nothing: a caller that sleeps holding elements of
                    // the same pool can deadlock with others doing the same (the kernel's rule).
                    Elem e = pool.alloc(mine.isEmpty() ? GFP_NOIO : GFP_ATOMIC);
                    if (e == null) {
                        continue;
                    }
                    assertThat(held.add(e)).as(e + " handed to two callers").isTrue();
                    mine.add(e);
                }
                for (Elem e : mine) {
                    held.remove(e);
                    pool.free(e);
                }
                return null;
            }));
        }
        ex.shutdown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertThat(ex.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        pool.checkInvariants();
        MempoolStats s = pool.stats();
        assertThat(s.nrOut()).isZero();
        assertThat(pool.waiters()).isZero();
        assertThat(fake.live()).as("live elements are exactly the idle ones").isEqualTo(s.currNr());
        assertThat(s.allocations()).isEqualTo(s.freedToPool() + s.freedToAllocator());
        pool.destroy();
        assertThat(fake.live()).isZero();
    }
}
