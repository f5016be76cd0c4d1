// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded randomized I/O on each guarantee: two submitter threads write random multi-segment bios
 * to disjoint halves of a RAM disk, some of them cloned, with a shadow copy of what each sector
 * should hold; then everything is read back through bios and compared by CRC32 per page.
 */
class RandomizedIoTest {
    private static final int SECTORS = 2048; // 1 MiB

    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "RESERVATION", "NONE"})
    void randomWritesReadBackIdentical(GuaranteeKind kind) throws Exception {
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(2048), kind, b -> b.maxVecs(16).inFlight(16), SECTORS,
                Duration.ZERO)) {
            byte[] shadow = new byte[SECTORS * Bio.SECTOR_SIZE];
            Thread[] threads = new Thread[2];
            Throwable[] failure = new Throwable[1];
            for (int t = 0; t < threads.length; t++) {
                int half = t;
                threads[t] = new Thread(() -> {
                    try {
                        writer(rig, shadow, half, new SplittableRandom(1234 + half));
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(failure[0]).isNull();
            verify(rig, shadow);
            assertThat(rig.set.inUse()).isZero();
            assertThat(rig.disk.queue().completionErrors()).isZero();
            rig.machine.checkInvariants();
        }
    }

    private static void writer(BioRig rig, byte[] shadow, int half, SplittableRandom rnd) throws Exception {
        int base = half * SECTORS / 2;
        List<Page> pages = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            pages.add(rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL));
        }
        try {
            for (int op = 0; op < 150; op++) {
                int nseg = 1 + rnd.nextInt(16);
                Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, nseg);
                assertThat(bio).isNotNull();
                int sectors = 0;
                byte[] data = new byte[nseg * PhysicalMemory.PAGE_SIZE];
                int dpos = 0;
                for (int s = 0; s < nseg; s++) {
                    Page p = pages.get(s);
                    int lenSectors = 1 + rnd.nextInt(8);
                    int offSectors = rnd.nextInt(9 - lenSectors);
                    int len = lenSectors * Bio.SECTOR_SIZE;
                    int off = offSectors * Bio.SECTOR_SIZE;
                    byte[] seg = new byte[len];
                    rnd.nextBytes(seg);
                    rig.machine.memory().write(p.physAddr() + off, seg, 0, len);
                    System.arraycopy(seg, 0, data, dpos, len);
                    dpos += len;
                    bio.addPage(p, len, off);
                    sectors += lenSectors;
                }
                long sector = base + rnd.nextInt(SECTORS / 2 - sectors + 1);
                bio.setSector(sector).setDev(rig.disk);
                boolean ok;
                if (rnd.nextInt(4) == 0) {
                    Bio clone = rig.set.bioClone(bio, Gfp.GFP_NOIO);
                    ok = BioRig.submitAndWait(Bio.WRITE, clone);
                    clone.put();
                } else {
                    ok = BioRig.submitAndWait(Bio.WRITE, bio);
                }
                bio.put();
                assertThat(ok).isTrue();
                System.arraycopy(data, 0, shadow, (int) sector * Bio.SECTOR_SIZE, dpos);
            }
        } finally {
            for (Page p : pages) {
                rig.machine.pageAlloc().freePage(p);
            }
        }
    }

    private static void verify(BioRig rig, byte[] shadow) throws Exception {
        Page[] pages = new Page[4];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        }
        int perPage = PhysicalMemory.PAGE_SIZE / Bio.SECTOR_SIZE;
        CountDownLatch[] latch = new CountDownLatch[1];
        for (int sector = 0; sector < SECTORS; sector += perPage * pages.length) {
            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, pages.length);
            for (Page p : pages) {
                bio.addPage(p, PhysicalMemory.PAGE_SIZE, 0);
            }
            bio.setSector(sector).setDev(rig.disk);
            latch[0] = new CountDownLatch(1);
            bio.setEndIo((b, n) -> {
                latch[0].countDown();
                return 0;
            });
            BlockLayer.submitBio(Bio.READ, bio);
            assertThat(latch[0].await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(bio.testFlag(Bio.BIO_UPTODATE)).isTrue();
            bio.put();
            for (int i = 0; i < pages.length; i++) {
                int at = (sector + i * perPage) * Bio.SECTOR_SIZE;
                CRC32 want = new CRC32();
                want.update(shadow, at, PhysicalMemory.PAGE_SIZE);
                CRC32 got = new CRC32();
                got.update(rig.contents(pages[i]));
                assertThat(got.getValue()).as("page at sector %d", sector + i * perPage).isEqualTo(want.getValue());
            }
        }
        for (Page p : pages) {
            rig.machine.pageAlloc().freePage(p);
        }
    }
}
