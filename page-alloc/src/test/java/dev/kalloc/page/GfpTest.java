// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** gfp masks: values, names, validation, and the zonelists they select ({@code build_zonelists}). */
class GfpTest {

    @Test
    void flagValuesAreThe24Kernels() {
        assertThat(Gfp.__GFP_DMA).isEqualTo(0x01);
        assertThat(Gfp.__GFP_HIGHMEM).isEqualTo(0x02);
        assertThat(Gfp.__GFP_WAIT).isEqualTo(0x10);
        assertThat(Gfp.__GFP_HIGH).isEqualTo(0x20);
        assertThat(Gfp.__GFP_IO).isEqualTo(0x40);
        assertThat(Gfp.__GFP_HIGHIO).isEqualTo(0x80);
        assertThat(Gfp.__GFP_FS).isEqualTo(0x100);
        assertThat(Gfp.GFP_ATOMIC).isEqualTo(0x20);
        assertThat(Gfp.GFP_NOIO).isEqualTo(0x30);
        assertThat(Gfp.GFP_NOHIGHIO).isEqualTo(0x70);
        assertThat(Gfp.GFP_NOFS).isEqualTo(0xf0);
        assertThat(Gfp.GFP_KERNEL).isEqualTo(0x1f0);
        assertThat(Gfp.GFP_NFS).isEqualTo(Gfp.GFP_KERNEL);
        assertThat(Gfp.GFP_USER).isEqualTo(0x1d0);
        assertThat(Gfp.GFP_KSWAPD).isEqualTo(0x1d0);
        assertThat(Gfp.GFP_HIGHUSER).isEqualTo(0x1d2);
        assertThat(Gfp.GFP_DMA).isEqualTo(0x01);
        assertThat(Gfp.mayWait(Gfp.GFP_NOIO)).isTrue();
        assertThat(Gfp.mayWait(Gfp.GFP_ATOMIC)).isFalse();
    }

    @Test
    void highestZoneFollowsTheZoneModifiers() {
        assertThat(Gfp.highestZone(Gfp.GFP_KERNEL)).isEqualTo(Zone.ZONE_NORMAL);
        assertThat(Gfp.highestZone(Gfp.GFP_ATOMIC)).isEqualTo(Zone.ZONE_NORMAL);
        assertThat(Gfp.highestZone(0)).isEqualTo(Zone.ZONE_NORMAL);
        assertThat(Gfp.highestZone(Gfp.GFP_HIGHUSER)).isEqualTo(Zone.ZONE_HIGHMEM);
        assertThat(Gfp.highestZone(Gfp.GFP_DMA)).isEqualTo(Zone.ZONE_DMA);
        assertThat(Gfp.highestZone(Gfp.GFP_KERNEL | Gfp.__GFP_DMA)).isEqualTo(Zone.ZONE_DMA);
        // DMA wins when both zone bits are set
        assertThat(Gfp.highestZone(Gfp.__GFP_DMA | Gfp.__GFP_HIGHMEM)).isEqualTo(Zone.ZONE_DMA);
    }

    @Test
    void toStringNamesTheCompositeThenTheRemainingBits() {
        assertThat(Gfp.toString(Gfp.GFP_KERNEL)).isEqualTo("GFP_KERNEL");
        assertThat(Gfp.toString(Gfp.GFP_ATOMIC)).isEqualTo("GFP_ATOMIC");
        assertThat(Gfp.toString(Gfp.GFP_NOIO)).isEqualTo("GFP_NOIO");
        assertThat(Gfp.toString(Gfp.GFP_NOFS)).isEqualTo("GFP_NOFS");
        assertThat(Gfp.toString(Gfp.GFP_NOHIGHIO)).isEqualTo("GFP_NOHIGHIO");
        assertThat(Gfp.toString(Gfp.GFP_USER)).isEqualTo("GFP_USER");
        assertThat(Gfp.toString(Gfp.GFP_HIGHUSER)).isEqualTo("GFP_HIGHUSER");
        assertThat(Gfp.toString(Gfp.GFP_NOIO | Gfp.__GFP_DMA)).isEqualTo("GFP_NOIO|__GFP_DMA");
        assertThat(Gfp.toString(Gfp.GFP_KERNEL | Gfp.__GFP_COLD)).isEqualTo("GFP_KERNEL|__GFP_COLD");
        assertThat(Gfp.toString(Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM)).isEqualTo("GFP_ATOMIC|__GFP_HIGHMEM");
        assertThat(Gfp.toString(Gfp.GFP_HIGHUSER | Gfp.__GFP_COLD)).isEqualTo("GFP_HIGHUSER|__GFP_COLD");
        assertThat(Gfp.toString(Gfp.GFP_DMA)).isEqualTo("__GFP_DMA");
        assertThat(Gfp.toString(Gfp.__GFP_WAIT | Gfp.__GFP_IO)).isEqualTo("__GFP_WAIT|__GFP_IO");
        assertThat(Gfp.toString(0)).isEqualTo("0");
        assertThat(Gfp.toString(0x400)).isEqualTo("0x400");
        assertThat(Gfp.toString(Gfp.__GFP_FS | 0x1000)).isEqualTo("__GFP_FS|0x1000");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x04, 0x08, 0x400, 0x800, 0x10000, 0x80000000, Gfp.GFP_KERNEL | 0x400})
    void checkRejectsUnknownBits(int gfp) {
        assertThatThrownBy(() -> Gfp.check(gfp)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.format("0x%x", gfp & ~Gfp.GFP_VALID_MASK));
    }

    @Test
    void checkAcceptsEveryKnownMask() {
        for (int gfp : new int[] {0, Gfp.GFP_KERNEL, Gfp.GFP_HIGHUSER | Gfp.__GFP_COLD, Gfp.GFP_VALID_MASK}) {
            assertThat(Gfp.check(gfp)).isEqualTo(gfp);
        }
    }

    @Test
    void allocationWithUnknownBitsIsRejectedAndChangesNothing() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            MachineState before = MachineState.of(m);
            assertThatThrownBy(() -> m.pageAlloc().allocPages(Gfp.GFP_KERNEL | 0x400, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(MachineState.of(m)).isEqualTo(before);
        }
    }

    @Test
    void zonelistsFallBackDownwardAndSkipEmptyZones() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Zone high = m.zone(Zone.ZONE_HIGHMEM);
            PageAllocator pa = m.pageAlloc();
            assertThat(pa.zonelist(Gfp.GFP_HIGHUSER)).containsExactly(high, normal, dma);
            assertThat(pa.zonelist(Gfp.GFP_KERNEL)).containsExactly(normal, dma);
            assertThat(pa.zonelist(Gfp.GFP_DMA)).containsExactly(dma);
            assertThat(pa.zonelist(Gfp.__GFP_DMA | Gfp.__GFP_HIGHMEM)).containsExactly(dma);
            Zone[] copy = pa.zonelist(Gfp.GFP_KERNEL);
            copy[0] = null;
            assertThat(pa.zonelist(Gfp.GFP_KERNEL)).containsExactly(normal, dma);
        }
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            assertThat(m.pageAlloc().zonelist(Gfp.GFP_HIGHUSER)).containsExactly(normal);
            assertThat(m.pageAlloc().zonelist(Gfp.GFP_DMA)).isEmpty();
        }
    }

    /**
     * With every watermark 0 the passes take from a zone while it has more than one free page
     * ({@code free > 2^order}), so a stream of order-0 GFP_ATOMIC allocations shows the
     * fallback order directly: each zone of the zonelist down to its last page, in turn.
     */
    @Test
    void highmemAllocationsFallBackHighMemThenNormalThenDma() {
        try (Machine m = bootWithoutWatermarks()) {
            List<Integer> zones = drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM);
            // HighMem 256 free, Normal 512, DMA 255 (pfn 0 reserved): each down to one page.
            assertThat(zones).isEqualTo(runs(2, 255, 1, 511, 0, 254));
            assertThat(m.zones()).extracting(Zone::freePages).containsExactly(1, 1, 1);

            // PF_MEMALLOC ignores the watermarks: the last page of each zone, in zonelist order.
            int saved = m.current().setFlags(Task.PF_MEMALLOC);
            try {
                assertThat(drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM)).containsExactly(2, 1, 0);
            } finally {
                m.current().restoreFlags(saved);
            }
            assertThat(m.pageAlloc().nrFreePages()).isZero();
            m.checkInvariants();
        }
    }

    @Test
    void normalAllocationsNeverUseHighMem() {
        try (Machine m = bootWithoutWatermarks()) {
            assertThat(drain(m, Gfp.GFP_ATOMIC)).isEqualTo(runs(1, 511, 0, 254));
            assertThat(m.zone(Zone.ZONE_HIGHMEM).freePages()).isEqualTo(256);
        }
    }

    @Test
    void dmaAllocationsUseOnlyDma() {
        try (Machine m = bootWithoutWatermarks()) {
            assertThat(drain(m, Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)).isEqualTo(runs(0, 254));
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(512);
            assertThat(m.zone(Zone.ZONE_HIGHMEM).freePages()).isEqualTo(256);
            // __GFP_DMA wins over __GFP_HIGHMEM
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA | Gfp.__GFP_HIGHMEM, 0)).isNull();
        }
    }

    private static Machine bootWithoutWatermarks() {
        Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build());
        for (Zone z : m.zones()) {
            z.setWatermarks(0, 0, 0);
        }
        return m;
    }

    /** Allocates order-0 pages with {@code gfp} until null, returning the zone index of each. */
    private static List<Integer> drain(Machine m, int gfp) {
        List<Integer> zones = new ArrayList<>();
        for (Page p; (p = m.pageAlloc().allocPages(gfp, 0)) != null;) {
            zones.add(p.zone().index());
        }
        return zones;
    }

    /** {@code runs(zone, count, zone, count, ...)} expanded into a list. */
    private static List<Integer> runs(int... zoneCount) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < zoneCount.length; i += 2) {
            for (int j = 0; j < zoneCount[i + 1]; j++) {
                out.add(zoneCount[i]);
            }
        }
        return out;
    }
}
