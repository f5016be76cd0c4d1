// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
    @EnumSource(GuaranteeKind.class)
    void writesGoThroughWithNoFreeMemoryOnlyOnAGuarantee(GuaranteeKind kind) throws Exception {
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
            if (kind == GuaranteeKind.NONE) {
                assertThat(ok).isLessThan(n);
                assertThat(rig.array.allocFailures()).isPositive();
            } else {
                assertThat(ok).isEqualTo(n);
                assertThat(rig.array.allocFailures()).isZero();
                byte[] raw = new byte[Raid1Rig.PAGE];
                for (int i = 0; i < n; i++) {
                    rig.disks().get(1).readRaw(8L * i, raw, 0, raw.length);
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

    /**
     * Review finding: the resync buffers keep 32 r1bios of {@code r1bio_pool} for the whole
     * resync. With {@code nrR1Bios(1)} and the r1bio cache failing every allocation (so every
     * r1bio comes from the mempool's reserve), a pool of 1 would be emptied by the resync
     * buffers' prefill and the resync and requests would deadlock; the pool's extra 32 leave
     * the request its one. raid1syncd is held before its first chunk, its buffers built, while
     * the test writes through the array.
     */
    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "MEMPOOL_MODERN"})
    void aTinyR1bioPoolLeavesRequestsTheirShareWhileTheResyncBuffersHoldTheirs(GuaranteeKind kind)
            throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, 4096 + 256, b -> b.nrR1Bios(1))) {
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(51), 10);
            assertThat(rig.array.setFaulty(rig.disks().get(1))).isTrue();
            rig.array.r1bioPoolCacheForTests().setFailslab(true);
            rig.slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            Raid1Syncd syncd = rig.array.syncdForTests();
            CountDownLatch paused = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            syncd.beforeChunkHook = sector -> {
                if (sector == 0) {
                    paused.countDown();
                    ResyncTest.awaitUninterruptibly(resume);
                }
            };
            RamDisk spare = rig.newDisk("rd2", 4096 + 256);
            try {
                rig.array.hotAdd(spare);
                // A guard against a hang, not a timing assumption: the prefill needs no I/O.
                assertThat(paused.await(30, TimeUnit.SECONDS)).as("the resync buffers were built").isTrue();
                MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(52), 10);
            } finally {
                resume.countDown();
            }
            assertThat(rig.array.waitResync()).isTrue();
            syncd.beforeChunkHook = null;
            rig.array.r1bioPoolCacheForTests().setFailslab(false);
            assertThat(rig.array.allocFailures()).isZero();
            assertThat(rig.array.status()).isEqualTo(" [2/2] [UU]");
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            MirroredWritesTest.assertReadsBack(rig, shadow);
            rig.assertQuiescent();
        }
    }
}
