// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_ATOMIC;
import static dev.kalloc.slab.SlabFlags.SLAB_HWCACHE_ALIGN;
import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Zone;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** kmem_cache semantics: slabs, lists, colouring, per-CPU arrays, growth, shrink, destroy, tuning. */
class KmemCacheTest {

    @Test
    void objectsLiveInSlabPagesWithBackPointers() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            long freeBefore = m.pageAlloc().nrFreePages() + m.zones().stream().mapToLong(Zone::perCpuPages).sum();
            KmemCache<SlabObject> c = s.kmemCacheCreate("test", 100, 0, SLAB_HWCACHE_ALIGN, null, null);
            assertThat(c.objsize()).isEqualTo(128);
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 31; i++) { // one more than a slab holds
                long p = c.alloc(SLAB_KERNEL);
                assertThat(p).isNotZero();
                objs.add(p);
                m.memory().putInt(p, i);
                m.memory().putInt(p + 96, ~i);
            }
            assertThat(new HashSet<>(objs)).hasSize(31);
            for (int i = 0; i < 31; i++) {
                long p = objs.get(i);
                assertThat(m.memory().getInt(p)).isEqualTo(i);
                assertThat(m.memory().getInt(p + 96)).isEqualTo(~i);
                Page page = m.physToPage(p);
                assertThat(page.testFlag(Page.PG_slab)).isTrue();
                assertThat(page.slabCache()).isSameAs(c);
                assertThat(page.slab()).isNotNull();
            }
            assertThat(c.numSlabs()).isEqualTo(2);
            assertThat(c.allocatedObjects()).isEqualTo(31);
            Tiny.check(m, s);
            objs.forEach(c::free);
            assertThat(c.allocatedObjects()).isZero();
            assertThat(c.shrink()).isZero();
            assertThat(c.numSlabs()).isZero();
            Tiny.check(m, s);
            c.destroy();
            Tiny.check(m, s);
            long freeAfter = m.pageAlloc().nrFreePages() + m.zones().stream().mapToLong(Zone::perCpuPages).sum();
            // The descriptor and array-cache backings came from caches that keep their slabs.
            assertThat(freeAfter).isLessThanOrEqualTo(freeBefore);
            assertThat(s.kmemFindCache("test")).isNull();
        }
    }

    /** Without array caches: free -> partial -> full, full -> partial on a free, partial -> free when empty. */
    @Test
    void slabListsFollowInuse() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("lists", 128, 0, SLAB_HWCACHE_ALIGN, null, null);
            c.tune(0, 0);
            int num = c.num();
            long first = c.alloc(SLAB_KERNEL);
            assertCounts(c, 0, 1, 0);
            List<Long> rest = new ArrayList<>();
            for (int i = 1; i < num; i++) {
                rest.add(c.alloc(SLAB_KERNEL));
            }
            assertCounts(c, 1, 0, 0);
            c.free(first);
            assertCounts(c, 0, 1, 0);
            rest.forEach(c::free);
            assertCounts(c, 0, 0, 1);
            // A new object comes from the free slab, which becomes partial again.
            long again = c.alloc(SLAB_KERNEL);
            assertCounts(c, 0, 1, 0);
            // The bufctl list is LIFO: the last object freed is the first allocated.
            assertThat(again).isEqualTo(rest.get(rest.size() - 1));
            c.free(again);
            Tiny.check(m, s);
        }
    }

    private static void assertCounts(KmemCache<?> c, int full, int partial, int free) {
        assertThat(c.fullSlabs()).as("full").isEqualTo(full);
        assertThat(c.partialSlabs()).as("partial").isEqualTo(partial);
        assertThat(c.freeSlabs()).as("free").isEqualTo(free);
    }

    /** Successive slabs start their objects colour_next * colour_off further in, cycling through colour. */
    @Test
    void colouring() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            // 128-byte aligned objects: 30 per page, on-slab management L1_ALIGN(24 + 120) = 160,
            // left-over 96: 3 colours of 32 bytes.
            KmemCache<SlabObject> c = s.kmemCacheCreate("colours", 128, 0, SLAB_HWCACHE_ALIGN, null, null);
            c.tune(0, 0);
            assertThat(c.colour()).isEqualTo(3);
            int[] expected = {160, 192, 224, 160, 192};
            for (int slab = 0; slab < expected.length; slab++) {
                long firstOfSlab = c.alloc(SLAB_KERNEL);
                assertThat(firstOfSlab & (PhysicalMemory.PAGE_SIZE - 1)).as("slab " + slab).isEqualTo(expected[slab]);
                for (int i = 1; i < c.num(); i++) {
                    c.alloc(SLAB_KERNEL);
                }
            }
            Tiny.check(m, s);
        }
    }

    @Test
    void perCpuArrayIsLifo() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("lifo", 64, 0, 0, null, null);
            assertThat(c.limit()).isEqualTo(252);
            assertThat(c.batchcount()).isEqualTo(126);
            long a = c.alloc(SLAB_KERNEL);
            long b = c.alloc(SLAB_KERNEL);
            c.free(a);
            c.free(b);
            assertThat(c.alloc(SLAB_KERNEL)).isEqualTo(b);
            assertThat(c.alloc(SLAB_KERNEL)).isEqualTo(a);
            Tiny.check(m, s);
        }
    }

    /**
     * limit 4, batchcount 2: a refill takes 2 objects from the slab; a free into a full array
     * first returns its bottom 2 entries (the coldest) to the slab.
     */
    @Test
    void refillAndDrainInBatchesFromTheBottom() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("batches", 64, 0, 0, null, null);
            c.tune(4, 2);
            long[] x = new long[9];
            x[1] = c.alloc(SLAB_KERNEL);
            assertThat(c.cpuCachedObjects(0)).isEqualTo(1); // refilled 2, handed out 1
            assertThat(c.activeObjs()).isEqualTo(2);
            for (int i = 2; i <= 8; i++) {
                x[i] = c.alloc(SLAB_KERNEL);
            }
            assertThat(c.cpuCachedObjects(0)).isZero();
            for (int i = 1; i <= 8; i++) {
                c.free(x[i]);
                Tiny.check(m, s);
            }
            // Frees 1-4 fill the array; 5 flushes 1,2; 7 flushes 3,4. The array holds 5..8.
            assertThat(c.cpuCachedObjects(0)).isEqualTo(4);
            assertThat(c.activeObjs()).isEqualTo(4);
            for (int i = 8; i >= 5; i--) {
                assertThat(c.alloc(SLAB_KERNEL)).as("pop " + i).isEqualTo(x[i]);
            }
            // The slab's free list now starts 4, 3, 2, 1 (the order they were flushed, LIFO);
            // a refill moves 4 then 3 into the array, and the pop returns 3 first.
            assertThat(c.alloc(SLAB_KERNEL)).isEqualTo(x[3]);
            assertThat(c.alloc(SLAB_KERNEL)).isEqualTo(x[4]);
            long[] st = c.cpuStats();
            assertThat(st[1]).as("alloc misses").isGreaterThanOrEqualTo(4);
            assertThat(st[3]).as("free misses").isEqualTo(2);
            Tiny.check(m, s);
        }
    }

    @Test
    void objectsOverAPageHaveNoArrayCache() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<?> big = s.generalCache(8192, false);
            assertThat(big.limit()).isZero();
            long p = s.kmalloc(5000, SLAB_KERNEL);
            assertThat(s.ksize(p)).isEqualTo(8192);
            assertThat(big.cpuCachedObjects()).isZero();
            s.kfree(p);
            assertThat(big.freeSlabs()).isEqualTo(1);
            Tiny.check(m, s);
        }
    }

    @Test
    void noGrowFailsOnAnEmptyCache() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("nogrow", 256, 0, 0, null, null);
            assertThat(c.alloc(SLAB_KERNEL | SlabFlags.SLAB_NO_GROW)).isZero();
            assertThat(c.numSlabs()).isZero();
            long p = c.alloc(SLAB_KERNEL);
            assertThat(c.alloc(SLAB_KERNEL | SlabFlags.SLAB_NO_GROW)).isNotZero(); // from the same slab
            c.free(p);
            assertThatThrownBy(() -> c.alloc(0x8000_0000)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown bits");
            Tiny.check(m, s);
        }
    }

    @Test
    void dmaCachesUseZoneDmaAndCheckTheFlag() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            long dmaLimit = m.config().dmaLimit();
            long p = s.kmalloc(100, Gfp.GFP_KERNEL | Gfp.GFP_DMA);
            assertThat(p).isNotZero().isLessThan(dmaLimit);
            assertThat(((KmemCache<?>) m.physToPage(p).slabCache()).name()).isEqualTo("size-128(DMA)");
            s.kfree(p);
            KmemCache<SlabObject> d = s.kmemCacheCreate("dma_cache", 300, 0, SlabFlags.SLAB_CACHE_DMA, null, null);
            long q = d.alloc(SLAB_KERNEL | SlabFlags.SLAB_DMA);
            assertThat(q).isLessThan(dmaLimit);
            assertThatThrownBy(() -> d.alloc(SLAB_KERNEL)).isInstanceOf(SlabBug.class).hasMessageContaining("GFP_DMA");
            KmemCache<?> normal = s.generalCache(64, false);
            assertThatThrownBy(() -> normal.alloc(SLAB_KERNEL | SlabFlags.SLAB_DMA)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("not a DMA cache");
            d.free(q);
            Tiny.check(m, s);
        }
    }

    @Test
    void interruptContextMayOnlyAllocateAtomically() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("irq", 64, 0, 0, null, null);
            Task t = m.current();
            long p;
            try (Task.IrqScope irq = t.irqEnter()) {
                assertThatThrownBy(() -> c.alloc(SLAB_KERNEL)).isInstanceOf(SlabBug.class)
                        .hasMessageContaining("interrupt context");
                assertThatThrownBy(() -> s.kmemCacheCreate("from_irq", 64, 0, 0, null, null))
                        .isInstanceOf(SlabBug.class);
                assertThatThrownBy(c::shrink).isInstanceOf(SlabBug.class);
                p = c.alloc(SLAB_ATOMIC);
                assertThat(p).isNotZero();
                c.free(p); // frees are fine in interrupt context
            }
            Tiny.check(m, s);
        }
    }

    /** Bonwick: the constructor runs once per object when the slab grows, not per allocation. */
    @Test
    void constructorRunsAtGrowthAndDestructorAtSlabDestruction() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            AtomicInteger ctors = new AtomicInteger();
            AtomicInteger dtors = new AtomicInteger();
            AtomicInteger lastFlags = new AtomicInteger(-1);
            SlabCtor ctor = (objp, cachep, flags) -> {
                ctors.incrementAndGet();
                lastFlags.set(flags);
                m.memory().putInt(objp, 0xC0FFEE);
            };
            SlabCtor dtor = (objp, cachep, flags) -> {
                assertThat(flags).isZero();
                assertThat(m.memory().getInt(objp)).isEqualTo(0xC0FFEE); // handed back constructed
                dtors.incrementAndGet();
            };
            KmemCache<SlabObject> c = s.kmemCacheCreate("ctor_cache", 200, 0, 0, ctor, dtor);
            long p = c.alloc(SLAB_KERNEL);
            assertThat(ctors.get()).isEqualTo(c.num());
            assertThat(lastFlags.get()).isEqualTo(SlabFlags.SLAB_CTOR_CONSTRUCTOR);
            assertThat(m.memory().getInt(p)).isEqualTo(0xC0FFEE);
            for (int i = 0; i < 100; i++) {
                c.free(p);
                p = c.alloc(SLAB_KERNEL);
            }
            assertThat(ctors.get()).isEqualTo(c.num());
            c.free(p);
            // An atomic allocation that grows tells the constructor it may not sleep.
            List<Long> held = new ArrayList<>();
            while (c.numSlabs() < 2) {
                held.add(c.alloc(SLAB_ATOMIC));
            }
            assertThat(lastFlags.get()).isEqualTo(SlabFlags.SLAB_CTOR_CONSTRUCTOR | SlabFlags.SLAB_CTOR_ATOMIC);
            held.forEach(c::free);
            c.shrink();
            assertThat(dtors.get()).isEqualTo(2 * c.num());
            Tiny.check(m, s);
        }
    }

    @Test
    void aThrowingConstructorUndoesTheGrowth() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger dtors = new AtomicInteger();
            AtomicReference<Boolean> fail = new AtomicReference<>(true);
            SlabCtor ctor = (objp, cachep, flags) -> {
                if (calls.incrementAndGet() == 3 && fail.get()) {
                    throw new IllegalStateException("constructor failure");
                }
            };
            KmemCache<SlabObject> c = s.kmemCacheCreate("bad_ctor", 200, 0, 0, ctor,
                    (objp, cachep, flags) -> dtors.incrementAndGet());
            long free = m.pageAlloc().nrFreePages() + m.zones().stream().mapToLong(Zone::perCpuPages).sum();
            assertThatThrownBy(() -> c.alloc(SLAB_KERNEL)).hasMessage("constructor failure");
            assertThat(dtors.get()).isEqualTo(2);
            assertThat(c.numSlabs()).isZero();
            assertThat(c.growFailures()).isEqualTo(1);
            assertThat(m.pageAlloc().nrFreePages() + m.zones().stream().mapToLong(Zone::perCpuPages).sum())
                    .isEqualTo(free);
            Tiny.check(m, s);
            fail.set(false);
            c.free(c.alloc(SLAB_KERNEL));
            Tiny.check(m, s);
        }
    }

    @Test
    void pageAllocatorFailureReturnsZeroAndChangesNothing() {
        try (Machine m = Tiny.machine(8, 2)) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("starved", 1000, 0, 0, null, null);
            List<Page> hog = new ArrayList<>();
            for (Page p = m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0); p != null;
                    p = m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0)) {
                hog.add(p);
            }
            m.pageAlloc().drainAllPages();
            assertThat(c.alloc(SLAB_ATOMIC)).isZero();
            assertThat(c.numSlabs()).isZero();
            assertThat(c.growFailures()).isEqualTo(1);
            Tiny.check(m, s);
            hog.forEach(m.pageAlloc()::freePage);
            long p = c.alloc(SLAB_ATOMIC);
            assertThat(p).isNotZero();
            c.free(p);
            Tiny.check(m, s);
        }
    }

    @Test
    void shrinkReportsWhetherSlabsRemain() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("shrinky", 512, 0, 0, null, null);
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                objs.add(c.alloc(SLAB_KERNEL));
            }
            for (int i = 0; i < 39; i++) {
                c.free(objs.get(i));
            }
            assertThat(c.shrink()).isEqualTo(1); // one partial slab stays
            assertThat(c.numSlabs()).isEqualTo(1);
            assertThat(c.cpuCachedObjects()).isZero();
            c.free(objs.get(39));
            assertThat(c.shrink()).isZero();
            assertThat(c.pages()).isZero();
            Tiny.check(m, s);
        }
    }

    @Test
    void destroyWithObjectsOutIsRefusedAndFreesNothing() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("busy", 100, 0, 0, null, null);
            long a = c.alloc(SLAB_KERNEL);
            long b = c.alloc(SLAB_KERNEL);
            c.free(b); // b sits in the array cache, a is out
            int slabs = c.numSlabs();
            String before = s.slabinfo();
            assertThatThrownBy(c::destroy).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("busy").hasMessageContaining("1 object is still allocated");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(c.numSlabs()).isEqualTo(slabs);
            assertThat(s.kmemFindCache("busy")).isSameAs(c);
            Tiny.check(m, s);
            long d = c.alloc(SLAB_KERNEL); // still usable
            c.free(d);
            c.free(a);
            c.destroy();
            assertThat(s.kmemFindCache("busy")).isNull();
            Tiny.check(m, s);
            assertThatThrownBy(c::destroy).isInstanceOf(SlabBug.class).hasMessageContaining("already destroyed");
            assertThatThrownBy(() -> c.alloc(SLAB_KERNEL)).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("destroyed");
            assertThatThrownBy(c::shrink).isInstanceOf(SlabBug.class);
            // The name is free again.
            s.kmemCacheCreate("busy", 100, 0, 0, null, null).destroy();
            Tiny.check(m, s);
        }
    }

    @Test
    void generalCachesAreNeverDestroyed() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThatThrownBy(() -> s.generalCache(64, false).destroy()).isInstanceOf(SlabBug.class)
                    .hasMessageContaining("general");
            assertThatThrownBy(() -> s.cacheCache().destroy()).isInstanceOf(SlabBug.class);
        }
    }

    @Test
    void tuningIsValidatedAndDrainsTheOldArrays() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("tunable", 64, 0, 0, null, null);
            assertThatThrownBy(() -> c.tune(-1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.tune(4, 5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("batchcount <= limit");
            assertThatThrownBy(() -> c.tune(4, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.tune(40000, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(c.limit()).isEqualTo(252);
            long p = c.alloc(SLAB_KERNEL);
            assertThat(c.cpuCachedObjects()).isPositive();
            assertThat(c.tune(8, 3)).isTrue();
            assertThat(c.cpuCachedObjects()).isZero();
            assertThat(c.activeObjs()).isEqualTo(1);
            assertThat(c.limit()).isEqualTo(8);
            assertThat(c.batchcount()).isEqualTo(3);
            c.free(p);
            assertThat(c.tune(0, 0)).isTrue();
            assertThat(c.cpuCachedObjects()).isZero();
            Tiny.check(m, s);
            // The arrays' cpucache_t memory comes from kmalloc: 8 + 4*limit bytes.
            long before = s.generalCache(1024, false).allocatedObjects();
            assertThat(c.tune(252, 126)).isTrue(); // 1016 bytes per CPU, two CPUs
            assertThat(s.generalCache(1024, false).allocatedObjects()).isEqualTo(before + 2);
            assertThat(c.tune(124, 62)).isTrue(); // 504 bytes: size-512; the size-1024 ones are freed
            assertThat(s.generalCache(1024, false).allocatedObjects()).isEqualTo(before);
            Tiny.check(m, s);
        }
    }

    @Test
    void withoutAutomaticArrayCachesOnlyTunedCachesGetThem() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m, SlabConfig.builder().cpuCaches(false).build());
            assertThat(s.generalCache(1024, false).allocatedObjects()).isZero(); // no cpucache_t anywhere
            KmemCache<SlabObject> c = s.kmemCacheCreate("up", 64, 0, 0, null, null);
            assertThat(c.limit()).isZero();
            long p = c.alloc(SLAB_KERNEL);
            assertThat(c.cpuCachedObjects()).isZero();
            assertThat(c.tune(4, 2)).isTrue();
            c.free(p);
            assertThat(c.cpuCachedObjects()).isEqualTo(1);
            assertThat(s.generalCache(32, false).allocatedObjects()).isEqualTo(2); // 8 + 4*4 bytes per CPU
            Tiny.check(m, s);
        }
    }

    /** Two threads bound to one CPU id share its array cache; its lock keeps it correct. */
    @Test
    void twoThreadsOnOneCpu() throws Exception {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> c = s.kmemCacheCreate("shared_cpu", 64, 0, 0, null, null);
            c.tune(16, 4);
            Set<Long> owned = ConcurrentHashMap.newKeySet();
            AtomicReference<Throwable> error = new AtomicReference<>();
            Runnable worker = () -> {
                try {
                    m.bindCurrentThread(1);
                    long[] held = new long[8];
                    for (int round = 0; round < 20_000; round++) {
                        int i = round & 7;
                        if (held[i] != 0) {
                            if (!owned.remove(held[i])) {
                                throw new AssertionError("freeing an object nobody owns");
                            }
                            c.free(held[i]);
                        }
                        held[i] = c.alloc(SLAB_KERNEL);
                        if (!owned.add(held[i])) {
                            throw new AssertionError(String.format("0x%x handed out twice", held[i]));
                        }
                    }
                    for (long p : held) {
                        owned.remove(p);
                        c.free(p);
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            };
            Thread t1 = new Thread(worker);
            Thread t2 = new Thread(worker);
            t1.start();
            t2.start();
            t1.join();
            t2.join();
            assertThat(error.get()).isNull();
            assertThat(c.allocatedObjects()).isZero();
            Tiny.check(m, s);
        }
    }
}
