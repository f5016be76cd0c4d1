// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_KERNEL;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static dev.kalloc.page.Gfp.__GFP_HIGH;
import static dev.kalloc.page.Gfp.__GFP_IO;
import static dev.kalloc.page.Gfp.__GFP_WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The five levels of the 2.5.1 mempool_alloc, one by one, with the underlying allocator failing on demand. */
class Linux251LevelsTest {
    private final FakeAllocator fake = new FakeAllocator();

    private Mempool<Elem> pool(int minNr) {
        Mempool<Elem> pool = Mempool.create("p", minNr, fake, fake);
        assertThat(pool).isNotNull();
        assertThat(pool.policy()).isEqualTo(MempoolPolicy.LINUX_2_5_1);
        fake.resetCounts();
        return pool;
    }

    @Test
    void prefillMakesMinNrElementsWithGfpKernel() {
        Mempool<Elem> pool = pool(5);
        assertThat(pool.currNr()).isEqualTo(5);
        assertThat(pool.minNr()).isEqualTo(5);
        assertThat(fake.live()).isEqualTo(5);
        assertThat(fake.lastGfp()).isEqualTo(GFP_KERNEL);
        assertThat(pool.nrOut()).isZero();
        pool.checkInvariants();
    }

    @Test
    void level1TriesTheAllocatorWithoutWaitAndIoAndLeavesThePoolAlone() {
        Mempool<Elem> pool = pool(4);
        Elem e = pool.alloc(GFP_KERNEL);
        assertThat(fake.isLive(e)).isTrue();
        assertThat(fake.lastGfp()).isEqualTo(GFP_KERNEL & ~(__GFP_WAIT | __GFP_IO));
        assertThat(pool.served(MempoolLevel.NOWAIT)).isEqualTo(1);
        assertThat(pool.currNr()).isEqualTo(4);
        assertThat(pool.nrOut()).isEqualTo(1);
    }

    @Test
    void level2TakesFromAPoolMoreThanHalfFullWithoutTheBlockingAllocation() {
        Mempool<Elem> pool = pool(4);
        fake.failWhen(FakeAllocator.NOWAIT);
        pool.alloc(GFP_NOIO); // curr 4 > 2
        pool.alloc(GFP_NOIO); // curr 3 > 2
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(2);
        assertThat(fake.sleepingCalls()).isZero();
        assertThat(pool.currNr()).isEqualTo(2);
    }

    @Test
    void level3UsesTheFullGfpOnceThePoolIsAtMostHalfFull() {
        Mempool<Elem> pool = pool(4);
        fake.failWhen(FakeAllocator.NOWAIT);
        pool.alloc(GFP_NOIO);
        pool.alloc(GFP_NOIO);
        long before = fake.sleepingCalls();
        Elem e = pool.alloc(GFP_NOIO); // curr 2 <= 4/2: the blocking allocation is tried, and works
        assertThat(fake.sleepingCalls()).isEqualTo(before + 1);
        assertThat(fake.lastGfp()).isEqualTo(GFP_NOIO);
        assertThat(fake.isLive(e)).isTrue();
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
        assertThat(pool.currNr()).isEqualTo(2);
    }

    @Test
    void halfFullBoundaryUsesIntegerDivision() {
        Mempool<Elem> pool = pool(5); // min/2 == 2
        fake.failWhen(FakeAllocator.NOWAIT);
        for (int i = 0; i < 3; i++) {
            pool.alloc(GFP_NOIO); // curr 5, 4, 3 are all > 2
        }
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(3);
        pool.alloc(GFP_NOIO); // curr 2 <= 2
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
    }

    @Test
    void level4TakesFromANonEmptyPoolWhenTheBlockingAllocationFails() {
        Mempool<Elem> pool = pool(4);
        fake.failWhen(FakeAllocator.ALWAYS);
        List<Elem> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            got.add(pool.alloc(GFP_NOIO));
        }
        assertThat(got).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(2);
        assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(2);
        assertThat(fake.sleepingCalls()).isEqualTo(2);
        assertThat(pool.currNr()).isZero();
        assertThat(pool.nrOut()).isEqualTo(4);
    }

    @Test
    void poolIsLifo() {
        Mempool<Elem> pool = pool(3);
        fake.failWhen(FakeAllocator.ALWAYS);
        Elem a = pool.alloc(GFP_NOIO);
        Elem b = pool.alloc(GFP_NOIO);
        pool.free(a);
        pool.free(b);
        assertThat(pool.alloc(GFP_NOIO)).isSameAs(b);
        assertThat(pool.alloc(GFP_NOIO)).isSameAs(a);
    }

    @Test
    void atomicCallerSkipsTheBlockingAllocationAndGetsNullFromAnEmptyPool() {
        Mempool<Elem> pool = pool(2);
        fake.failWhen(FakeAllocator.ALWAYS);
        assertThat(pool.alloc(GFP_ATOMIC)).isNotNull();
        assertThat(pool.alloc(GFP_ATOMIC)).isNotNull();
        assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(2);
        assertThat(pool.alloc(GFP_ATOMIC)).isNull();
        assertThat(pool.stats().failures()).isEqualTo(1);
        assertThat(fake.sleepingCalls()).isZero();
        assertThat(fake.nonSleepingCalls()).isEqualTo(3);
    }

    @Test
    void maskWithIoButNoWaitIsTreatedAsAtomicAfterTheKernelsHalfFullStep() {
        Mempool<Elem> pool = pool(2);
        fake.failWhen(FakeAllocator.ALWAYS);
        int ioNoWait = __GFP_HIGH | __GFP_IO;
        pool.alloc(ioNoWait);
        pool.alloc(ioNoWait);
        assertThat(pool.alloc(ioNoWait)).isNull();
        assertThat(pool.waiters()).isZero();
    }

    @Test
    void freeRefillsBelowMinAndHandsBackAtMin() {
        Mempool<Elem> pool = pool(2);
        Elem fresh = pool.alloc(GFP_KERNEL); // level 1: pool stays full
        pool.free(fresh);
        assertThat(fake.isLive(fresh)).isFalse();
        assertThat(pool.stats().freedToAllocator()).isEqualTo(1);

        fake.failWhen(FakeAllocator.ALWAYS);
        Elem fromPool = pool.alloc(GFP_NOIO);
        assertThat(pool.currNr()).isEqualTo(1);
        pool.free(fromPool);
        assertThat(pool.currNr()).isEqualTo(2);
        assertThat(fake.isLive(fromPool)).isTrue();
        assertThat(pool.stats().freedToPool()).isEqualTo(1);
        assertThat(pool.nrOut()).isZero();
    }

    @Test
    void kickVmRunsWhenTheAllocationReachesThePoolAndUnplugBeforeSleeping() {
        AtomicInteger kicks = new AtomicInteger();
        AtomicInteger unplugs = new AtomicInteger();
        Mempool<Elem> pool = Mempool.builder("hooks", 2, fake, fake).kickVm(kicks::incrementAndGet)
                .unplugIo(unplugs::incrementAndGet).create();
        pool.alloc(GFP_NOIO); // level 1
        assertThat(kicks.get()).isZero();
        fake.failWhen(FakeAllocator.ALWAYS);
        pool.alloc(GFP_NOIO);
        pool.alloc(GFP_ATOMIC);
        assertThat(pool.alloc(GFP_ATOMIC)).isNull();
        assertThat(kicks.get()).isEqualTo(3);
        assertThat(unplugs.get()).isZero();
    }
}
