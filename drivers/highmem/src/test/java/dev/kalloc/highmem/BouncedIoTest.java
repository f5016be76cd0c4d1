// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Data integrity through bounced I/O, on every guarantee and both kinds of limit: two submitter
 * threads write seeded random multi-segment bios whose pages are drawn at random from highmem,
 * Normal and DMA, each to its half of the disk, reading ranges back now and then; finally the
 * whole disk is read back through bounced reads into highmem pages. A shadow copy says what each
 * sector must hold. Afterwards: the device never saw a page above its limit, nothing failed,
 * every bounce page came back.
 */
class BouncedIoTest {
    enum Limit {
        HIGH, ISA
    }

    private static final int OPS = 120;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void highLimitKeepsDataIntact(GuaranteeKind g) throws Exception {
        run(g, Limit.HIGH);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void isaLimitKeepsDataIntact(GuaranteeKind g) throws Exception {
        run(g, Limit.ISA);
    }

    private static void run(GuaranteeKind g, Limit limit) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            long dmaAddr = limit == Limit.HIGH ? rig.bounce.bounceHigh() : rig.bounce.bounceIsa();
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), dmaAddr);
            long limitPfn = dmaAddr >>> PhysicalMemory.PAGE_SHIFT;
            byte[] shadow = new byte[BounceRig.SECTORS * Bio.SECTOR_SIZE];
            Throwable[] failure = new Throwable[2];
            Thread[] threads = new Thread[2];
            for (int t = 0; t < threads.length; t++) {
                int half = t;
                threads[t] = new Thread(() -> {
                    try {
                        new Submitter(rig, shadow, half, 777 + half + 10 * limit.ordinal()).run();
                    } catch (Throwable e) {
                        failure[half] = e;
                    }
                }, "submitter-" + t);
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failure).containsOnlyNulls();
            verifyWholeDisk(rig, shadow);

            assertThat(rig.disk.unreachableSegments()).as("segments the device could not reach").isZero();
            assertThat(rig.disk.queue().completionErrors()).isZero();
            assertThat(rig.bounce.failures()).isZero();
            assertThat(rig.bounce.pagesBounced()).isPositive();
            assertThat(rig.bounce.pagesCopiedBack()).isPositive();
            assertThat(rig.bounce.pagesInUse()).isZero();
            assertThat(rig.highmem.atomicSlotsMapped()).isZero();
            assertThat(rig.highmem.busySlots()).isZero();
            rig.highmem.checkInvariants();
            assertThat(limitPfn).isLessThan(rig.machine.nrPages());
            rig.checkConservation();
        }
    }

    /** One submitter: its own pages (a random mix of zones), its own half of the disk. */
    private static final class Submitter {
        private final BounceRig rig;
        private final byte[] shadow;
        private final int base;
        private final SplittableRandom rnd;
        private final List<Page> pages = new ArrayList<>();

        Submitter(BounceRig rig, byte[] shadow, int half, long seed) {
            this.rig = rig;
            this.shadow = shadow;
            this.base = half * BounceRig.SECTORS / 2;
            this.rnd = new SplittableRandom(seed);
        }

        void run() throws Exception {
            int[] gfps = {Gfp.GFP_HIGHUSER, Gfp.GFP_HIGHUSER, Gfp.GFP_KERNEL, Gfp.GFP_KERNEL | Gfp.GFP_DMA};
            for (int i = 0; i < 24; i++) {
                Page p = rig.machine.pageAlloc().allocPage(gfps[rnd.nextInt(gfps.length)]);
                assertThat(p).isNotNull();
                pages.add(p);
            }
            try {
                for (int op = 0; op < OPS; op++) {
                    int[] range = write();
                    if (rnd.nextInt(3) == 0) {
                        readAndCompare(range[0], range[1]);
                    }
                }
            } finally {
                for (Page p : pages) {
                    rig.machine.pageAlloc().freePage(p);
                }
            }
        }

        private List<Page> pickDistinct(int n) {
            List<Page> copy = new ArrayList<>(pages);
            Collections.shuffle(copy, new Random(rnd.nextLong()));
            return copy.subList(0, n);
        }

        /** Writes one random bio; returns {first sector, sectors}. */
        private int[] write() throws Exception {
            int nseg = 1 + rnd.nextInt(16);
            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, nseg);
            assertThat(bio).isNotNull();
            byte[] data = new byte[nseg * PhysicalMemory.PAGE_SIZE];
            int pos = 0;
            for (Page p : pickDistinct(nseg)) {
                int lenSectors = 1 + rnd.nextInt(8);
                int off = rnd.nextInt(9 - lenSectors) * Bio.SECTOR_SIZE;
                int len = lenSectors * Bio.SECTOR_SIZE;
                byte[] seg = new byte[len];
                rnd.nextBytes(seg);
                rig.machine.memory().write(p.physAddr() + off, seg, 0, len);
                System.arraycopy(seg, 0, data, pos, len);
                pos += len;
                bio.addPage(p, len, off);
            }
            int sectors = pos / Bio.SECTOR_SIZE;
            long sector = base + rnd.nextInt(BounceRig.SECTORS / 2 - sectors + 1);
            bio.setSector(sector).setDev(rig.disk);
            boolean ok = BounceRig.submitAndWait(Bio.WRITE, bio);
            bio.put();
            assertThat(ok).isTrue();
            System.arraycopy(data, 0, shadow, (int) sector * Bio.SECTOR_SIZE, pos);
            return new int[] {(int) sector, sectors};
        }

        /** Reads {@code sectors} from {@code first} into random pages, one sector-run per page. */
        private void readAndCompare(int first, int sectors) throws Exception {
            int perPage = PhysicalMemory.PAGE_SIZE / Bio.SECTOR_SIZE;
            int nseg = (sectors + perPage - 1) / perPage;
            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, nseg);
            List<Page> chosen = pickDistinct(nseg);
            int[] offs = new int[nseg];
            int left = sectors;
            for (int i = 0; i < nseg; i++) {
                int len = Math.min(left, perPage);
                offs[i] = rnd.nextInt(perPage - len + 1) * Bio.SECTOR_SIZE;
                rig.machine.memory().fill(chosen.get(i).physAddr(), PhysicalMemory.PAGE_SIZE, (byte) 0x5A);
                bio.addPage(chosen.get(i), len * Bio.SECTOR_SIZE, offs[i]);
                left -= len;
            }
            bio.setSector(first).setDev(rig.disk);
            boolean ok = BounceRig.submitAndWait(Bio.READ, bio);
            bio.put();
            assertThat(ok).isTrue();
            left = sectors;
            int at = first * Bio.SECTOR_SIZE;
            for (int i = 0; i < nseg; i++) {
                int len = Math.min(left, perPage) * Bio.SECTOR_SIZE;
                byte[] got = new byte[len];
                rig.machine.memory().read(chosen.get(i).physAddr() + offs[i], got, 0, len);
                assertThat(got).as("sectors at %d read into %s", at / Bio.SECTOR_SIZE, chosen.get(i))
                        .isEqualTo(Arrays.copyOfRange(shadow, at, at + len));
                at += len;
                left -= len / Bio.SECTOR_SIZE;
            }
        }
    }

    /** Reads the whole disk back, 4 pages per bio, into highmem pages, and compares. */
    private static void verifyWholeDisk(BounceRig rig, byte[] shadow) throws Exception {
        Page[] pages = new Page[4];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            assertThat(pages[i].isHighMem()).isTrue();
        }
        int perPage = PhysicalMemory.PAGE_SIZE / Bio.SECTOR_SIZE;
        for (int sector = 0; sector < BounceRig.SECTORS; sector += perPage * pages.length) {
            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, pages.length);
            for (Page p : pages) {
                bio.addPage(p, PhysicalMemory.PAGE_SIZE, 0);
            }
            bio.setSector(sector).setDev(rig.disk);
            assertThat(BounceRig.submitAndWait(Bio.READ, bio)).isTrue();
            bio.put();
            for (int i = 0; i < pages.length; i++) {
                int at = (sector + i * perPage) * Bio.SECTOR_SIZE;
                byte[] got = new byte[PhysicalMemory.PAGE_SIZE];
                rig.machine.memory().read(pages[i].physAddr(), got, 0, got.length);
                assertThat(got).as("page at sector %d", sector + i * perPage)
                        .isEqualTo(Arrays.copyOfRange(shadow, at, at + got.length));
            }
        }
        for (Page p : pages) {
            rig.machine.pageAlloc().freePage(p);
        }
    }
}
