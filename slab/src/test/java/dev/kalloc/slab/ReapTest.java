// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Zone;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** kmem_cache_reap: the reclaim shrinker that gives free slabs back to the buddy allocator. */
class ReapTest {

    /** Makes {@code slabs} free slabs in a cache without array caches. */
    private static void makeFreeSlabs(KmemCache<?> c, int slabs) {
        c.tune(0, 0);
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < slabs * c.num(); i++) {
            objs.add(c.alloc(SLAB_KERNEL));
        }
        objs.forEach(c::free);
        assertThat(c.freeSlabs()).isEqualTo(slabs);
    }

    private static long buddyFree(Machine m) {
        return m.pageAlloc().nrFreePages() + m.zones().stream().mapToLong(Zone::perCpuPages).sum();
    }

    @Test
    void reapSkipsRecentlyGrownCachesThenFreesHalfOfTheBestCachesFreeSlabs() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("reapable", 1024, 0, 0, null, null);
            makeFreeSlabs(c, 12);
            long free = buddyFree(m);
            int total = 0;
            int calls = 0;
            // The first visit of every cache only clears DFLGS_GROWN; REAP_SCANLEN caches are
            // looked at per call, so a few calls go round the chain before the cache is picked.
            while (c.freeSlabs() == 12 && calls < 10) {
                total += s.kmemCacheReap(Gfp.GFP_KERNEL);
                calls++;
            }
            assertThat(calls).isGreaterThan(1);
            assertThat(total).isEqualTo(6); // (12 + 1) / 2 slabs of one page
            assertThat(c.freeSlabs()).isEqualTo(6);
            assertThat(c.reaped()).isEqualTo(6);
            assertThat(buddyFree(m)).isEqualTo(free + 6);
            Tiny.check(m, s);
        }
    }

    @Test
    void noReapCachesAreNeverReaped() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("keep", 1024, 0, SlabFlags.SLAB_NO_REAP, null, null);
            makeFreeSlabs(c, 5);
            for (int i = 0; i < 10; i++) {
                s.kmemCacheReap(Gfp.GFP_KERNEL);
            }
            assertThat(c.freeSlabs()).isEqualTo(5);
            Tiny.check(m, s);
        }
    }

    /** Pages of a cache with a constructor count 4/5: with 9 against 10, the ctor-less one wins. */
    @Test
    void constructorsMakeACacheLessAttractive() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> withCtor = s.kmemCacheCreate("with_ctor", 1024, 0, 0, (p, c, f) -> { }, null);
            KmemCache<SlabObject> plain = s.kmemCacheCreate("plain", 1024, 0, 0, null, null);
            makeFreeSlabs(withCtor, 10); // 10 pages -> (10*4+1)/5 = 8
            makeFreeSlabs(plain, 9); // 9 pages
            int calls = 0;
            while (withCtor.freeSlabs() == 10 && plain.freeSlabs() == 9 && calls < 10) {
                s.kmemCacheReap(Gfp.GFP_KERNEL);
                calls++;
            }
            assertThat(plain.freeSlabs()).isEqualTo(4); // lost (9 + 1) / 2
            assertThat(withCtor.freeSlabs()).isEqualTo(10);
            Tiny.check(m, s);
        }
    }

    /** The reaper is a shrinker: direct reclaim gives slab pages back to the buddy allocator. */
    @Test
    void reclaimReapsSlabs() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("reclaimable", 1024, 0, 0, null, null);
            makeFreeSlabs(c, 40);
            long slabPages = s.slabPages();
            long freed = 0;
            for (int i = 0; i < 5; i++) {
                freed += m.reclaim().tryToFreePages(m.zone(Zone.ZONE_NORMAL), Gfp.GFP_KERNEL, 0);
            }
            assertThat(freed).isPositive();
            assertThat(s.slabPages()).isEqualTo(slabPages - freed);
            assertThat(c.freeSlabs()).isLessThan(40);
            Tiny.check(m, s);
        }
    }

    /** A reaper that may not sleep gives up at once when the chain lock is taken. */
    @Test
    void atomicReapDoesNotWaitForTheChainLock() throws Exception {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("contended", 1024, 0, 0, null, null);
            makeFreeSlabs(c, 12);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> {
                s.chainLock.lock();
                try {
                    held.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    s.chainLock.unlock();
                }
            });
            holder.start();
            held.await();
            for (int i = 0; i < 10; i++) {
                assertThat(s.kmemCacheReap(Gfp.GFP_ATOMIC)).isZero();
            }
            release.countDown();
            holder.join();
            assertThat(c.freeSlabs()).isEqualTo(12);
            Tiny.check(m, s);
        }
    }

    /** The reaper flushes the calling CPU's array cache, so objects parked there come home. */
    @Test
    void reapFlushesTheLocalArrayCache() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("flushed", 1024, 0, 0, null, null);
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                objs.add(c.alloc(SLAB_KERNEL));
            }
            objs.forEach(c::free);
            assertThat(c.cpuCachedObjects(0)).isPositive();
            for (int i = 0; i < 10 && c.cpuCachedObjects(0) > 0; i++) {
                s.kmemCacheReap(Gfp.GFP_KERNEL);
            }
            assertThat(c.cpuCachedObjects(0)).isZero();
            Tiny.check(m, s);
        }
    }
}
