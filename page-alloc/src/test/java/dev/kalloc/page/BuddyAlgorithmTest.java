// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The buddy algorithm of 2.4's {@code rmqueue}/{@code expand}/{@code __free_pages_ok} on a
 * fixed request trace, with every expected page frame number derived by hand below.
 *
 * <p>The machine: 8 MiB = pfns 0..2047, ZONE_DMA = pfns 0..511, ZONE_NORMAL = pfns 512..2047
 * (1536 pages: three order-9 blocks), no HighMem, per-CPU lists off, MAX_ORDER 10. Boot frees
 * every page but pfn 0 one at a time in ascending order; each block is put at the head of its
 * list when it is completed, so:
 * <ul>
 *   <li>DMA: pfn 0 is reserved, so pfn 1 never merges (its buddy is pfn 0), pfns 2-3 make an
 *       order-1 block whose order-1 buddy (0-1) is not free, 4-7 an order-2 block, and so on:
 *       one block per order, o0 [1], o1 [2], o2 [4], ..., o8 [256]; 511 free pages.</li>
 *   <li>Normal: 512-1023, then 1024-1535, then 1536-2047 complete as order-9 blocks (the top
 *       order never merges), each put at the head: o9 [1536, 1024, 512].</li>
 * </ul>
 */
class BuddyAlgorithmTest {
    private static final int MAX_ORDER = 10;

    private static Machine boot() {
        return Machine.boot(MachineConfig.builder()
                .memory(8 * MachineConfig.MiB)
                .zoneLimits(2 * MachineConfig.MiB, 8 * MachineConfig.MiB)
                .cpus(1)
                .maxOrder(MAX_ORDER)
                .perCpuLists(false)
                .zoneBalance(128, 20, 20)
                .kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1))
                .build());
    }

    /** Expected free lists: {@code lists(o0, o1, ...)}; orders not given are empty. */
    private static List<List<Integer>> lists(int[]... perOrder) {
        List<List<Integer>> out = new ArrayList<>();
        for (int k = 0; k < MAX_ORDER; k++) {
            List<Integer> l = new ArrayList<>();
            if (k < perOrder.length) {
                Arrays.stream(perOrder[k]).forEach(l::add);
            }
            out.add(l);
        }
        return out;
    }

    private static int[] of(int... pfns) {
        return pfns;
    }

    private static final int[] NONE = {};

    @Test
    void bootLeavesMaximalBlocksWithTheHighestBlockAtTheHeadOfTheTopList() {
        try (Machine m = boot()) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            assertThat(m.zone(Zone.ZONE_HIGHMEM)).isNull();
            assertThat(MachineState.freeLists(dma)).isEqualTo(lists(of(1), of(2), of(4), of(8), of(16), of(32),
                    of(64), of(128), of(256), NONE));
            assertThat(dma.freePages()).isEqualTo(511);
            assertThat(MachineState.freeLists(normal)).isEqualTo(
                    lists(NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, of(1536, 1024, 512)));
            assertThat(normal.freePages()).isEqualTo(1536);

            Page zero = m.pfnToPage(0);
            assertThat(zero.isAllocated()).isTrue();
            assertThat(zero.testFlag(Page.PG_reserved)).isTrue();
            assertThat(zero.count()).isEqualTo(1);
            m.checkInvariants();
        }
    }

    @Test
    void fixedTraceYieldsTheKernelAlgorithmsFrames() {
        try (Machine m = boot()) {
            PageAllocator pa = m.pageAlloc();
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            List<List<Integer>> dmaAtBoot = MachineState.freeLists(m.zone(Zone.ZONE_DMA));

            // A, order 0: o0..o8 are empty, so the head of o9 (1536-2047) is split. expand() puts
            // each lower half on the list below and goes on in the upper half: 1536 on o8, 1792
            // on o7, 1920 on o6, 1984 on o5, 2016 on o4, 2032 on o3, 2040 on o2, 2044 on o1,
            // 2046 on o0, and returns the last upper half: the top pfn of the zone, 2047.
            Page a = pa.allocPages(Gfp.GFP_KERNEL, 0);
            assertThat(a.pfn()).isEqualTo(2047);
            assertThat(MachineState.freeLists(normal)).isEqualTo(lists(of(2046), of(2044), of(2040), of(2032),
                    of(2016), of(1984), of(1920), of(1792), of(1536), of(1024, 512)));
            assertThat(normal.freePages()).isEqualTo(1535);

            // B, order 0: the head of o0, the page just below A.
            Page b = pa.allocPages(Gfp.GFP_KERNEL, 0);
            assertThat(b.pfn()).isEqualTo(2046);

            // C, order 1: the head of o1, the pair below that.
            Page c = pa.allocPages(Gfp.GFP_KERNEL, 1);
            assertThat(c.pfn()).isEqualTo(2044);
            assertThat(c.order()).isEqualTo(1);

            // D, order 0: o0 and o1 are empty; o2's head 2040-2043 is split: 2040-2041 goes on
            // o1, then 2042 on o0, and the upper page 2043 is returned.
            Page d = pa.allocPages(Gfp.GFP_KERNEL, 0);
            assertThat(d.pfn()).isEqualTo(2043);
            assertThat(MachineState.freeLists(normal)).isEqualTo(lists(of(2042), of(2040), NONE, of(2032),
                    of(2016), of(1984), of(1920), of(1792), of(1536), of(1024, 512)));

            // E, order 2: o2 is empty; o3's 2032-2039 is split, 2032 goes on o2, 2036 returned.
            Page e = pa.allocPages(Gfp.GFP_KERNEL, 2);
            assertThat(e.pfn()).isEqualTo(2036);
            assertThat(normal.freePages()).isEqualTo(1527);

            // Free B: its buddy 2047 (A) is allocated, so no merge; B goes on the head of o0.
            pa.freePages(b, 0);
            assertThat(MachineState.freeLists(normal).get(0)).containsExactly(2046, 2042);

            // F, order 0: lists are taken at the head, so the page just freed comes back (LIFO).
            Page f = pa.allocPages(Gfp.GFP_KERNEL, 0);
            assertThat(f.pfn()).isEqualTo(2046);
            pa.freePages(f, 0);

            // Free A (2047): its order-0 buddy 2046 is free, merge to 2046-2047 (order 1); the
            // order-1 buddy 2044 (C) is allocated: stop, head of o1.
            pa.freePages(a, 0);
            assertThat(MachineState.freeLists(normal)).isEqualTo(lists(of(2042), of(2046, 2040), of(2032), NONE,
                    of(2016), of(1984), of(1920), of(1792), of(1536), of(1024, 512)));

            // Free C (2044, order 1): merges with 2046-2047 into 2044-2047 (order 2). Its order-2
            // buddy starts at 2040, and page 2040 is free, but as an order-1 block (2043 = D is
            // still allocated): a buddy merges only when it is free at the same order. Stop.
            pa.freePages(c, 1);
            assertThat(MachineState.freeLists(normal)).isEqualTo(lists(of(2042), of(2040), of(2044, 2032), NONE,
                    of(2016), of(1984), of(1920), of(1792), of(1536), of(1024, 512)));

            // Free D (2043): 2042 (o0) -> 2042-2043; 2040 (o1) -> 2040-2043; 2044 (o2) ->
            // 2040-2047 (order 3); the order-3 buddy 2032 is free only at order 2 (E = 2036 is
            // allocated): stop.
            pa.freePages(d, 0);
            assertThat(MachineState.freeLists(normal)).isEqualTo(lists(NONE, NONE, of(2032), of(2040),
                    of(2016), of(1984), of(1920), of(1792), of(1536), of(1024, 512)));
            assertThat(normal.freePages()).isEqualTo(1532);

            // Free E (2036, order 2): the cascade runs to the top: 2032 (o2), 2040 (o3), 2016
            // (o4), 1984 (o5), 1920 (o6), 1792 (o7), 1536 (o8) -> 1536-2047 at order 9, which
            // never merges; it goes on the head of o9, exactly the boot state.
            pa.freePages(e, 2);
            assertThat(MachineState.freeLists(normal)).isEqualTo(
                    lists(NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, of(1536, 1024, 512)));
            assertThat(normal.freePages()).isEqualTo(1536);

            // Normal never fell near its watermarks: DMA was never touched.
            assertThat(MachineState.freeLists(m.zone(Zone.ZONE_DMA))).isEqualTo(dmaAtBoot);
            m.checkInvariants();
        }
    }

    @Test
    void topOrderBlocksAreTakenAndReturnedAtTheHeadAndNeverMerge() {
        try (Machine m = boot()) {
            PageAllocator pa = m.pageAlloc();
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Page p1 = pa.allocPages(Gfp.GFP_KERNEL, 9);
            Page p2 = pa.allocPages(Gfp.GFP_KERNEL, 9);
            assertThat(p1.pfn()).isEqualTo(1536);
            assertThat(p2.pfn()).isEqualTo(1024);
            assertThat(MachineState.freeLists(normal).get(9)).containsExactly(512);

            pa.freePages(p2, 9);
            pa.freePages(p1, 9);
            // 1024 and 1536 are neighbours but MAX_ORDER-1 blocks have no buddy: no order-10 block.
            assertThat(MachineState.freeLists(normal).get(9)).containsExactly(1536, 1024, 512);
            m.checkInvariants();
        }
    }

    @Test
    void freeingTheLastPageOfABlockMergesAllTheWayUp() {
        try (Machine m = boot()) {
            PageAllocator pa = m.pageAlloc();
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Page a = pa.allocPages(Gfp.GFP_KERNEL, 0); // 2047
            Page b = pa.allocPages(Gfp.GFP_KERNEL, 0); // 2046
            Page c = pa.allocPages(Gfp.GFP_KERNEL, 0); // o0 empty: 2044-2045 split, 2044 on o0, 2045 returned
            assertThat(List.of(a.pfn(), b.pfn(), c.pfn())).containsExactly(2047, 2046, 2045);
            assertThat(MachineState.freeLists(normal).get(0)).containsExactly(2044);

            pa.freePage(a); // buddy 2046 allocated: stays at order 0, ahead of 2044
            assertThat(MachineState.freeLists(normal).get(0)).containsExactly(2047, 2044);
            pa.freePage(c); // 2044 + 2045 -> order 1; its buddy 2046-2047 is not a free order-1 block
            assertThat(MachineState.freeLists(normal).get(0)).containsExactly(2047);
            assertThat(MachineState.freeLists(normal).get(1)).containsExactly(2044);
            pa.freePage(b); // 2046+2047, then +2044, +2040, ... up to 1536-2047
            assertThat(MachineState.freeLists(normal)).isEqualTo(
                    lists(NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, of(1536, 1024, 512)));
            m.checkInvariants();
        }
    }

    @Test
    void lowZoneAllocationsTakeTheLowOrderBlocksLeftBesideTheReservedPage() {
        try (Machine m = boot()) {
            PageAllocator pa = m.pageAlloc();
            // GFP_DMA uses only DMA. o0 holds pfn 1, o1 holds 2-3, o2 holds 4-7.
            assertThat(pa.allocPages(Gfp.GFP_DMA, 0).pfn()).isEqualTo(1);
            assertThat(pa.allocPages(Gfp.GFP_DMA, 1).pfn()).isEqualTo(2);
            // o0 and o1 are empty now: 4-7 is split, 4-5 on o1, 6 on o0, 7 returned.
            assertThat(pa.allocPages(Gfp.GFP_DMA, 0).pfn()).isEqualTo(7);
            assertThat(MachineState.freeLists(m.zone(Zone.ZONE_DMA))).isEqualTo(lists(of(6), of(4), NONE, of(8),
                    of(16), of(32), of(64), of(128), of(256), NONE));
            m.checkInvariants();
        }
    }
}
