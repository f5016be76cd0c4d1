package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the guarantees are for: with every free page taken (by atomic allocations nobody can
 * reclaim) and the array's caches cold, mirrored writes still go through on a mempool (the
 * r1bio pool's prefilled elements carry their bios) and on a reservation (the pools' slabs grow
 * from reserved pages), while on no guarantee the first r1bio cannot be had and the write fails.
 */
class MemoryPressureTest {
    @ParameterizedTest
    @EnumSource(Raid1Rig.Kind.class)
    void writesGoThroughWithNoFreeMemoryOnlyOnAGuarantee(Raid1Rig.Kind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, 1024)) {
            int n = 8;
            Page[] pages = rig.pages(n);
            List<Bio> masters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] data = new byte[Raid1Rig.PAGE];
                java.util.Arrays.fill(data, (byte) (i + 1));
                rig.machine.memory().write(pages[i].physAddr(), data, 0, data.length);
                Bio b = rig.bios.bioAlloc(Gfp.GFP_NOIO, 1);
                b.addPage(pages[i], Raid1Rig.PAGE, 0);
                masters.add(b.setSector(8L * i).setDev(rig.array.device()));
            }
            List<Page> hog = new ArrayList<>();
            for (Page p = rig.machine.pageAlloc().allocPage(Gfp.GFP_ATOMIC); p != null;
                    p = rig.machine.pageAlloc().allocPage(Gfp.GFP_ATOMIC)) {
                hog.add(p);
            }
            int ok = 0;
            try {
                for (Bio b : masters) {
                    CountDownLatch done = new CountDownLatch(1);
                    b.setEndIo((x, s) -> {
                        done.countDown();
                        return 0;
                    });
                    BlockLayer.submitBio(Bio.WRITE, b);
                    done.await();
                    ok += b.testFlag(Bio.BIO_UPTODATE) ? 1 : 0;
                }
                rig.array.waitIdle();
            } finally {
                for (Page p : hog) {
                    rig.machine.pageAlloc().freePage(p);
                }
            }
            if (kind == Raid1Rig.Kind.NONE) {
                assertThat(ok).isLessThan(n);
                assertThat(rig.array.allocFailures()).isPositive();
            } else {
                assertThat(ok).isEqualTo(n);
                assertThat(rig.array.allocFailures()).isZero();
                byte[] raw = new byte[Raid1Rig.PAGE];
                for (int i = 0; i < n; i++) {
                    rig.disks.get(1).readRaw(8L * i, raw, 0, raw.length);
                    assertThat(raw[0]).isEqualTo((byte) (i + 1));
                }
                assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            }
            for (Bio b : masters) {
                b.put();
            }
            rig.free(pages);
            rig.assertQuiescent();
        }
    }
}
