// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A pool drawing on another pool, as raid1's resync buffers draw on a pool. */
class StackingTest {
    private final FakeAllocator fake = new FakeAllocator();

    @Test
    void theOuterPoolDrainsTheInnerReserveWithoutSleepingThenItsOwn() {
        Mempool<Elem> inner = Mempool.create("inner", 4, fake, fake);
        Mempool<Elem> outer = Mempools.stackedPool("outer", 2, inner).create();
        assertThat(inner.nrOut()).isEqualTo(2); // the outer prefill
        assertThat(inner.served(MempoolLevel.FULL_GFP) + inner.served(MempoolLevel.NOWAIT)).isEqualTo(2);
        assertThat(fake.live()).isEqualTo(6);

        fake.failWhen(FakeAllocator.ALWAYS);
        List<Elem> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(outer.alloc(GFP_NOIO)); // outer level 1 = inner atomic alloc = inner's reserve
        }
        assertThat(outer.served(MempoolLevel.NOWAIT)).isEqualTo(4);
        assertThat(inner.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(4);
        assertThat(inner.currNr()).isZero();

        out.add(outer.alloc(GFP_NOIO)); // inner fails atomically; outer is full: level 2
        assertThat(outer.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(1);
        assertThat(inner.stats().failures()).isEqualTo(1);
        assertThat(out).doesNotHaveDuplicates();

        assertThatThrownBy(inner::destroy).isInstanceOf(KernelBug.class);
        out.forEach(outer::free);
        assertThat(outer.currNr()).isEqualTo(2);
        assertThat(inner.currNr()).isEqualTo(4);
        outer.destroy();
        inner.destroy();
        assertThat(fake.live()).isZero();
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void theOutersBlockingAttemptSleepsInTheInnerPoolUntilAnInnerFree(MempoolPolicy policy) throws Exception {
        Mempool<Elem> inner = Mempool.builder("inner", 1, fake, fake).policy(policy)
                .waitTimeout(java.time.Duration.ofMinutes(10)).create();
        Mempool<Elem> outer = Mempools.stackedPool("outer", 1, inner).policy(policy).create();
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem y = outer.alloc(GFP_NOIO); // outer level 1: the inner reserve's element
        Elem x = outer.alloc(GFP_NOIO); // the outer reserve's element
        assertThat(inner.currNr()).isZero();
        assertThat(outer.currNr()).isZero();

        Future<Elem> sleeper = TestSupport.spawn(() -> outer.alloc(GFP_NOIO));
        TestSupport.await(() -> inner.waiters() == 1, "the outer's full-gfp attempt sleeps in the inner pool");
        outer.free(y); // refills the outer pool; nobody sleeps there
        assertThat(outer.currNr()).isEqualTo(1);
        outer.free(x); // the outer pool is full: x goes to the inner pool and wakes the sleeper
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isSameAs(x);
        assertThat(inner.served(MempoolLevel.AFTER_WAIT)).isEqualTo(1);
        assertThat(outer.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
    }
}
