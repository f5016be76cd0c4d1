// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Property-style tests: seeded random mixes of allocations (every order, every zone class,
 * hot and cold, PF_MEMALLOC), frees (by page, address, put_page, cold), per-CPU drains and
 * page-cache traffic, with {@link Machine#checkInvariants()} after every step: no overlapping
 * free blocks, no unmerged buddies, bitmaps agreeing with the lists, and free + per-CPU +
 * allocated = present in every zone.
 */
class RandomizedInvariantsTest {
    private static final int[] GFPS = {Gfp.GFP_KERNEL, Gfp.GFP_HIGHUSER, Gfp.GFP_ATOMIC, Gfp.GFP_NOIO,
        Gfp.GFP_DMA | Gfp.GFP_ATOMIC, Gfp.GFP_KERNEL | Gfp.__GFP_COLD, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM,
        Gfp.GFP_DMA | Gfp.GFP_KERNEL};

    @ParameterizedTest(name = "seed {0}, per-cpu lists {1}, {2} cpus")
    @CsvSource({"1, true, 3", "2, false, 1", "3, true, 1", "4, false, 3", "5, true, 4"})
    void invariantsHoldAfterEveryStep(long seed, boolean perCpuLists, int cpus) {
        MachineConfig config = TinyMachines.threeZones().perCpuLists(perCpuLists).cpus(cpus).build();
        try (Machine m = Machine.boot(config)) {
            PageAllocator pa = m.pageAlloc();
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("random", null);
            SplittableRandom rnd = new SplittableRandom(seed);
            List<Page> held = new ArrayList<>();
            List<Page> cached = new ArrayList<>();
            long nextIndex = 0;
            int allocations = 0;
            int failures = 0;
            for (int step = 0; step < 3000; step++) {
                m.bindCurrentThread(rnd.nextInt(cpus));
                int action = rnd.nextInt(100);
                if (action < 45 || held.isEmpty()) {
                    int gfp = GFPS[rnd.nextInt(GFPS.length)];
                    int order = rnd.nextInt(4) == 0 ? rnd.nextInt(10) : 0;
                    boolean memalloc = rnd.nextInt(20) == 0;
                    Task t = m.current();
                    int saved = memalloc ? t.setFlags(Task.PF_MEMALLOC) : t.flags();
                    Page p;
                    try {
                        p = pa.allocPages(gfp, order);
                    } finally {
                        t.restoreFlags(saved);
                    }
                    if (p != null) {
                        assertThat(p.isAllocated()).isTrue();
                        assertThat(p.order()).isEqualTo(order);
                        assertThat(p.count()).isEqualTo(1);
                        assertThat(p.zone().index()).isLessThanOrEqualTo(Gfp.highestZone(gfp));
                        held.add(p);
                        allocations++;
                    } else {
                        failures++;
                    }
                } else if (action < 85) {
                    Page p = held.remove(rnd.nextInt(held.size()));
                    switch (rnd.nextInt(5)) {
                        case 0:
                            pa.freePagesAddr(p.physAddr(), p.order());
                            break;
                        case 1:
                            p.get();
                            pa.putPage(p);
                            assertThat(p.isAllocated()).isTrue();
                            pa.putPage(p);
                            break;
                        case 2:
                            if (p.order() == 0) {
                                pa.freeColdPage(p);
                            } else {
                                pa.freePages(p, p.order());
                            }
                            break;
                        default:
                            pa.freePages(p, p.order());
                            break;
                    }
                } else if (action < 93) {
                    Page p = pc.addNewPage(file, nextIndex++, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM);
                    if (p != null) {
                        cached.add(p);
                    }
                } else if (action < 97 && !cached.isEmpty()) {
                    pc.removePage(cached.remove(rnd.nextInt(cached.size())));
                } else if (action < 99) {
                    Zone z = m.zones().get(rnd.nextInt(m.zones().size()));
                    pc.reclaimCleanPage(z);
                } else {
                    pa.drainAllPages();
                }
                // Sleeping allocations may have reclaimed (and reused) cached pages.
                cached.removeIf(p -> p.mapping() == null);
                m.checkInvariants();
            }
            assertThat(allocations).isGreaterThan(500);
            assertThat(failures).isGreaterThan(0);

            for (Page p : held) {
                pa.freePages(p, p.order());
            }
            for (Page p : cached) {
                pc.removePage(p);
            }
            pa.drainAllPages();
            m.checkInvariants();
            assertFullyMerged(m);
        }
    }

    /**
     * With every page back, the buddy lists hold the boot layout again: every zone's free
     * count is its size (less the reserved pfn 0) and the blocks are the maximal ones.
     */
    private static void assertFullyMerged(Machine m) {
        try (Machine fresh = Machine.boot(m.config())) {
            for (Zone z : m.zones()) {
                Zone f = fresh.zone(z.index());
                assertThat(z.freePages()).isEqualTo(f.freePages());
                List<List<Integer>> mine = MachineState.freeLists(z);
                List<List<Integer>> boot = MachineState.freeLists(f);
                for (int k = 0; k < mine.size(); k++) {
                    assertThat(mine.get(k)).as("zone %s order %d", z.name(), k)
                            .containsExactlyInAnyOrderElementsOf(boot.get(k));
                }
            }
        }
    }

    /**
     * Several threads, two of them sharing each CPU id, allocate and free concurrently; every
     * 200 steps they meet at a barrier whose action (run while all of them wait, so the machine
     * is quiescent) checks the invariants. No page may be handed to two owners at once.
     */
    @ParameterizedTest(name = "seed {0}, per-cpu lists {1}")
    @CsvSource({"7, true", "8, false", "9, true"})
    void concurrentThreadsSharingCpusKeepTheInvariants(long seed, boolean perCpuLists) throws Exception {
        int threads = 4;
        int cpus = 2;
        MachineConfig config = TinyMachines.threeZones().perCpuLists(perCpuLists).cpus(cpus).build();
        try (Machine m = Machine.boot(config)) {
            PageAllocator pa = m.pageAlloc();
            Set<Integer> owned = ConcurrentHashMap.newKeySet();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int rounds = 10;
            CyclicBarrier barrier = new CyclicBarrier(threads, () -> {
                try {
                    m.checkInvariants();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int id = i;
                workers.add(new Thread(() -> {
                    try {
                        m.bindCurrentThread(id % cpus);
                        SplittableRandom rnd = new SplittableRandom(seed * 31 + id);
                        List<Page> mine = new ArrayList<>();
                        for (int r = 0; r < rounds; r++) {
                            for (int s = 0; s < 200; s++) {
                                if (mine.isEmpty() || rnd.nextInt(100) < 55) {
                                    int order = rnd.nextInt(5) == 0 ? rnd.nextInt(4) : 0;
                                    int gfp = rnd.nextBoolean() ? Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM
                                            : Gfp.GFP_ATOMIC | (rnd.nextBoolean() ? Gfp.__GFP_COLD : 0);
                                    Page p = pa.allocPages(gfp, order);
                                    if (p != null) {
                                        for (int j = 0; j < (1 << order); j++) {
                                            if (!owned.add(p.pfn() + j)) {
                                                throw new AssertionError("pfn " + (p.pfn() + j) + " handed out twice");
                                            }
                                        }
                                        mine.add(p);
                                    }
                                } else {
                                    Page p = mine.remove(rnd.nextInt(mine.size()));
                                    for (int j = 0; j < (1 << p.order()); j++) {
                                        owned.remove(p.pfn() + j);
                                    }
                                    pa.freePages(p, p.order());
                                }
                            }
                            barrier.await(30, TimeUnit.SECONDS);
                        }
                        for (Page p : mine) {
                            for (int j = 0; j < (1 << p.order()); j++) {
                                owned.remove(p.pfn() + j);
                            }
                            pa.freePages(p, p.order());
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        barrier.reset();
                    }
                }, "worker-" + i));
            }
            workers.forEach(Thread::start);
            for (Thread w : workers) {
                w.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(w.isAlive()).as("%s finished", w.getName()).isFalse();
            }
            assertThat(failure.get()).isNull();
            assertThat(owned).isEmpty();
            m.checkInvariants();
            pa.drainAllPages();
            assertFullyMerged(m);
        }
    }
}
