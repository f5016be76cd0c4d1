// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.TinyMachines;
import dev.kalloc.reservation.ReservationSizing;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The seam's description of an element, and each guarantee sizing itself from it: a mempool
 * keeps {@code prealloc} elements ready, a reservation reserves for {@code count} elements of
 * {@code perElement} objects or blocks, none sizes nothing; and the descriptions that cannot
 * hold are refused when made.
 */
class ElementsTest {
    @Test
    void aMempoolKeepsPreallocReadyAndAReservationReservesForCountTimesPerElement() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            Elements<Page> pages = Elements.pages(m, 4, 1).prealloc(2);
            ElementSource<Page> pool = GuaranteeKind.MEMPOOL_2_5_1.create(m).source("pool", pages);
            assertThat(pool.counters()).containsEntry("min_nr", 2L).containsEntry("curr_nr", 2L);
            ElementSource<Page> rsv = GuaranteeKind.RESERVATION.create(m).source("rsv", pages);
            assertThat(rsv.counters()).as("4 blocks of order 1").containsEntry("avail", 8L);
            Elements<Page> single = Elements.pages(m, 3, 0);
            Elements<Page> pairs = single.allocatedBy(single.alloc(), single.free()).perElement(2);
            ElementSource<Page> rsvPairs = GuaranteeKind.RESERVATION.create(m).source("pairs", pairs);
            assertThat(rsvPairs.counters()).as("3 elements of 2 pages").containsEntry("avail", 6L);
            pool.destroy();
            rsv.destroy();
            rsvPairs.destroy();
            m.checkInvariants();
        }
    }

    @Test
    void aReservationOfSlabObjectsIsSizedByTheCacheItsObjectsComeFrom() {
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(1024), GuaranteeKind.RESERVATION,
                b -> b.maxVecs(1).inFlight(20), 64, Duration.ZERO)) {
            long expected = ReservationSizing.slabObjects(rig.machine, rig.set.bioCache(), 20);
            assertThat(rig.set.bioSource().counters()).containsEntry("avail", expected);
        }
    }

    @Test
    void theBarePageAllocatorTakesItsBlocksFromTheZonesDescribed() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().build())) {
            Elements<Page> dma = Elements.pages(m, 1, 0, Gfp.__GFP_DMA);
            Page p = dma.alloc().alloc(Gfp.GFP_KERNEL);
            assertThat(p.zone().index()).isEqualTo(Zone.ZONE_DMA);
            dma.free().free(p);
        }
    }

    @Test
    void descriptionsThatCannotHoldAreRefused() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).build())) {
            assertThatThrownBy(() -> Elements.pages(m, 0, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Elements.pages(m, 1, 0).prealloc(0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Elements.pages(m, 1, m.config().maxOrder()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Elements.pages(m, 1, 0, Gfp.__GFP_WAIT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zone modifiers");
            assertThatThrownBy(() -> Elements.pages(m, 1, 0).perElement(2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allocatedBy");
            assertThatThrownBy(() -> Elements.pages(m, Integer.MAX_VALUE / 2, 0).allocatedBy(gfp -> null, e -> { })
                    .perElement(3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too many");
            try (Machine other = Machine.boot(TinyMachines.normalOnly(1024).build())) {
                assertThatThrownBy(() -> GuaranteeKind.MEMPOOL_MODERN.create(m).source("x", Elements.pages(other, 1, 0)))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> GuaranteeKind.RESERVATION.create(m).source("x", Elements.pages(other, 1, 0)))
                        .isInstanceOf(IllegalArgumentException.class);
            }
            m.checkInvariants();
        }
    }
}
