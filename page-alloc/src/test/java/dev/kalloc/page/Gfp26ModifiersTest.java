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
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three 2.6 gfp modifiers the modern mempool passes down: {@code __GFP_NORETRY} (one
 * direct-reclaim round, then null, never the OOM policy), {@code __GFP_NOMEMALLOC} (no
 * emergency reserve for a {@code PF_MEMALLOC}/{@code PF_MEMDIE} task) and {@code __GFP_NOWARN}
 * (accepted; nothing to silence). Their values, names and validation, and that they never select
 * a zone. Per-CPU lists are off unless a test says otherwise, so free counts are exact.
 */
class Gfp26ModifiersTest {
    /** Failure guard only, around calls that would hang if the bit were ignored. */
    private static final Duration GUARD = Duration.ofSeconds(30);
    private static final int ALL_THREE = Gfp.__GFP_NOWARN | Gfp.__GFP_NORETRY | Gfp.__GFP_NOMEMALLOC;

    private static <T> T withFlags(Machine m, int flags, Supplier<T> body) {
        Task t = m.current();
        int saved = t.setFlags(flags);
        try {
            return body.get();
        } finally {
            t.restoreFlags(saved);
        }
    }

    /**
     * A 1024-page Normal-only machine with watermarks 0 and the given OOM policy, every page
     * allocated but one: a sleeping order-0 allocation fails the passes (a zone needs more than
     * one free page), reclaim finds nothing (no page cache), so only the OOM policy is left.
     */
    private static Machine fullMachine(OomPolicy policy, List<Page> held) {
        Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).zoneBalance(1, 0, 0)
                .oomPolicy(policy).build());
        withFlags(m, Task.PF_MEMALLOC, () -> {
            for (Page p; (p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL)) != null;) {
                held.add(p);
            }
            return null;
        });
        m.pageAlloc().freePage(held.remove(0));
        assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(1);
        return m;
    }

    // -------------------------------------------------------------------------------------------
    // Values, names, validation, zones
    // -------------------------------------------------------------------------------------------

    @Test
    void theBitsAreDistinctFromEveryOtherFlagAndFromSlabNoGrow() {
        int older = Gfp.GFP_ZONEMASK | Gfp.__GFP_WAIT | Gfp.__GFP_HIGH | Gfp.__GFP_IO | Gfp.__GFP_HIGHIO
                | Gfp.__GFP_FS | Gfp.__GFP_COLD;
        int[] bits = {Gfp.__GFP_NOWARN, Gfp.__GFP_NORETRY, Gfp.__GFP_NOMEMALLOC};
        for (int bit : bits) {
            assertThat(Integer.bitCount(bit)).isEqualTo(1);
            assertThat(bit & older).isZero();
            assertThat(bit & 0x1000).as("SLAB_NO_GROW shares the word in kmem_cache_alloc").isZero();
            assertThat(Gfp.GFP_VALID_MASK & bit).isEqualTo(bit);
        }
        assertThat(Integer.bitCount(ALL_THREE)).isEqualTo(3);
        assertThat(Gfp.check(Gfp.GFP_NOIO | ALL_THREE)).isEqualTo(Gfp.GFP_NOIO | ALL_THREE);
    }

    @Test
    void theyNeverSelectAZone() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            for (int gfp : new int[] {Gfp.GFP_KERNEL, Gfp.GFP_HIGHUSER, Gfp.GFP_DMA, Gfp.GFP_NOIO}) {
                assertThat(Gfp.highestZone(gfp | ALL_THREE)).isEqualTo(Gfp.highestZone(gfp));
                assertThat(m.pageAlloc().zonelist(gfp | ALL_THREE)).containsExactly(m.pageAlloc().zonelist(gfp));
            }
            assertThat(ALL_THREE & Gfp.GFP_ZONEMASK).isZero();
            Page p = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER | ALL_THREE);
            assertThat(p.zone().index()).isEqualTo(Zone.ZONE_HIGHMEM);
            m.pageAlloc().freePage(p);
            m.checkInvariants();
        }
    }

    @Test
    void toStringKeepsTheCompositeAndNamesTheModifiers() {
        assertThat(Gfp.toString(Gfp.GFP_NOIO | ALL_THREE))
                .isEqualTo("GFP_NOIO|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC");
        assertThat(Gfp.toString(Gfp.GFP_NOIO & ~Gfp.__GFP_WAIT | ALL_THREE))
                .isEqualTo("GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC");
        assertThat(Gfp.toString(Gfp.GFP_KERNEL | Gfp.__GFP_NORETRY)).isEqualTo("GFP_KERNEL|__GFP_NORETRY");
        assertThat(Gfp.toString(Gfp.GFP_HIGHUSER | Gfp.__GFP_COLD | Gfp.__GFP_NOWARN))
                .isEqualTo("GFP_HIGHUSER|__GFP_COLD|__GFP_NOWARN");
        assertThat(Gfp.toString(Gfp.__GFP_NOMEMALLOC)).isEqualTo("__GFP_NOMEMALLOC");
        // An unknown bit still defeats the composite, as before; the known ones keep their names.
        assertThat(Gfp.toString(Gfp.GFP_NOIO | Gfp.__GFP_NORETRY | 0x40000))
                .isEqualTo("__GFP_WAIT|__GFP_HIGH|__GFP_NORETRY|0x40000");
    }

    /** Bits no flag uses are still refused, with the modifiers or without, and nothing changes. */
    @ParameterizedTest
    @ValueSource(ints = {0x400, 0x800, 0x1000, 0x8000, 0x10000, 0x40000, 0x80000000})
    void unknownBitsAreStillRejected(int bad) {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            long free = m.pageAlloc().nrFreePages();
            assertThatThrownBy(() -> m.pageAlloc().allocPage(Gfp.GFP_KERNEL | ALL_THREE | bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(String.format("unknown bits 0x%x", bad));
            assertThat(m.pageAlloc().nrFreePages()).isEqualTo(free);
            assertThat(m.pageAlloc().allocFailures()).isZero();
            m.checkInvariants();
        }
    }

    // -------------------------------------------------------------------------------------------
    // __GFP_NORETRY
    // -------------------------------------------------------------------------------------------

    /**
     * Under {@code waitForFree()} the same allocation without the bit sleeps until a free
     * ({@code AllocPassesTest.waitingAllocationSleepsUntilAPageIsFreed}); with it, one reclaim
     * round finds nothing and the call returns null: no OOM round, no report, nobody queued.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {Gfp.GFP_KERNEL, Gfp.GFP_NOIO, Gfp.GFP_NOFS | Gfp.__GFP_HIGHMEM})
    void noretryGivesUpAfterOneRoundInsteadOfWaitingForFrees(int gfp) {
        List<Page> held = new ArrayList<>();
        try (Machine m = fullMachine(OomPolicy.waitForFree(), held)) {
            List<Integer> reports = new CopyOnWriteArrayList<>();
            m.addOomListener((g, order, rounds, task) -> reports.add(rounds));
            long failures = m.pageAlloc().allocFailures();

            Page p = assertTimeoutPreemptively(GUARD, () -> m.pageAlloc().allocPage(gfp | Gfp.__GFP_NORETRY));

            assertThat(p).isNull();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(m.pageAlloc().allocStalls()).isEqualTo(1);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(reports).isEmpty();
            assertThat(m.pageAlloc().waiters()).isZero();
            assertThat(m.pageAlloc().allocFailures()).isEqualTo(failures + 1);
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(1);
            m.checkInvariants();
        }
    }

    /** Under {@code failAfter(3)} it stops after the first round instead of the third. */
    @Test
    void noretryDoesNotWaitForTheOomPolicysRounds() {
        List<Page> held = new ArrayList<>();
        try (Machine m = fullMachine(OomPolicy.failAfter(3), held)) {
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_NORETRY)).isNull();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            // Without the bit, the policy's three rounds.
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).isNull();
            assertThat(m.reclaim().calls()).isEqualTo(4);
            assertThat(m.pageAlloc().oomRounds()).isEqualTo(3);
            m.checkInvariants();
        }
    }

    /** The one round is real direct reclaim: with clean page cache to drop, the call succeeds. */
    @Test
    void noretryStillReclaimsOnce() {
        MachineConfig config = TinyMachines.normalOnly(1024).perCpuLists(false)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config); MemoryHog hog = new MemoryHog(m, "hog")) {
            int cached = hog.fillClean(Integer.MAX_VALUE);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_NORETRY);
            assertThat(p).isNotNull();
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(hog.pages()).isEqualTo(cached - Reclaim.SWAP_CLUSTER_MAX);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            m.pageAlloc().freePage(p);
            m.checkInvariants();
        }
    }

    /** An atomic caller never reclaims, with the bit or without. */
    @Test
    void noretryChangesNothingForAtomicCallers() {
        List<Page> held = new ArrayList<>();
        try (Machine m = fullMachine(OomPolicy.waitForFree(), held)) {
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | ALL_THREE)).isNull();
            assertThat(m.reclaim().calls()).isZero();
            assertThat(m.pageAlloc().allocStalls()).isZero();
            m.checkInvariants();
        }
    }

    // -------------------------------------------------------------------------------------------
    // __GFP_NOMEMALLOC
    // -------------------------------------------------------------------------------------------

    /**
     * DMA at 11 free pages under watermarks 40/80/120: only the reserve below {@code pages_min}
     * is left. A PF_MEMALLOC task takes it without the bit; with it, it gets null and the
     * reserve stays whole.
     */
    @ParameterizedTest(name = "task flag {0}")
    @ValueSource(ints = {Task.PF_MEMALLOC, Task.PF_MEMDIE})
    void nomemallocRefusesTheEmergencyReserve(int flag) {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            dma.setWatermarks(40, 80, 120);
            while (m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA) != null) {
                // fill to a quarter of pages_min
            }
            assertThat(dma.freePages()).isEqualTo(11);
            long failures = m.pageAlloc().allocFailures();

            Page refused = withFlags(m, flag, () -> m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA
                    | Gfp.__GFP_NOMEMALLOC));
            assertThat(refused).isNull();
            assertThat(dma.freePages()).isEqualTo(11);
            assertThat(m.pageAlloc().allocFailures()).isEqualTo(failures + 1);

            Page taken = withFlags(m, flag, () -> m.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA));
            assertThat(taken).isNotNull();
            assertThat(dma.freePages()).isEqualTo(10);
            m.checkInvariants();
        }
    }

    /**
     * A sleeping request from a PF_MEMALLOC task (writeback called from reclaim) with the bit
     * fails at once, even under {@code waitForFree()}: no reserve, no recursion into reclaim,
     * no OOM round, no sleep.
     */
    @Test
    void nomemallocSleepingRequestFromAMemallocTaskFailsWithoutReclaimOrSleep() {
        List<Page> held = new ArrayList<>();
        try (Machine m = fullMachine(OomPolicy.waitForFree(), held)) {
            Page p = assertTimeoutPreemptively(GUARD, () -> withFlags(m, Task.PF_MEMALLOC,
                    () -> m.pageAlloc().allocPage(Gfp.GFP_NOIO | Gfp.__GFP_NOMEMALLOC)));
            assertThat(p).isNull();
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(1);
            assertThat(m.reclaim().calls()).isZero();
            assertThat(m.pageAlloc().allocStalls()).isZero();
            assertThat(m.pageAlloc().oomRounds()).isZero();
            assertThat(m.pageAlloc().waiters()).isZero();
            // Without the bit the last page is the task's.
            Page last = withFlags(m, Task.PF_MEMALLOC, () -> m.pageAlloc().allocPage(Gfp.GFP_NOIO));
            assertThat(last).isNotNull();
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isZero();
            m.checkInvariants();
        }
    }

    /** For a task without PF_MEMALLOC the bit changes nothing: the passes serve as before. */
    @Test
    void nomemallocIsNeutralForOrdinaryTasks() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL | Gfp.__GFP_NOMEMALLOC | Gfp.__GFP_NOWARN);
            assertThat(p).isNotNull();
            assertThat(p.zone().index()).isEqualTo(Zone.ZONE_NORMAL);
            m.pageAlloc().freePage(p);
            m.checkInvariants();
        }
    }
}
