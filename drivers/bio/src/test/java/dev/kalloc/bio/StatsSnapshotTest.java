// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The statistics records of the bio layer ({@link BioSet#stats()}, {@link RamDisk#stats()},
 * {@link BioWriteback#stats()}): each field is the counter of its name, and a snapshot keeps the
 * values it was taken with while the live counters move on.
 */
class StatsSnapshotTest {
    @Test
    void bioSetAndDiskStatsAreTheirCountersAndStayAsTaken() throws Exception {
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(1024), GuaranteeKind.MEMPOOL_2_5_1, b -> b, 128,
                Duration.ZERO)) {
            Page page = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            rig.disk.addBadRange(64, 8);
            for (int i = 0; i < 3; i++) { // writes at sectors 0 and 8, then a read of the bad range
                Bio b = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);
                b.setSector(i == 2 ? 64 : i * 8L).setDev(rig.disk);
                b.addPage(page, 4096, 0);
                BioRig.submitAndWait(i == 2 ? Bio.READ : Bio.WRITE, b);
                b.put();
            }
            Bio held = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);

            BioSetStats s = rig.set.stats();
            assertThat(s).isEqualTo(new BioSetStats(rig.set.allocs(), rig.set.allocFailures(), rig.set.frees(),
                    rig.set.clones(), rig.set.endios(), rig.set.errors()));
            assertThat(s.allocs()).isEqualTo(4);
            assertThat(s.frees()).isEqualTo(3);
            assertThat(s.inUse()).isEqualTo(1).isEqualTo(rig.set.inUse());
            assertThat(s.errors()).as("the read of the bad range").isEqualTo(1);
            DiskStats d = rig.disk.stats();
            assertThat(d).isEqualTo(new DiskStats(rig.disk.reads(), rig.disk.writes(), rig.disk.sectorsRead(),
                    rig.disk.sectorsWritten(), rig.disk.ioErrors(), rig.disk.errorsRefused(), rig.disk.completions(),
                    rig.disk.unreachableSegments(), rig.disk.maxQueued()));
            assertThat(d.writes()).isEqualTo(2);
            assertThat(d.sectorsWritten()).isEqualTo(16);

            held.put();
            assertThat(rig.set.stats().frees()).isEqualTo(4);
            assertThat(s.frees()).as("a snapshot does not follow the set").isEqualTo(3);
            rig.machine.pageAlloc().freePage(page);
        }
    }

    @Test
    void writebackStatsCountOnePageWrittenBack() throws Exception {
        int pages = 256;
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(pages), GuaranteeKind.MEMPOOL_2_5_1,
                b -> b.maxVecs(1), (long) pages * BioWriteback.SECTORS_PER_PAGE, Duration.ZERO)) {
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            AddressSpace file = new AddressSpace("file", wb);
            PageCache pc = rig.machine.pageCache();
            assertThat(pc.addNewPage(file, 0, Gfp.GFP_KERNEL)).isNotNull();
            Page ref = pc.findGetPage(file, 0);
            assertThat(pc.setPageDirty(ref, Gfp.GFP_KERNEL)).isTrue();
            WritebackStats before = wb.stats();
            pc.writePage(ref);
            assertThat(wb.awaitIdle(Duration.ofSeconds(20))).isTrue();
            rig.machine.pageAlloc().putPage(ref);

            assertThat(before).isEqualTo(new WritebackStats(0, 0, 0, 0));
            assertThat(wb.stats()).isEqualTo(new WritebackStats(1, 1, 0, 0))
                    .isEqualTo(new WritebackStats(wb.started(), wb.completed(), wb.ioErrors(), wb.allocFailures()));
        }
    }
}
