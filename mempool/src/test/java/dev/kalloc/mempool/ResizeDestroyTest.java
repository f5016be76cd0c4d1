// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_KERNEL;
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

/** mempool_create's all-or-nothing prefill, mempool_resize up and down, mempool_destroy and its refusals. */
class ResizeDestroyTest {
    private final FakeAllocator fake = new FakeAllocator();

    @Test
    void createIsAllOrNothing() {
        fake.budget(3);
        assertThat(Mempool.create("p", 5, fake, fake)).isNull();
        assertThat(fake.live()).isZero();
        assertThat(fake.frees()).isEqualTo(3);
    }

    @Test
    void createPassesOnAnAllocatorExceptionAfterFreeingWhatItMade() {
        RuntimeException boom = new IllegalStateException("boom");
        int[] calls = {0};
        MempoolAllocFn<Elem> exploding = gfp -> {
            if (calls[0]++ == 2) {
                throw boom;
            }
            return fake.alloc(gfp);
        };
        assertThatThrownBy(() -> Mempool.create("p", 4, exploding, fake)).isSameAs(boom);
        assertThat(fake.live()).isZero();
    }

    @Test
    void growMakesTheNewElementsWithTheGivenGfp() {
        Mempool<Elem> pool = Mempool.create("p", 2, fake, fake);
        pool.resize(6, GFP_NOIO);
        assertThat(pool.minNr()).isEqualTo(6);
        assertThat(pool.currNr()).isEqualTo(6);
        assertThat(fake.live()).isEqualTo(6);
        assertThat(fake.lastGfp()).isEqualTo(GFP_NOIO);
        assertThat(pool.nrOut()).isZero();
        pool.checkInvariants();
    }

    @Test
    void growIsBestEffortAndLaterFreesComplete() {
        Mempool<Elem> pool = Mempool.create("p", 2, fake, fake);
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem a = pool.alloc(GFP_NOIO);
        Elem b = pool.alloc(GFP_NOIO);
        fake.failWhen(FakeAllocator.NEVER).budget(1);
        pool.resize(4, GFP_KERNEL); // one element made, then failure: stop
        assertThat(pool.minNr()).isEqualTo(4);
        assertThat(pool.currNr()).isEqualTo(1);
        pool.free(a);
        pool.free(b);
        assertThat(pool.currNr()).isEqualTo(3);
        assertThat(pool.stats().freedToPool()).isEqualTo(2);
        pool.checkInvariants();
    }

    @Test
    void shrinkFreesTheExcessToTheUnderlyingAllocator() {
        Mempool<Elem> pool = Mempool.create("p", 6, fake, fake);
        pool.resize(2, GFP_KERNEL);
        assertThat(pool.minNr()).isEqualTo(2);
        assertThat(pool.currNr()).isEqualTo(2);
        assertThat(fake.live()).isEqualTo(2);
        pool.checkInvariants();
    }

    @Test
    void shrinkBelowTheIdleCountLeavesOutstandingElementsToTheirFrees() {
        Mempool<Elem> pool = Mempool.create("p", 4, fake, fake);
        fake.failWhen(FakeAllocator.ALWAYS);
        List<Elem> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(pool.alloc(GFP_NOIO));
        }
        pool.resize(2, GFP_KERNEL); // curr 1 <= 2: nothing to free, min lowered
        assertThat(pool.currNr()).isEqualTo(1);
        out.forEach(pool::free);
        assertThat(pool.currNr()).isEqualTo(2);
        assertThat(pool.stats().freedToAllocator()).isEqualTo(2);
        assertThat(fake.live()).isEqualTo(2);
    }

    @Test
    void shrinkThenGrowReusesTheArray() {
        Mempool<Elem> pool = Mempool.create("p", 8, fake, fake);
        pool.resize(1, GFP_KERNEL);
        pool.resize(5, GFP_KERNEL);
        assertThat(pool.currNr()).isEqualTo(5);
        pool.checkInvariants();
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void growWakesASleeper(MempoolPolicy policy) throws Exception {
        Mempool<Elem> pool = Mempool.builder("p", 1, fake, fake).policy(policy).create();
        fake.failWhen(gfp -> gfp != GFP_KERNEL);
        Elem held = pool.alloc(GFP_NOIO);
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps");
        pool.resize(2, GFP_KERNEL);
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isNotNull().isNotSameAs(held);
    }

    @Test
    void resizeToZeroOrLessIsRefusedAndChangesNothing() {
        Mempool<Elem> pool = Mempool.create("p", 3, fake, fake);
        assertThatThrownBy(() -> pool.resize(0, GFP_KERNEL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> pool.resize(-4, GFP_KERNEL)).isInstanceOf(IllegalArgumentException.class);
        assertThat(pool.minNr()).isEqualTo(3);
        assertThat(pool.currNr()).isEqualTo(3);
    }

    @Test
    void destroyFreesEveryIdleElement() {
        Mempool<Elem> pool = Mempool.create("p", 4, fake, fake);
        pool.destroy();
        assertThat(fake.live()).isZero();
        assertThat(pool.isDestroyed()).isTrue();
        assertThat(pool.currNr()).isZero();
    }

    @Test
    void destroyIsRefusedWhileElementsAreOutAndThePoolStaysUsable() {
        Mempool<Elem> pool = Mempool.create("p", 2, fake, fake);
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem e = pool.alloc(GFP_NOIO);
        assertThatThrownBy(pool::destroy).isInstanceOf(KernelBug.class)
                .hasMessageContaining("'p'").hasMessageContaining("1 element(s) still out");
        assertThat(pool.isDestroyed()).isFalse();
        assertThat(pool.currNr()).isEqualTo(1);
        assertThat(fake.live()).isEqualTo(2);
        Elem again = pool.alloc(GFP_NOIO);
        pool.free(again);
        pool.free(e);
        pool.destroy();
        assertThat(fake.live()).isZero();
    }

    @Test
    void destroyIsRefusedAfterMoreFreesThanAllocations() {
        Mempool<Elem> pool = Mempool.create("p", 1, fake, fake);
        Elem foreign = fake.alloc(GFP_KERNEL);
        pool.free(foreign); // the pool is full, so it goes to the allocator: nothing to see yet
        assertThat(pool.nrOut()).isEqualTo(-1);
        assertThatThrownBy(pool::destroy).isInstanceOf(KernelBug.class).hasMessageContaining("more frees");
        assertThat(pool.isDestroyed()).isFalse();
        assertThatThrownBy(pool::checkInvariants).isInstanceOf(AssertionError.class);
    }

    @Test
    void destroyIsRefusedWhileATaskSleepsInAlloc() throws Exception {
        Mempool<Elem> pool = Mempool.create("p", 1, fake, fake);
        // Misuse that balances the books: a foreign free (to the allocator, the pool being full)
        // cancels the one element out, so only the sleeper shows that the pool is in use.
        pool.free(fake.alloc(GFP_KERNEL));
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem e = pool.alloc(GFP_NOIO);
        Future<Elem> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps");
        assertThat(pool.nrOut()).isZero();
        assertThatThrownBy(pool::destroy).isInstanceOf(KernelBug.class).hasMessageContaining("sleep in mempool_alloc");
        assertThat(pool.isDestroyed()).isFalse();
        pool.free(e);
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isSameAs(e);
    }

    @Test
    void everyCallAfterDestroyIsAKernelBug() {
        Mempool<Elem> pool = Mempool.create("p", 1, fake, fake);
        Elem e = pool.alloc(GFP_KERNEL);
        pool.free(e);
        pool.destroy();
        assertThatThrownBy(() -> pool.alloc(GFP_KERNEL)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("after mempool_destroy");
        Elem foreign = fake.alloc(GFP_KERNEL);
        assertThatThrownBy(() -> pool.free(foreign)).isInstanceOf(KernelBug.class);
        assertThatThrownBy(() -> pool.resize(2, GFP_KERNEL)).isInstanceOf(KernelBug.class);
        assertThatThrownBy(pool::destroy).isInstanceOf(KernelBug.class).hasMessageContaining("already destroyed");
        assertThat(fake.isLive(foreign)).isTrue();
    }

    @Test
    void aDoubleFreeThatWouldPutAnElementInThePoolTwiceIsRefused() {
        Mempool<Elem> pool = Mempool.create("p", 3, fake, fake);
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem a = pool.alloc(GFP_NOIO);
        pool.alloc(GFP_NOIO);
        pool.free(a);
        int curr = pool.currNr();
        assertThatThrownBy(() -> pool.free(a)).isInstanceOf(KernelBug.class).hasMessageContaining("double");
        assertThat(pool.currNr()).isEqualTo(curr);
        assertThat(pool.stats().freedToPool()).isEqualTo(1);
        pool.checkInvariants();
    }

    @Test
    void theOwnerCheckRejectsForeignElementsBeforeAnythingChanges() {
        Mempool<Elem> pool = Mempool.builder("owned", 2, fake, fake).ownerCheck(e -> e.id < 1000).create();
        fake.failWhen(FakeAllocator.ALWAYS);
        pool.alloc(GFP_NOIO);
        Elem foreign = new Elem(4242);
        assertThatThrownBy(() -> pool.free(foreign)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("did not allocate it");
        assertThat(pool.currNr()).isEqualTo(1);
        assertThat(pool.nrOut()).isEqualTo(1);
    }
}
