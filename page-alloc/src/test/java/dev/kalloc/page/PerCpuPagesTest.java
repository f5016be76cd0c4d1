// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static dev.kalloc.page.MachineState.pcpCount;
import static dev.kalloc.page.MachineState.pcpList;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The per-CPU hot/cold page lists of 2.5.45 ({@code buffered_rmqueue},
 * {@code free_hot_cold_page}, {@code drain_all_pages}).
 *
 * <p>The machine: 65 MiB, DMA = pfns 0..255, Normal = pfns 256..16639 (16384 pages, so batch =
 * 16384/1024/4 = 4: hot low 8, high 24; cold low 0, high 8), two CPUs. Normal starts on a
 * top-order boundary and pfn 0 is in DMA, so the first order-0 pages the buddy hands out from
 * Normal are 16639, 16638, 16637, ... downward.
 */
class PerCpuPagesTest {
    private static final int TOP = 16639;

    private static Machine boot() {
        return Machine.boot(MachineConfig.builder()
                .memory(65 * MachineConfig.MiB)
                .zoneLimits(MachineConfig.MiB, 65 * MachineConfig.MiB)
                .cpus(2)
                .perCpuLists(true)
                .zoneBalance(128, 20, 255)
                .kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1))
                .build());
    }

    @Test
    void theMachineHasTheAdvertisedBatch() {
        try (Machine m = boot()) {
            PerCpuPages hot = m.zone(Zone.ZONE_NORMAL).pageset[0][0];
            PerCpuPages cold = m.zone(Zone.ZONE_NORMAL).pageset[0][1];
            assertThat(List.of(hot.batch, hot.low, hot.high)).containsExactly(4, 8, 24);
            assertThat(List.of(cold.batch, cold.low, cold.high)).containsExactly(4, 0, 8);
        }
    }

    /**
     * Allocation refills the list with {@code batch} pages whenever its count is at or below
     * {@code low} (8), then takes the head: counts after each allocation are 0+4-1 = 3, 3+4-1
     * = 6, 9, then 9 > 8 so no refill: 8, then 8+4-1 = 11, 10, 9, 8, 11. Refills append at the
     * tail, so pages come out in the buddy's order.
     */
    @Test
    void allocationRefillsABatchWhenTheCountFallsToLow() {
        try (Machine m = boot()) {
            m.bindCurrentThread(0);
            Zone z = m.zone(Zone.ZONE_NORMAL);
            int free0 = z.freePages();
            List<Integer> counts = new ArrayList<>();
            List<Integer> pfns = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                pfns.add(m.pageAlloc().allocPage(Gfp.GFP_KERNEL).pfn());
                counts.add(pcpCount(z, 0, false));
            }
            assertThat(counts).containsExactly(3, 6, 9, 8, 11, 10, 9, 8, 11);
            assertThat(pfns).containsExactly(TOP, TOP - 1, TOP - 2, TOP - 3, TOP - 4, TOP - 5, TOP - 6, TOP - 7, TOP - 8);
            assertThat(z.freePages()).as("five refills of four").isEqualTo(free0 - 20);
            assertThat(pcpList(z, 0, false)).containsExactly(TOP - 9, TOP - 10, TOP - 11, TOP - 12, TOP - 13, TOP - 14,
                    TOP - 15, TOP - 16, TOP - 17, TOP - 18, TOP - 19);
            assertThat(pcpCount(z, 1, false)).as("the other CPU's list").isZero();
            m.checkInvariants();
        }
    }

    /**
     * Freeing puts the page at the head of the hot list; at {@code high} (24) a batch of 4 goes
     * back to the buddy from the tail (the cold end: the pages freed longest ago) first.
     */
    @Test
    void freeingDrainsABatchFromTheColdEndAtHigh() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            m.bindCurrentThread(1);
            List<Page> pages = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                pages.add(m.pageAlloc().allocPage(Gfp.GFP_KERNEL));
            }
            m.bindCurrentThread(0);
            int free0 = z.freePages();
            for (int i = 0; i < 24; i++) {
                m.pageAlloc().freePage(pages.get(i));
            }
            assertThat(pcpCount(z, 0, false)).isEqualTo(24);
            assertThat(z.freePages()).isEqualTo(free0);
            assertThat(pcpList(z, 0, false).get(0)).isEqualTo(pages.get(23).pfn());

            m.pageAlloc().freePage(pages.get(24));
            assertThat(pcpCount(z, 0, false)).isEqualTo(21);
            assertThat(z.freePages()).isEqualTo(free0 + 4);
            List<Integer> expected = new ArrayList<>();
            for (int i = 24; i >= 4; i--) {
                expected.add(pages.get(i).pfn());
            }
            assertThat(pcpList(z, 0, false)).isEqualTo(expected);
            for (int i = 0; i < 4; i++) {
                assertThat(pages.get(i).isAllocated()).isFalse();
                assertThat(pcpList(z, 0, false)).doesNotContain(pages.get(i).pfn());
            }
            // three more fill it to 24 again, the fourth drains again
            for (int i = 25; i < 29; i++) {
                m.pageAlloc().freePage(pages.get(i));
            }
            assertThat(pcpCount(z, 0, false)).isEqualTo(21);
            assertThat(z.freePages()).isEqualTo(free0 + 8);
            m.checkInvariants();
        }
    }

    @Test
    void hotPagesAreReusedFirstAndColdPagesGoToTheColdList() {
        try (Machine m = boot()) {
            m.bindCurrentThread(0);
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageAllocator pa = m.pageAlloc();
            Page a = pa.allocPage(Gfp.GFP_KERNEL);
            Page b = pa.allocPage(Gfp.GFP_KERNEL);
            Page c = pa.allocPage(Gfp.GFP_KERNEL);

            // hot: LIFO
            pa.freePage(a);
            assertThat(pa.allocPage(Gfp.GFP_KERNEL)).isSameAs(a);

            // cold: freed to the cold list, invisible to hot allocations
            int hot = pcpCount(z, 0, false);
            pa.freeColdPage(b);
            assertThat(pcpCount(z, 0, true)).isEqualTo(1);
            assertThat(pcpCount(z, 0, false)).isEqualTo(hot);
            Page next = pa.allocPage(Gfp.GFP_KERNEL);
            assertThat(next).isNotSameAs(b);
            assertThat(pcpCount(z, 0, true)).isEqualTo(1);
            // a __GFP_COLD request takes it: count 1 > low 0, no refill
            assertThat(pa.allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_COLD)).isSameAs(b);
            assertThat(pcpCount(z, 0, true)).isZero();

            // the empty cold list refills a batch (count 0 <= low 0)
            int free0 = z.freePages();
            Page coldPage = pa.allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_COLD);
            assertThat(coldPage).isNotNull();
            assertThat(pcpCount(z, 0, true)).isEqualTo(3);
            assertThat(z.freePages()).isEqualTo(free0 - 4);

            // cold high is 8: the ninth free finds 8 and drains 4 first
            List<Page> pages = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                pages.add(pa.allocPage(Gfp.GFP_KERNEL));
            }
            pages.add(coldPage);
            pages.add(c);
            // cold list: 3; five frees bring it to 8, the sixth drains 4 then adds: 5
            for (int i = 0; i < 5; i++) {
                pa.freeColdPage(pages.get(i));
            }
            assertThat(pcpCount(z, 0, true)).isEqualTo(8);
            int beforeDrain = z.freePages();
            pa.freeColdPage(pages.get(5));
            assertThat(pcpCount(z, 0, true)).isEqualTo(5);
            assertThat(z.freePages()).isEqualTo(beforeDrain + 4);
            m.checkInvariants();
        }
    }

    @Test
    void higherOrdersBypassThePerCpuLists() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            Page p = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 1);
            assertThat(z.perCpuPages()).isZero();
            m.pageAlloc().freePages(p, 1);
            assertThat(z.perCpuPages()).isZero();
            assertThat(z.freePages()).isEqualTo(16384);
        }
    }

    @Test
    void freedPagesGoToTheFreeingCpusList() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            m.bindCurrentThread(0);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            int onCpu0 = pcpCount(z, 0, false);
            m.bindCurrentThread(1);
            m.pageAlloc().freePage(p);
            assertThat(pcpList(z, 1, false)).containsExactly(p.pfn());
            assertThat(pcpCount(z, 0, false)).isEqualTo(onCpu0);
            m.checkInvariants();
        }
    }

    @Test
    void drainAllPagesEmptiesEveryListOfEveryCpu() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageAllocator pa = m.pageAlloc();
            List<Page> held = new ArrayList<>();
            for (int cpu = 0; cpu < 2; cpu++) {
                m.bindCurrentThread(cpu);
                for (int i = 0; i < 10; i++) {
                    held.add(pa.allocPage(Gfp.GFP_KERNEL));
                    held.add(pa.allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_COLD));
                }
            }
            m.bindCurrentThread(0);
            for (int i = 0; i < held.size(); i += 2) {
                pa.freePage(held.get(i));
            }
            m.bindCurrentThread(1);
            for (int i = 1; i < held.size(); i += 2) {
                pa.freeColdPage(held.get(i));
            }
            int cached = z.perCpuPages();
            assertThat(cached).isPositive();
            assertThat(pcpCount(z, 0, false)).isPositive();
            assertThat(pcpCount(z, 1, true)).isPositive();
            int free0 = z.freePages();

            assertThat(pa.drainAllPages()).isEqualTo(cached);
            assertThat(z.perCpuPages()).isZero();
            assertThat(z.freePages()).isEqualTo(free0 + cached);
            assertThat(z.freePages()).as("everything is back and merged").isEqualTo(16384);
            assertThat(z.nrFree(9)).isEqualTo(32);
            assertThat(pa.drainAllPages()).isZero();
            m.checkInvariants();
        }
    }

    /**
     * Two threads bound to the same CPU id share its lists; each list's lock keeps them correct.
     * Every page handed out must have no other owner, and the counts must balance at the end.
     */
    @Test
    void twoThreadsSharingACpuIdStayCorrect() throws Exception {
        try (Machine m = boot()) {
            Set<Integer> owned = ConcurrentHashMap.newKeySet();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int id = t;
                threads.add(new Thread(() -> {
                    try {
                        assertThat(m.bindCurrentThread(0).cpu()).isZero();
                        start.await();
                        List<Page> mine = new ArrayList<>();
                        for (int i = 0; i < 20_000; i++) {
                            if (mine.size() < 40 && (mine.isEmpty() || (i * 7 + id) % 3 != 0)) {
                                int gfp = i % 5 == 0 ? Gfp.GFP_KERNEL | Gfp.__GFP_COLD : Gfp.GFP_KERNEL;
                                Page p = m.pageAlloc().allocPage(gfp);
                                if (!owned.add(p.pfn())) {
                                    throw new AssertionError(p + " handed out twice");
                                }
                                mine.add(p);
                            } else {
                                Page p = mine.remove(mine.size() - 1);
                                owned.remove(p.pfn());
                                if (i % 4 == 0) {
                                    m.pageAlloc().freeColdPage(p);
                                } else {
                                    m.pageAlloc().freePage(p);
                                }
                            }
                        }
                        for (Page p : mine) {
                            owned.remove(p.pfn());
                            m.pageAlloc().freePage(p);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "shared-cpu-" + t));
            }
            threads.forEach(Thread::start);
            start.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(failure.get()).isNull();
            m.checkInvariants();
            Zone z = m.zone(Zone.ZONE_NORMAL);
            assertThat(z.freePages() + z.perCpuPages()).isEqualTo(16384);
            assertThat(pcpCount(z, 1, false) + pcpCount(z, 1, true)).as("CPU 1 was never used").isZero();
        }
    }
}
