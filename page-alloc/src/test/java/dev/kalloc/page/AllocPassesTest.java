// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The passes of {@code __alloc_pages} (2.4.15): the fast pass with accumulated
 * {@code pages_low}, the second pass with {@code pages_min} (a quarter of it for callers that
 * cannot sleep), PF_MEMALLOC, reserved pages, direct reclaim, large orders, and the OOM policy.
 * Machines here have per-CPU lists off unless a test says otherwise, so every free page is on the
 * buddy lists and the counts are exact.
 */
class AllocPassesTest {
    private static final Duration GUARD = Duration.ofSeconds(30);

    private static Machine threeZones(boolean perCpuLists) {
        return Machine.boot(TinyMachines.threeZones().perCpuLists(perCpuLists).build());
    }

    /** Allocates {@code n} pages with {@code gfp}, asserting each comes from {@code zone}. */
    private static List<Page> allocFrom(Machine m, int gfp, int n, Zone zone) {
        List<Page> pages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Page p = m.pageAlloc().allocPage(gfp);
            assertThat(p).as("allocation %d of %d", i, n).isNotNull();
            assertThat(p.zone()).isSameAs(zone);
            pages.add(p);
        }
        return pages;
    }

    /** Allocates order-0 pages with {@code gfp} until null; returns how many it got. */
    private static int drain(Machine m, int gfp) {
        int n = 0;
        while (m.pageAlloc().allocPage(gfp) != null) {
            n++;
        }
        return n;
    }

    private static <T> T withFlags(Machine m, int flags, java.util.function.Supplier<T> body) {
        Task t = m.current();
        int saved = t.setFlags(flags);
        try {
            return body.get();
        } finally {
            t.restoreFlags(saved);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Fast pass
    // -------------------------------------------------------------------------------------------

    /**
     * Normal low = 200, DMA low = 20. With Normal at 201 free and DMA at 100, a GFP_KERNEL
     * request fails the fast pass in Normal (201 > 1 + 200 is false) and then in DMA, because
     * the threshold has accumulated to 1 + 200 + 20 = 221 > 100, although DMA alone is far above
     * its own low watermark. The second pass (Normal: 201 > 1 + 100) serves it from Normal and
     * marks Normal as needing balance. Without accumulation DMA would have served it in the
     * fast pass.
     */
    @Test
    void fastPassThresholdAccumulatesAlongTheZonelist() {
        try (Machine m = threeZones(false)) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            normal.setWatermarks(100, 200, 300);
            dma.setWatermarks(10, 20, 30);
            allocFrom(m, Gfp.GFP_DMA, 155, dma);
            assertThat(dma.freePages()).isEqualTo(100);
            allocFrom(m, Gfp.GFP_KERNEL, 512 - 201, normal);
            assertThat(normal.freePages()).isEqualTo(201);
            assertThat(normal.needBalance()).isFalse();

            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(p.zone()).isSameAs(normal);
            assertThat(normal.needBalance()).as("the fast pass failed").isTrue();
            assertThat(dma.freePages()).isEqualTo(100);
            assertThat(dma.needBalance()).isFalse();
            m.checkInvariants();
        }
    }

    /** Same Normal state, but DMA has 255 free > 221: the fast pass falls back into DMA. */
    @Test
    void fastPassFallsBackWhenTheLowerZoneClearsTheAccumulatedThreshold() {
        try (Machine m = threeZones(false)) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            normal.setWatermarks(100, 200, 300);
            dma.setWatermarks(10, 20, 30);
            allocFrom(m, Gfp.GFP_KERNEL, 512 - 201, normal);

            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(p.zone()).isSameAs(dma);
            assertThat(normal.needBalance()).as("served by the fast pass").isFalse();
            // The fast pass keeps taking DMA pages down to the accumulated threshold, 221.
            allocFrom(m, Gfp.GFP_KERNEL, 255 - 1 - 221, dma);
            assertThat(dma.freePages()).isEqualTo(221);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL).zone()).isSameAs(normal);
            assertThat(normal.needBalance()).isTrue();
        }
    }

    // -------------------------------------------------------------------------------------------
    // Second pass: atomic and sleeping callers
    // -------------------------------------------------------------------------------------------

    /**
     * DMA only (GFP_DMA), min/low/high = 40/80/120, 255 free. A sleeping caller stops at the
     * full pages_min: it takes pages while free > 1 + 40, leaving 41. An atomic caller may
     * take pages while free > 1 + 40/4, leaving 11, and never below.
     */
    @Test
    void atomicCallersDipToAQuarterOfPagesMinButNotBelow() {
        try (Machine sleeping = threeZones(false); Machine atomic = threeZones(false)) {
            sleeping.zone(Zone.ZONE_DMA).setWatermarks(40, 80, 120);
            atomic.zone(Zone.ZONE_DMA).setWatermarks(40, 80, 120);

            assertThat(drain(sleeping, Gfp.GFP_NOIO | Gfp.__GFP_DMA)).isEqualTo(255 - 41);
            assertThat(sleeping.zone(Zone.ZONE_DMA).freePages()).isEqualTo(41);

            assertThat(drain(atomic, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isEqualTo(255 - 11);
            assertThat(atomic.zone(Zone.ZONE_DMA).freePages()).isEqualTo(11);
            for (int i = 0; i < 5; i++) {
                assertThat(atomic.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isNull();
            }
            assertThat(atomic.zone(Zone.ZONE_DMA).freePages()).isEqualTo(11);
            assertThat(atomic.zone(Zone.ZONE_DMA).needBalance()).isTrue();
            atomic.checkInvariants();
        }
    }

    /**
     * An atomic request that fails returns null at once: no direct reclaim (even with
     * reclaimable page-cache pages there), no OOM round, no sleep, even under the waiting OOM
     * policy.
     */
    @Test
    void atomicAllocationsNeverSleepOrReclaim() {
        MachineConfig config = TinyMachines.normalOnly(1024).perCpuLists(false)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config); MemoryHog hog = new MemoryHog(m, "hog")) {
            List<Integer> reports = new CopyOnWriteArrayList<>();
            m.addOomListener((gfp, order, rounds, task) -> reports.add(rounds));
            int cached = hog.fillClean(Integer.MAX_VALUE);
            assertThat(cached).isGreaterThan(900);
            assertTimeoutPreemptively(GUARD, () -> {
                assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC)).isNull();
                assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 3)).isNull();
            });
            assertThat(m.reclaim().calls()).isZero();
            assertThat(m.pageAlloc().allocStalls()).isZero();
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(reports).isEmpty();
            assertThat(hog.pages()).isEqualTo(cached);
            assertThat(m.pageAlloc().allocFailures()).isGreaterThanOrEqualTo(2);
        }
    }

    // -------------------------------------------------------------------------------------------
    // PF_MEMALLOC and reserved pages
    // -------------------------------------------------------------------------------------------

    @Test
    void memallocIgnoresWatermarks() {
        try (Machine m = threeZones(false)) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            dma.setWatermarks(40, 80, 120);
            drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA);
            assertThat(dma.freePages()).isEqualTo(11);
            int got = withFlags(m, Task.PF_MEMALLOC, () -> drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA));
            assertThat(got).isEqualTo(11);
            assertThat(dma.freePages()).isZero();
            // PF_MEMDIE too
            try (Machine m2 = threeZones(false)) {
                int all = withFlags(m2, Task.PF_MEMDIE, () -> drain(m2, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM));
                assertThat(all).isEqualTo(1023);
                assertThat(m2.pageAlloc().nrFreePages()).isZero();
                m2.checkInvariants();
            }
            m.checkInvariants();
        }
    }

    /**
     * Pages promised to reservations are invisible to ordinary allocations, which see
     * {@code free - reserved}, and to PF_MEMALLOC ones, which may take every page but those.
     */
    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void reservedPagesAreInvisibleToOrdinaryAndMemallocAllocations(boolean perCpuLists) {
        try (Machine m = threeZones(perCpuLists)) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            dma.setWatermarks(40, 80, 120);
            dma.addReservedPages(50);
            assertThat(dma.freeUnreserved()).isEqualTo(205);

            drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA);
            m.pageAlloc().drainAllPages();
            assertThat(dma.freeUnreserved()).isEqualTo(11);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_NOIO | Gfp.__GFP_DMA)).isNull();

            int got = withFlags(m, Task.PF_MEMALLOC, () -> drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA));
            m.pageAlloc().drainAllPages();
            assertThat(got).isEqualTo(11);
            assertThat(dma.freePages()).isEqualTo(50);
            assertThat(dma.freeUnreserved()).isZero();
            int more = withFlags(m, Task.PF_MEMALLOC, () -> drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA));
            assertThat(more).isZero();
            assertThat(withFlags(m, Task.PF_MEMALLOC, () -> m.pageAlloc().allocPages(Gfp.GFP_DMA, 3))).isNull();
            m.checkInvariants();

            // Releasing the reservation makes the pages visible again.
            dma.addReservedPages(-50);
            int released = withFlags(m, Task.PF_MEMALLOC, () -> drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA));
            assertThat(released).isEqualTo(50);
            m.checkInvariants();
        }
    }

    @Test
    void reservedPagesCannotGoNegative() {
        try (Machine m = threeZones(false)) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            z.addReservedPages(3);
            assertThatThrownBy(() -> z.addReservedPages(-4)).isInstanceOf(IllegalArgumentException.class);
            assertThat(z.reservedPages()).isEqualTo(3);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Rebalance: reclaim, large orders, OOM policy
    // -------------------------------------------------------------------------------------------

    /** A machine whose Normal zone (pcp off) has every even pfn free and every odd one allocated. */
    private static Machine fragmented(OomPolicy policy) {
        Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).oomPolicy(policy).build());
        List<Page> all = new ArrayList<>();
        withFlags(m, Task.PF_MEMALLOC, () -> {
            for (Page p; (p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL)) != null;) {
                all.add(p);
            }
            return null;
        });
        assertThat(all).hasSize(1023);
        for (Page p : all) {
            if (p.pfn() % 2 == 0) {
                m.pageAlloc().freePage(p);
            }
        }
        Zone z = m.zone(Zone.ZONE_NORMAL);
        assertThat(z.freePages()).isEqualTo(511);
        assertThat(z.nrFree(0)).isEqualTo(511);
        return m;
    }

    @Test
    void largeSleepingRequestsFailAfterOneReclaimRound() {
        try (Machine m = fragmented(OomPolicy.waitForFree())) {
            List<Integer> reports = new CopyOnWriteArrayList<>();
            m.addOomListener((gfp, order, rounds, task) -> reports.add(rounds));
            Page p = assertTimeoutPreemptively(GUARD, () -> m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 4));
            assertThat(p).isNull();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(m.pageAlloc().allocStalls()).isEqualTo(1);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(reports).isEmpty();
            assertThat(m.pageAlloc().waiters()).isZero();
            m.checkInvariants();
        }
    }

    @Test
    void smallSleepingRequestsRetryUntilTheOomPolicyGivesUp() {
        try (Machine m = fragmented(OomPolicy.failAfter(3))) {
            List<String> reports = new CopyOnWriteArrayList<>();
            Task me = m.current();
            long failuresBefore = m.pageAlloc().allocFailures();
            m.addOomListener((gfp, order, rounds, task) -> reports.add(Gfp.toString(gfp) + "/" + order + "/" + rounds
                    + "/" + (task == me)));
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 3)).isNull();
            assertThat(reports).containsExactly("GFP_KERNEL/3/1/true", "GFP_KERNEL/3/2/true", "GFP_KERNEL/3/3/true");
            assertThat(m.reclaim().calls()).isEqualTo(3);
            assertThat(m.pageAlloc().oomRounds()).isEqualTo(3);
            assertThat(m.pageAlloc().allocFailures()).isEqualTo(failuresBefore + 1);
            m.checkInvariants();
        }
    }

    @Test
    void oomListenersCanBeRemoved() {
        try (Machine m = fragmented(OomPolicy.failAfter(1))) {
            List<Integer> reports = new CopyOnWriteArrayList<>();
            Machine.OomListener l = (gfp, order, rounds, task) -> reports.add(order);
            m.addOomListener(l);
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_NOIO, 2)).isNull();
            m.removeOomListener(l);
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_NOIO, 1)).isNull();
            assertThat(reports).containsExactly(2);
        }
    }

    @Test
    void directReclaimLetsASleepingAllocationSucceed() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build());
                MemoryHog hog = new MemoryHog(m, "hog")) {
            int cached = hog.fillClean(Integer.MAX_VALUE);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(p).isNotNull();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(m.reclaim().pagesReclaimed()).isEqualTo(Reclaim.SWAP_CLUSTER_MAX);
            assertThat(hog.pages()).isEqualTo(cached - Reclaim.SWAP_CLUSTER_MAX);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            m.checkInvariants();
        }
    }

    /**
     * Under {@link OomPolicy#waitForFree()} a sleeping allocation that reclaim cannot help
     * sleeps until another thread frees a page, then succeeds. Watermarks are 0, so it needs a
     * zone with more than one free page; one page is left free and the test frees a second.
     */
    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void waitingAllocationSleepsUntilAPageIsFreed(boolean perCpuLists) throws Exception {
        MachineConfig config = TinyMachines.normalOnly(1024).perCpuLists(perCpuLists).zoneBalance(1, 0, 0)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config)) {
            List<Page> held = exhaustLeavingOneFree(m);
            AtomicReference<Page> got = new AtomicReference<>();
            Thread t = new Thread(() -> got.set(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)), "sleeper");
            t.start();
            awaitWaiters(m, 1);
            assertThat(t.isAlive()).isTrue();
            assertThat(got.get()).isNull();

            m.pageAlloc().freePage(held.remove(0));
            t.join(GUARD.toMillis());
            assertThat(t.isAlive()).as("the sleeper was woken").isFalse();
            assertThat(got.get()).isNotNull();
            assertThat(m.pageAlloc().waiters()).isZero();
            assertThat(m.pageAlloc().oomRounds()).isGreaterThanOrEqualTo(1);
            m.checkInvariants();
        }
    }

    /**
     * The same, with the free racing the sleeper's queueing: the free is issued as soon as the
     * sleeper reports its OOM round, before or after it queues itself. Either way it must wake
     * (a free before queueing is seen by the re-test after queueing).
     */
    @Test
    void noLostWakeUpWhenTheFreeRacesTheSleeper() throws Exception {
        MachineConfig config = TinyMachines.normalOnly(1024).zoneBalance(1, 0, 0)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config)) {
            List<Page> held = exhaustLeavingOneFree(m);
            AtomicReference<CountDownLatch> reported = new AtomicReference<>(new CountDownLatch(1));
            m.addOomListener((gfp, order, rounds, task) -> reported.get().countDown());
            for (int i = 0; i < 40; i++) {
                CountDownLatch latch = new CountDownLatch(1);
                reported.set(latch);
                AtomicReference<Page> got = new AtomicReference<>();
                Thread t = new Thread(() -> got.set(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)), "sleeper-" + i);
                t.start();
                assertThat(latch.await(GUARD.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                m.pageAlloc().freePage(held.remove(held.size() - 1));
                t.join(GUARD.toMillis());
                assertThat(t.isAlive()).as("round %d: the sleeper was woken", i).isFalse();
                assertThat(got.get()).isNotNull();
                held.add(got.get());
            }
            m.checkInvariants();
        }
    }

    /**
     * The free lands after the sleeper's last look and before it queues itself: the OOM
     * listener, which runs in the sleeper's thread right before it sleeps, frees the page. Only
     * the re-test after queueing can see it; nobody else will ever wake the sleeper.
     */
    @ParameterizedTest(name = "per-cpu lists {0}")
    @ValueSource(booleans = {false, true})
    void aFreeJustBeforeTheSleeperQueuesIsSeenByTheRetest(boolean perCpuLists) throws Exception {
        MachineConfig config = TinyMachines.normalOnly(1024).perCpuLists(perCpuLists).zoneBalance(1, 0, 0)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config)) {
            List<Page> held = exhaustLeavingOneFree(m);
            Page toFree = held.remove(0);
            m.addOomListener((gfp, order, rounds, task) -> {
                if (rounds == 1) {
                    m.pageAlloc().freePage(toFree);
                }
            });
            AtomicReference<Page> got = new AtomicReference<>();
            Thread t = new Thread(() -> got.set(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)), "sleeper");
            t.setDaemon(true);
            t.start();
            t.join(GUARD.toMillis());
            assertThat(t.isAlive()).as("the re-test found the page").isFalse();
            assertThat(got.get()).isNotNull();
            m.checkInvariants();
        }
    }

    /** Takes every page (PF_MEMALLOC), then frees one back so the only zone has exactly one free. */
    private static List<Page> exhaustLeavingOneFree(Machine m) {
        List<Page> held = new ArrayList<>();
        withFlags(m, Task.PF_MEMALLOC, () -> {
            for (Page p; (p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL)) != null;) {
                held.add(p);
            }
            return null;
        });
        m.pageAlloc().freePage(held.remove(0));
        m.pageAlloc().drainAllPages();
        assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(1);
        return held;
    }

    /** Failure guard only: waits (bounded) until {@code n} allocations sleep on the machine. */
    static void awaitWaiters(Machine m, int n) throws InterruptedException {
        long deadline = System.nanoTime() + GUARD.toNanos();
        while (m.pageAlloc().waiters() < n) {
            assertThat(System.nanoTime()).as("waiting for %d sleepers", n).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Address-returning variants
    // -------------------------------------------------------------------------------------------

    @Test
    void getFreePagesAndGetZeroedPage() {
        try (Machine m = threeZones(false)) {
            PageAllocator pa = m.pageAlloc();
            long addr = pa.getFreePages(Gfp.GFP_KERNEL, 2);
            assertThat(addr).isNotZero();
            assertThat(addr % (4 * PhysicalMemory.PAGE_SIZE)).isZero();
            Page p = m.physToPage(addr);
            assertThat(p.isAllocated()).isTrue();
            assertThat(p.order()).isEqualTo(2);
            pa.freePagesAddr(addr, 2);

            Page dirty = pa.allocPage(Gfp.GFP_KERNEL);
            m.memory().fill(dirty.physAddr(), PhysicalMemory.PAGE_SIZE, (byte) 0x5a);
            pa.freePage(dirty);
            long zeroed = pa.getZeroedPage(Gfp.GFP_KERNEL);
            assertThat(zeroed).as("LIFO: the same frame comes back").isEqualTo(dirty.physAddr());
            for (int off = 0; off < PhysicalMemory.PAGE_SIZE; off += 8) {
                assertThat(m.memory().getLong(zeroed + off)).isZero();
            }

            Zone dma = m.zone(Zone.ZONE_DMA);
            dma.addReservedPages(dma.freePages());
            assertThat(pa.getFreePages(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA, 0)).isZero();
            assertThat(pa.getZeroedPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isZero();
        }
    }

    @Test
    void dmaRequestOnAMachineWithoutDmaZoneReturnsNull() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            MachineState before = MachineState.of(m);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isNull();
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_DMA)).isNull();
            assertThat(m.pageAlloc().allocFailures()).isEqualTo(2);
            assertThat(MachineState.of(m).zones()).isEqualTo(before.zones());
        }
    }
}
