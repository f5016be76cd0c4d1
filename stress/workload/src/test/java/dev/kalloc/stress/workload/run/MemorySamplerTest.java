// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Elements;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Zone;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.stress.workload.scenarios.PressureFill;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sampler's prices, as each author defined them: a reservation's effective price is
 * {@code max(0, R - C)} per zone, summed, with R and C read from the zones here independently;
 * a mempool's nominal and effective prices are both its idle bytes; none costs nothing.
 */
class MemorySamplerTest {
    private static final int RESERVE = 64;
    private static final int POOL = 8;

    /**
     * 16 MiB in scaled i386 zones (DMA 256 KiB, Normal to 14 MiB, HighMem above), kswapd off so
     * that nothing moves between the sample and the test's own reads of the zones.
     */
    private static Machine boot() {
        return Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).cpus(2).kswapd(false).build());
    }

    /** The guarantee as a run's {@link Rig} builds it: the standard kind, wrapped to be observed. */
    private static TrackedGuarantee guarantee(Machine m, GuaranteeKind kind) {
        Reservations rs = Reservations.boot(m);
        return new TrackedGuarantee(kind.create(m, rs), rs);
    }

    /**
     * A source of single pages, {@code count} of them in flight (a pool of as many), whose
     * elements are described as {@code reservePages / count} pages each, so that a reservation
     * holds {@code reservePages}: more than the elements take, a reserve to price.
     */
    private static ElementSource<Page> pages(Machine m, TrackedGuarantee g, int count, int reservePages) {
        Elements<Page> pages = Elements.pages(m, count, 0);
        return g.source("pages", pages.allocatedBy(pages.alloc(), pages.free()).perElement(reservePages / count));
    }

    /** {@code sum over zones of max(0, R - C)}, in pages, read from the zones now. */
    private static long uncovered(Machine m) {
        long pages = 0;
        for (Zone z : m.zones()) {
            pages += Math.max(0, z.reservedPages() - z.nrCleanReclaimable());
        }
        return pages;
    }

    /** Adds {@code n} clean pages of {@code file} from ZONE_NORMAL (GFP_NOIO: Normal, then DMA). */
    private static void addClean(Machine m, AddressSpace file, long first, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(m.pageCache().addNewPage(file, first + i, Gfp.GFP_NOIO)).isNotNull();
        }
    }

    private static void assertZonesAsRead(Machine m, MemorySample s) {
        assertThat(s.zones()).as("DMA, Normal, HighMem").isEqualTo(3);
        for (Zone z : m.zones()) {
            int i = z.index();
            assertThat(s.free()[i]).isEqualTo(z.freePages());
            assertThat(s.clean()[i]).isEqualTo(z.nrCleanReclaimable());
            assertThat(s.dirty()[i]).isEqualTo(z.nrDirty() + z.nrWriteback());
            assertThat(s.reserved()[i]).isEqualTo(z.reservedPages());
        }
    }

    @Test
    void aReservationCostsOthersOnlyWhatCleanPagesDoNotCover() {
        try (Machine m = boot()) {
            TrackedGuarantee g = guarantee(m, GuaranteeKind.RESERVATION);
            ElementSource<Page> src = pages(m, g, 4, RESERVE);
            assertThat(m.zone(Zone.ZONE_NORMAL).reservedPages()).as("GFP_NOIO reserves in Normal first")
                    .isEqualTo(RESERVE);

            // The workload's clean pressure lands in HighMem: clean pages there cover nothing in Normal.
            PressureFill.fill(m, "file", 20, false);
            MemorySample s = MemorySampler.sample(1234, m, g);
            assertThat(s.tMillis()).isEqualTo(1234);
            assertZonesAsRead(m, s);
            assertThat(s.clean()[Zone.ZONE_HIGHMEM]).isEqualTo(20);
            assertThat(uncovered(m)).as("per zone, not in total").isEqualTo(RESERVE);
            assertThat(s.effectivePriceBytes()).isEqualTo(uncovered(m) * PhysicalMemory.PAGE_SIZE);
            assertThat(s.nominalPriceBytes()).as("R itself").isEqualTo((long) RESERVE * PhysicalMemory.PAGE_SIZE);
            assertThat(s.inUse()).isZero();

            // Clean pages in Normal cover part of R there.
            AddressSpace file = new AddressSpace("lowmem", null);
            addClean(m, file, 0, 20);
            s = MemorySampler.sample(1334, m, g);
            assertZonesAsRead(m, s);
            assertThat(uncovered(m)).isEqualTo(RESERVE - 20);
            assertThat(s.effectivePriceBytes()).isEqualTo(uncovered(m) * PhysicalMemory.PAGE_SIZE);

            // More clean page cache than reserved pages: the reservation costs others nothing.
            addClean(m, file, 20, 2 * RESERVE);
            s = MemorySampler.sample(1434, m, g);
            assertZonesAsRead(m, s);
            assertThat(uncovered(m)).isZero();
            assertThat(s.effectivePriceBytes()).isZero();
            assertThat(s.nominalPriceBytes()).isEqualTo((long) RESERVE * PhysicalMemory.PAGE_SIZE);

            // A page allocated from the reservation is in use, and no longer unused reserved.
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 7);
            Page p = src.alloc(Gfp.GFP_NOIO);
            m.pageAlloc().failPageAlloc().attr().configure(0, 1, -1, 0, 7);
            s = MemorySampler.sample(1534, m, g);
            assertThat(s.inUse()).isEqualTo(1);
            assertThat(s.totalReserved()).isEqualTo(RESERVE - 1);
            src.free(p);
            src.destroy();
        }
    }

    @Test
    void aMempoolsPriceIsItsIdleElementsEitherWay() {
        try (Machine m = boot()) {
            TrackedGuarantee g = guarantee(m, GuaranteeKind.MEMPOOL_2_5_1);
            ElementSource<Page> src = pages(m, g, POOL, RESERVE);
            PressureFill.fill(m, "dirty", 10, true);
            List<Page> out = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                out.add(src.alloc(Gfp.GFP_KERNEL));
            }

            MemorySample s = MemorySampler.sample(0, m, g);
            assertZonesAsRead(m, s);
            assertThat(s.totalDirty()).isEqualTo(10);
            assertThat(s.nominalPriceBytes()).isEqualTo(g.idleBytes())
                    .isEqualTo((long) POOL * PhysicalMemory.PAGE_SIZE);
            assertThat(s.effectivePriceBytes()).isEqualTo(s.nominalPriceBytes());
            assertThat(s.totalReserved()).isZero();
            assertThat(s.inUse()).isEqualTo(3);
            out.forEach(src::free);
            src.destroy();
        }
    }

    @Test
    void noneCostsNothing() {
        try (Machine m = boot()) {
            TrackedGuarantee g = guarantee(m, GuaranteeKind.NONE);
            ElementSource<Page> src = pages(m, g, POOL, RESERVE);
            Page p = src.alloc(Gfp.GFP_KERNEL);
            MemorySample s = MemorySampler.sample(0, m, g);
            assertThat(s.nominalPriceBytes()).isZero();
            assertThat(s.effectivePriceBytes()).isZero();
            assertThat(s.inUse()).isEqualTo(1);
            src.free(p);
            src.destroy();
        }
    }
}
