// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_KERNEL;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static dev.kalloc.page.Gfp.__GFP_IO;
import static dev.kalloc.page.Gfp.__GFP_WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.Task;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The modern policy ORs {@code __GFP_NOMEMALLOC|__GFP_NORETRY|__GFP_NOWARN} into the masks it
 * gives the underlying allocator, and the 2.5.1 policy does not. Over the page allocator on a
 * full machine whose OOM policy waits for frees, that is the difference between falling back to
 * the pool's wait queue (modern, woken by a {@code mempool_free}) and sleeping in the page
 * allocator, where a {@code mempool_free} cannot reach the sleeper (2.5.1, as in 2001).
 */
class GfpModifiersTest {
    /** Long enough that only a free can end a modern sleep during the test. */
    private static final Duration NO_TIMEOUT = Duration.ofHours(1);

    // -------------------------------------------------------------------------------------------
    // The masks, with a fake allocator
    // -------------------------------------------------------------------------------------------

    /** Records every mask the pool passes down. */
    private static final class Recording implements MempoolAllocFn<Elem>, MempoolFreeFn<Elem> {
        final FakeAllocator fake = new FakeAllocator();
        final List<Integer> gfps = new CopyOnWriteArrayList<>();

        @Override
        public Elem alloc(int gfp) {
            gfps.add(gfp);
            return fake.alloc(gfp);
        }

        @Override
        public void free(Elem e) {
            fake.free(e);
        }
    }

    @Test
    void modernPassesTheModifiersOnEveryUnderlyingCallButNotOnPrefillOrResize() {
        Recording r = new Recording();
        Mempool<Elem> pool = Mempool.builder("m", 1, r, r).policy(MempoolPolicy.MODERN).create();
        assertThat(r.gfps).containsExactly(GFP_KERNEL); // mempool_create's prefill: the mask as given
        r.gfps.clear();

        r.fake.failWhen(FakeAllocator.NOWAIT);
        Elem fromPool = pool.alloc(GFP_NOIO);
        Elem fullGfp = pool.alloc(GFP_NOIO);
        int nowait = (GFP_NOIO | Mempool.MODERN_GFP_MODIFIERS) & ~(__GFP_WAIT | __GFP_IO);
        assertThat(r.gfps).containsExactly(nowait, nowait, GFP_NOIO | Mempool.MODERN_GFP_MODIFIERS);
        assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(1);
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);

        r.gfps.clear();
        r.fake.failWhen(FakeAllocator.NEVER);
        pool.free(fromPool);
        pool.resize(2, GFP_NOIO); // mempool_resize allocates with the mask as given
        assertThat(r.gfps).containsExactly(GFP_NOIO);
        pool.free(fullGfp);
        pool.checkInvariants();
    }

    @Test
    void linux251PassesTheCallersMaskUnchanged() {
        Recording r = new Recording();
        Mempool<Elem> pool = Mempool.builder("m", 2, r, r).policy(MempoolPolicy.LINUX_2_5_1).create();
        r.gfps.clear();
        r.fake.failWhen(FakeAllocator.NOWAIT);
        Elem half = pool.alloc(GFP_NOIO); // level 2: half full
        Elem full = pool.alloc(GFP_NOIO); // level 3: the full gfp
        int nowait = GFP_NOIO & ~(__GFP_WAIT | __GFP_IO);
        assertThat(r.gfps).containsExactly(nowait, nowait, GFP_NOIO);
        assertThat(r.gfps).allMatch(g -> (g & Mempool.MODERN_GFP_MODIFIERS) == 0);
        pool.free(half);
        pool.free(full);
    }

    /** The caller's mask is checked as given: the modifiers are accepted from callers too, bad bits refused. */
    @Test
    void callersMayPassTheModifiersThemselves() {
        Recording r = new Recording();
        Mempool<Elem> pool = Mempool.builder("m", 1, r, r).policy(MempoolPolicy.LINUX_2_5_1).create();
        r.gfps.clear();
        Elem e = pool.alloc(GFP_ATOMIC | Gfp.__GFP_NOWARN);
        assertThat(r.gfps).containsExactly(GFP_ATOMIC | Gfp.__GFP_NOWARN);
        pool.free(e);
    }

    // -------------------------------------------------------------------------------------------
    // Over the page allocator, on a full machine that waits for frees
    // -------------------------------------------------------------------------------------------

    /**
     * 4 MiB, no kswapd, per-CPU lists off, OOM policy {@code waitForFree()}, and (after
     * {@link #takeEveryPage}) not one free page: a sleeping allocation without
     * {@code __GFP_NORETRY} that reaches the slow path sleeps on the page allocator's wait queue
     * until pages are freed.
     */
    private static Machine waitingMachine() {
        Machine m = Machine.boot(MachineConfig.builder().memory(4 * MachineConfig.MiB).kswapd(false)
                .perCpuLists(false).oomPolicy(OomPolicy.waitForFree()).build());
        return m;
    }

    /** Takes every free page, highmem too, as a PF_MEMALLOC task (watermarks ignored). */
    private static List<Page> takeEveryPage(Machine m) {
        List<Page> held = new ArrayList<>();
        Task t = m.current();
        int saved = t.setFlags(Task.PF_MEMALLOC);
        try {
            for (Page p; (p = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER)) != null;) {
                held.add(p);
            }
        } finally {
            t.restoreFlags(saved);
        }
        assertThat(m.pageAlloc().nrFreePages()).isZero();
        return held;
    }

    @Test
    void modernPagePoolFallsBackToItsWaitQueueAndIsWokenByAFree() throws Exception {
        try (Machine m = waitingMachine()) {
            Mempool<Page> pool = Mempools.pagePool(m, "modern", 2, 0).policy(MempoolPolicy.MODERN)
                    .waitTimeout(NO_TIMEOUT).create();
            List<Page> held = takeEveryPage(m);
            Page a = pool.alloc(GFP_NOIO);
            Page b = pool.alloc(GFP_NOIO);
            assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(2);
            assertThat(pool.currNr()).isZero();

            // Pool empty: the full-gfp retry makes one reclaim round and fails (NORETRY), so the
            // allocation sleeps on the pool's queue, not on the page allocator's.
            Future<Page> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
            TestSupport.await(() -> pool.waiters() == 1, "the allocation sleeps on the pool");
            assertThat(m.pageAlloc().waiters()).isZero();
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(sleeper.isDone()).isFalse();

            pool.free(a); // mempool_free refills the pool and wakes the sleeper
            Page got = sleeper.get(30, TimeUnit.SECONDS); // failure guard only
            assertThat(got).isSameAs(a);
            assertThat(pool.served(MempoolLevel.AFTER_WAIT)).isEqualTo(1);
            assertThat(pool.stats().waits()).isEqualTo(1);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(m.pageAlloc().nrFreePages()).isZero(); // nothing came from the page allocator

            pool.free(got);
            pool.free(b);
            held.forEach(m.pageAlloc()::freePage);
            pool.destroy();
            m.checkInvariants();
        }
    }

    /**
     * The 2.5.1 order on the same machine: below half full, level 3 calls the page allocator with
     * the caller's {@code GFP_NOIO}, which, with no bit to stop it, sleeps there. A
     * {@code mempool_free} refills the pool and wakes the pool's queue, where nobody sleeps; the
     * allocation stays in the page allocator (this is the writeback deadlock of
     * {@code kalloc run --oom wait}) until pages are freed to the page allocator. Faithful to
     * 2.5.1, whose page allocator looped in the same place.
     */
    @Test
    void linux251PagePoolSleepsInThePageAllocatorWhereAPoolFreeCannotReachIt() throws Exception {
        try (Machine m = waitingMachine()) {
            Mempool<Page> pool = Mempools.pagePool(m, "251", 2, 0).policy(MempoolPolicy.LINUX_2_5_1).create();
            List<Page> held = takeEveryPage(m);
            Page a = pool.alloc(GFP_NOIO);
            assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(1);

            // curr_nr 1 <= min_nr / 2: level 3, the page allocator with the full GFP_NOIO.
            Future<Page> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
            TestSupport.await(() -> m.pageAlloc().waiters() == 1, "the allocation sleeps in the page allocator");
            assertThat(pool.waiters()).isZero();
            assertThat(m.pageAlloc().oomRounds()).isPositive();

            pool.free(a); // refills the pool; its wake-up finds nobody on the pool's queue
            assertThat(pool.currNr()).isEqualTo(2);
            assertThat(pool.waiters()).isZero();
            assertThat(m.pageAlloc().waiters()).isEqualTo(1);
            assertThat(sleeper.isDone()).isFalse();

            // Only pages freed to the page allocator wake it: it then takes one of them.
            held.forEach(m.pageAlloc()::freePage);
            Page got = sleeper.get(30, TimeUnit.SECONDS); // failure guard only
            assertThat(got).isNotNull();
            assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
            assertThat(pool.stats().waits()).isZero();

            pool.free(got);
            pool.destroy();
            m.checkInvariants();
        }
    }
}
