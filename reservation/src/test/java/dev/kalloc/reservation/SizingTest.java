// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Machine;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabObject;
import org.junit.jupiter.api.Test;

/** Sizing helpers: pages for N blocks of an order, and for N objects of a slab cache. */
class SizingTest {

    @Test
    void pagesOfAnOrder() {
        assertThat(ReservationSizing.pages(4, 2)).isEqualTo(16);
        assertThat(ReservationSizing.pages(0, 9)).isZero();
        assertThat(ReservationSizing.pages(3, 0)).isEqualTo(3);
    }

    /** ceil((objects + nrCpus * limit) / num) slabs of 2^gfporder pages. */
    @Test
    void slabObjectsCountSlabsAndPerCpuHeadroom() {
        try (Machine m = Rsv.normalOnly()) {
            m.bindCurrentThread(0);
            SlabAllocator slab = SlabAllocator.boot(m);
            KmemCache<SlabObject> cache = slab.kmemCacheCreate("sized", 256, 0, 0, null, null);
            int num = cache.num();
            int limit = cache.limit();
            assertThat(cache.gfporder()).isZero();
            assertThat(limit).isPositive();
            int cpus = m.config().nrCpus();
            assertThat(ReservationSizing.slabObjects(m, cache, 40)).isEqualTo((40 + cpus * limit + num - 1) / num);
            assertThat(ReservationSizing.slabObjects(m, cache, 0)).isZero();

            assertThat(cache.tune(0, 0)).isTrue();
            assertThat(ReservationSizing.slabObjects(m, cache, 40)).as("no array caches, no headroom")
                    .isEqualTo((40 + num - 1) / num);
            assertThat(ReservationSizing.slabObjects(m, cache, num)).isEqualTo(1);
            assertThat(ReservationSizing.slabObjects(m, cache, num + 1)).isEqualTo(2);
        }
    }

    /** Big objects: multi-page slabs, and descriptors from the off-slab cache counted too. */
    @Test
    void offSlabCachesCountTheirDescriptors() {
        try (Machine m = Rsv.normalOnly()) {
            m.bindCurrentThread(0);
            SlabAllocator slab = SlabAllocator.boot(m);
            KmemCache<SlabObject> big = slab.kmemCacheCreate("big", 8192, 0, 0, null, null);
            assertThat(big.offSlab()).isTrue();
            assertThat(big.limit()).as("objects over a page have no array cache").isZero();
            KmemCache<?> desc = big.slabpCache();
            int slabs = (10 + big.num() - 1) / big.num();
            int expected = (slabs << big.gfporder()) + (((slabs + desc.num() - 1) / desc.num()) << desc.gfporder());
            assertThat(ReservationSizing.slabObjects(m, big, 10)).isEqualTo(expected);
        }
    }
}
