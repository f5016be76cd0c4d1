// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import org.junit.jupiter.api.Test;

/** The fixtures other modules' tests rely on: {@link MemoryHog} and {@link TinyMachines}. */
class MemoryHogTest {

    @Test
    void fillsUntilTheTargetOrUntilAllocationFailsAndReleasesEverything() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().build())) {
            long free0 = m.pageAlloc().nrFreePages() + perCpu(m);
            MemoryHog hog = new MemoryHog(m, "hog");
            assertThat(hog.fillClean(100)).isEqualTo(100);
            assertThat(hog.pages()).isEqualTo(100);
            assertThat(m.pageCache().nrPages()).isEqualTo(100);

            int more = hog.fillClean(Integer.MAX_VALUE);
            assertThat(more).isPositive();
            // HOG_GFP cannot sleep: it stops at the atomic second pass, whose threshold is 1 plus a
            // quarter of pages_min accumulated along HighMem (8/4), Normal (16/4), DMA (8/4).
            assertThat(m.zone(Zone.ZONE_HIGHMEM).freePages()).isLessThanOrEqualTo(1 + 2);
            assertThat(m.zone(Zone.ZONE_NORMAL).freePages()).isLessThanOrEqualTo(1 + 2 + 4);
            assertThat(m.zone(Zone.ZONE_DMA).freePages()).isLessThanOrEqualTo(1 + 2 + 4 + 2);
            assertThat(m.reclaim().calls()).isZero();
            for (Page p : hog.cachedPages()) {
                assertThat(p.mapping()).isSameAs(hog.mapping());
                assertThat(m.memory().getLong(p.physAddr())).as("the page holds its index").isEqualTo(p.index());
                assertThat(p.testFlag(Page.PG_dirty)).isFalse();
                assertThat(p.testFlag(Page.PG_referenced)).isFalse();
                assertThat(p.count()).isEqualTo(1);
            }

            assertThat(hog.release()).isEqualTo(100 + more);
            assertThat(hog.pages()).isZero();
            assertThat(m.pageCache().nrPages()).isZero();
            assertThat(m.pageAlloc().nrFreePages() + perCpu(m)).isEqualTo(free0);
            m.checkInvariants();
        }
    }

    @Test
    void dirtyPagesWithHeldWriteback() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build())) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            MemoryHog hog = new MemoryHog(m, "dirty");
            hog.holdWriteback(true);
            assertThat(hog.fillDirty(50)).isEqualTo(50);
            assertThat(z.nrDirty()).isEqualTo(50);
            assertThat(z.nrCleanReclaimable()).isZero();

            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isZero();
            assertThat(hog.writepageCalls()).isEqualTo(50);
            assertThat(hog.heldWriteback()).isEqualTo(50);
            assertThat(z.nrWriteback()).isEqualTo(50);

            assertThat(hog.completeWriteback()).isEqualTo(50);
            assertThat(hog.heldWriteback()).isZero();
            assertThat(z.nrCleanReclaimable()).isEqualTo(50);
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0)).isEqualTo(32);
            assertThat(hog.pages()).isEqualTo(18);
            m.checkInvariants();
        }
    }

    @Test
    void releaseWritesBackDirtyPagesAndCompletesHeldOnes() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build())) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            int free0 = z.freePages();
            MemoryHog hog = new MemoryHog(m, "dirty");
            hog.holdWriteback(true);
            hog.fillDirty(40);
            m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0); // all 40 in flight now
            hog.fillDirty(10);
            hog.close();
            assertThat(hog.pages()).isZero();
            assertThat(z.nrCached()).isZero();
            assertThat(z.nrWriteback()).isZero();
            assertThat(z.freePages()).isEqualTo(free0);
            m.checkInvariants();
        }
    }

    @Test
    void pagesDroppedByReclaimAreNoLongerCounted() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build())) {
            MemoryHog hog = new MemoryHog(m, "hog");
            int n = hog.fillClean(Integer.MAX_VALUE);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL); // direct reclaim takes 32
            assertThat(p).isNotNull();
            assertThat(hog.pages()).isEqualTo(n - 32);
            assertThat(hog.release()).isEqualTo(n - 32);
            m.pageAlloc().freePage(p);
            m.checkInvariants();
        }
    }

    @Test
    void fillWithASleepingMaskReclaimsTheHogsOwnPages() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build())) {
            MemoryHog hog = new MemoryHog(m, "hog");
            assertThat(hog.fill(2000, Gfp.GFP_HIGHUSER, false)).isEqualTo(2000);
            assertThat(hog.pages()).isLessThan(1024);
            assertThat(m.reclaim().calls()).isPositive();
            hog.release();
            m.checkInvariants();
        }
    }

    private static long perCpu(Machine m) {
        long n = 0;
        for (Zone z : m.zones()) {
            n += z.perCpuPages();
        }
        return n;
    }
}
