// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.bio.RequestQueue;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.tests.TinyMachines;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bounce buffers: errors, refused memory, pool set-up, the limit rules, teardown. */
class BounceTest {
    private static final int PAGE = PhysicalMemory.PAGE_SIZE;
    private static final int ROUNDS = 400;

    private static Bio oneSegment(BounceRig rig, Page page, int len, int off, long sector) {
        Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);
        bio.addPage(page, len, off);
        return bio.setSector(sector).setDev(rig.disk);
    }

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void failedReadCompletesTheOriginalWithErrorLeavesItsPageAndFreesTheBouncePages(GuaranteeKind g)
            throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            rig.disk.writeRaw(0, pattern(PAGE, 1), 0, PAGE);
            rig.disk.addBadRange(0, 8);
            Page page = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            rig.machine.memory().fill(page.physAddr(), PAGE, (byte) 0x77);
            Bio bio = oneSegment(rig, page, PAGE, 0, 0);
            assertThat(BounceRig.submitAndWait(Bio.READ, bio)).isFalse();
            bio.put();
            byte[] after = new byte[PAGE];
            rig.machine.memory().read(page.physAddr(), after, 0, PAGE);
            byte[] untouched = new byte[PAGE];
            Arrays.fill(untouched, (byte) 0x77);
            assertThat(after).isEqualTo(untouched);
            assertThat(rig.bounce.biosBounced()).isEqualTo(1);
            assertThat(rig.bounce.pagesCopiedBack()).isZero();
            assertThat(rig.bounce.pagesInUse()).as("freed on error too (2.5.1 leaked them)").isZero();
            rig.machine.pageAlloc().freePage(page);
            rig.checkConservation();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void failedWriteCompletesTheOriginalWithError(GuaranteeKind g) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            rig.disk.addBadRange(8, 8);
            Page page = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bio bio = oneSegment(rig, page, PAGE, 0, 8);
            assertThat(BounceRig.submitAndWait(Bio.WRITE, bio)).isFalse();
            assertThat(bio.isEnded()).isTrue();
            bio.put();
            assertThat(rig.bounce.pagesInUse()).isZero();
            assertThat(rig.disk.ioErrors()).isEqualTo(1);
            rig.machine.pageAlloc().freePage(page);
            rig.checkConservation();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void mixedBioBouncesOnlyTheHighSegmentsAndKeepsEveryOffset(GuaranteeKind g) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page low = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            rig.machine.memory().write(low.physAddr() + 1024, pattern(1024, 2), 0, 1024);
            rig.machine.memory().write(high.physAddr() + 2048, pattern(1536, 3), 0, 1536);
            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, 2);
            bio.addPage(low, 1024, 1024);
            bio.addPage(high, 1536, 2048);
            bio.setSector(16).setDev(rig.disk);
            assertThat(BounceRig.submitAndWait(Bio.WRITE, bio)).isTrue();
            bio.put();
            assertThat(rig.bounce.pagesBounced()).isEqualTo(1);
            byte[] disk = new byte[2560];
            rig.disk.readRaw(16, disk, 0, disk.length);
            assertThat(Arrays.copyOfRange(disk, 0, 1024)).as("the unbounced segment's own offset (2.5.1's typo"
                    + " would have used 0)").isEqualTo(pattern(1024, 2));
            assertThat(Arrays.copyOfRange(disk, 1024, 2560)).isEqualTo(pattern(1536, 3));
            assertThat(rig.disk.unreachableSegments()).isZero();
            rig.machine.pageAlloc().freePage(low);
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GuaranteeKind.class, names = {"NONE", "MEMPOOL_2_5_1", "MEMPOOL_MODERN"})
    void whenThePageAllocatorFailsOnlyThePoolStillBounces(GuaranteeKind g) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            rig.machine.memory().write(high.physAddr(), pattern(PAGE, 4), 0, PAGE);
            Bio warm = rig.set.bioAlloc(Gfp.GFP_NOIO, 1); // the bounce bio's slab is then populated
            warm.put();
            Bio bio = oneSegment(rig, high, PAGE, 0, 0);
            rig.machine.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            boolean ok = BounceRig.submitAndWait(Bio.WRITE, bio);
            rig.machine.pageAlloc().failPageAlloc().attr().disable();
            bio.put();
            byte[] disk = new byte[PAGE];
            rig.disk.readRaw(0, disk, 0, PAGE);
            if (g == GuaranteeKind.NONE) {
                assertThat(ok).as("none: the bounce page was refused, the bio failed").isFalse();
                assertThat(rig.bounce.failures()).isEqualTo(1);
                assertThat(rig.disk.writes()).as("nothing reached the device").isZero();
                assertThat(disk).isEqualTo(new byte[PAGE]);
            } else {
                assertThat(ok).as("mempool: served from the pool").isTrue();
                assertThat(rig.bounce.failures()).isZero();
                assertThat(disk).isEqualTo(pattern(PAGE, 4));
            }
            assertThat(rig.bounce.pagesInUse()).isZero();
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }

    @Test
    void withoutTheBounceDriverTheDeviceIsHandedPagesItCannotReach() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.NONE)) {
            rig.disk.queue().setBounceLimit(rig.bounce.bounceHigh());
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bio bio = oneSegment(rig, high, PAGE, 0, 0);
            assertThat(BounceRig.submitAndWait(Bio.WRITE, bio)).isTrue();
            bio.put();
            assertThat(rig.disk.unreachableSegments()).isEqualTo(1);
            assertThat(rig.bounce.biosBounced()).isZero();
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }

    @Test
    void bioBelowTheLimitIsQueuedUnchanged() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page low = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            Bio bio = oneSegment(rig, low, PAGE, 0, 0);
            assertThat(rig.bounce.createBounce(rig.disk.queue().bouncePfn(), rig.disk.queue().bounceGfp(), bio))
                    .isSameAs(bio);
            assertThat(BounceRig.submitAndWait(Bio.WRITE, bio)).isTrue();
            bio.put();
            assertThat(rig.bounce.biosBounced()).isZero();
            rig.machine.pageAlloc().freePage(low);
            rig.checkConservation();
        }
    }

    @Test
    void limitRulesAndPoolSetUp() {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1)) {
            RequestQueue q = rig.disk.queue();
            assertThat(rig.bounce.pagePool()).isNotNull();
            assertThat(rig.bounce.pagePool().outstanding()).isZero();
            assertThat(rig.bounce.isaPagePool()).as("created on the first ISA limit").isNull();

            assertThatThrownBy(() -> rig.bounce.blkQueueBounceLimit(q, 512 * MachineConfig.KiB))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ZONE_DMA");
            assertThatThrownBy(() -> rig.bounce.blkQueueBounceLimit(q, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThat(q.bouncePfn()).as("unchanged").isEqualTo(RequestQueue.BOUNCE_ANY);
            assertThat(q.bounceFn()).isNull();

            rig.bounce.blkQueueBounceLimit(q, rig.bounce.bounceIsa());
            var isa = rig.bounce.isaPagePool();
            assertThat(isa).isNotNull();
            assertThat(q.bounceGfp()).isEqualTo(Gfp.GFP_NOIO | Gfp.GFP_DMA);
            rig.bounce.blkQueueBounceLimit(q, 4 * MachineConfig.MiB);
            assertThat(rig.bounce.isaPagePool()).as("idempotent").isSameAs(isa);
            assertThat(q.bounceGfp()).as("below the end of low memory: ISA, as 2.5.3")
                    .isEqualTo(Gfp.GFP_NOIO | Gfp.GFP_DMA);

            rig.bounce.blkQueueBounceLimit(q, rig.bounce.bounceHigh());
            assertThat(q.bounceGfp()).isEqualTo(Gfp.GFP_NOHIGHIO);
            assertThat(q.bouncePfn()).isEqualTo(rig.highmem.highStartPfn());
            rig.bounce.blkQueueBounceLimit(q, RequestQueue.BOUNCE_ANY);
            assertThat(q.bouncePfn()).isEqualTo(RequestQueue.BOUNCE_ANY);
            rig.checkConservation();
        }
    }

    @Test
    void machineWithoutHighmemHasNoHighmemPoolAndBouncesNothingAtTheHighLimit() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1,
                TinyMachines.threeZones().memory(8 * MachineConfig.MiB)
                        .zoneLimits(2 * MachineConfig.MiB, 8 * MachineConfig.MiB))) {
            assertThat(rig.highmem.hasHighmem()).isFalse();
            assertThat(rig.bounce.pagePool()).isNull();
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page p = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bio bio = oneSegment(rig, p, PAGE, 0, 0);
            assertThat(BounceRig.submitAndWait(Bio.WRITE, bio)).isTrue();
            bio.put();
            assertThat(rig.bounce.biosBounced()).isZero();
            rig.machine.pageAlloc().freePage(p);
            rig.checkConservation();
        }
    }

    @Test
    void noIsaLimitOnAMachineWithoutZoneDma() {
        try (BounceRig rig = new BounceRig(GuaranteeKind.NONE, TinyMachines.threeZones().memory(16 * MachineConfig.MiB)
                .zoneLimits(0, 8 * MachineConfig.MiB))) {
            assertThatThrownBy(rig.bounce::bounceIsa).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> rig.bounce.blkQueueBounceLimit(rig.disk.queue(), 4 * MachineConfig.MiB))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ZONE_DMA is empty");
            rig.checkConservation();
        }
    }

    @Test
    void destroyWithBouncePagesOutIsRefusedAndChangesNothing() {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1)) {
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bio orig = oneSegment(rig, high, PAGE, 0, 0).setRw(Bio.WRITE);
            Bio bounced = rig.bounce.createBounce(rig.highmem.highStartPfn(), Gfp.GFP_NOHIGHIO, orig);
            assertThat(bounced).isNotSameAs(orig);
            assertThat(bounced.ioVec().page(0).isHighMem()).isFalse();
            assertThat(bounced.privateData()).isSameAs(orig);
            assertThatThrownBy(rig.bounce::destroy).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("still out");
            assertThat(rig.bounce.pagesInUse()).isEqualTo(1);
            bounced.set().bioEndio(bounced, true, bounced.sectors()); // what the completion would do
            assertThat(orig.isEnded()).isTrue();
            assertThat(orig.testFlag(Bio.BIO_UPTODATE)).isTrue();
            orig.put();
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
            assertThatThrownBy(() -> rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("destroyed");
        }
    }

    @Test
    void bioNeedingMoreBouncePagesThanThePoolHoldsIsRefusedUnchanged() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.RESERVATION)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceIsa());
            Page[] pages = new Page[Bounce.ISA_POOL_SIZE + 1];
            BioSet big = BioSet.builder(rig.slab, Guarantees.none()).name("big").maxVecs(64).create();
            Bio bio = big.bioAlloc(Gfp.GFP_NOIO, pages.length);
            for (int i = 0; i < pages.length; i++) {
                pages[i] = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
                bio.addPage(pages[i], Bio.SECTOR_SIZE, 0);
            }
            bio.setSector(0).setDev(rig.disk);
            assertThatThrownBy(() -> dev.kalloc.bio.BlockLayer.submitBio(Bio.WRITE, bio))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("split the bio");
            assertThat(bio.isEnded()).isFalse();
            assertThat(rig.bounce.pagesInUse()).isZero();
            assertThat(rig.disk.queue().pending()).isZero();
            bio.put();
            big.destroy();
            for (Page p : pages) {
                rig.machine.pageAlloc().freePage(p);
            }
            rig.checkConservation();
        }
    }

    /**
     * Two submitters whose bios each need the whole ISA pool (16 pages) on a reservation, whose
     * in-flight limit is hard: taken page by page without the per-pool lock, each would soon hold
     * part of the pool and wait for the rest forever. The join's bound only turns such a hang into
     * a failure.
     */
    @Test
    void twoBiosThatEachNeedTheWholePoolNeverDeadlock() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.RESERVATION)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceIsa());
            Throwable[] failure = new Throwable[2];
            Thread[] t = new Thread[2];
            for (int k = 0; k < 2; k++) {
                int me = k;
                t[k] = new Thread(() -> {
                    Page[] pages = new Page[Bounce.ISA_POOL_SIZE];
                    try {
                        for (int i = 0; i < pages.length; i++) {
                            pages[i] = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
                        }
                        for (int round = 0; round < ROUNDS; round++) {
                            Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, pages.length);
                            for (Page p : pages) {
                                bio.addPage(p, Bio.SECTOR_SIZE, 0);
                            }
                            bio.setSector(me * 1024L).setDev(rig.disk);
                            boolean ok = BounceRig.submitAndWait(Bio.WRITE, bio);
                            bio.put();
                            assertThat(ok).isTrue();
                        }
                    } catch (Throwable e) {
                        failure[me] = e;
                    } finally {
                        for (Page p : pages) {
                            if (p != null) {
                                rig.machine.pageAlloc().freePage(p);
                            }
                        }
                    }
                }, "whole-pool-" + k);
                t[k].start();
            }
            for (Thread th : t) {
                th.join(60_000);
                assertThat(th.isAlive()).as("deadlocked on the bounce pool").isFalse();
            }
            assertThat(failure).containsOnlyNulls();
            assertThat(rig.bounce.pagesBounced()).isEqualTo(2L * ROUNDS * Bounce.ISA_POOL_SIZE);
            rig.checkConservation();
        }
    }

    /**
     * The original's end-io handler is the submitter's code and may throw; the queue catches and
     * counts it. The bounce bio and its pages are the bounce driver's and must come back anyway.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void anOriginalWhoseEndIoThrowsStillHasItsBounceBioPutAndPagesFreed(GuaranteeKind g) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            RequestQueue q = rig.disk.queue();
            rig.bounce.blkQueueBounceLimit(q, rig.bounce.bounceHigh());
            rig.disk.writeRaw(0, pattern(PAGE, 9), 0, PAGE);
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bio bio = oneSegment(rig, high, PAGE, 0, 0);
            bio.setEndIo((b, n) -> {
                throw new IllegalStateException("end-io handler bug");
            });
            BlockLayer.submitBio(Bio.READ, bio);
            rig.disk.close(); // services and completes the pending bio, then joins the completion thread
            assertThat(q.completionErrors()).isEqualTo(1);
            assertThat(q.firstCompletionError()).hasMessage("end-io handler bug");
            assertThat(bio.isEnded()).isTrue();
            byte[] data = new byte[PAGE];
            rig.machine.memory().read(high.physAddr(), data, 0, PAGE);
            assertThat(data).as("copied back before the handler ran").isEqualTo(pattern(PAGE, 9));
            assertThat(rig.bounce.pagesInUse()).isZero();
            assertThat(rig.set.inUse()).as("only the original, still ours: the bounce bio was put").isEqualTo(1);
            bio.put();
            assertThat(rig.set.inUse()).isZero();
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }

    /**
     * An ISA-limited queue (limit = the end of ZONE_DMA) with ZONE_DMA exhausted: every bounce
     * page must come from the ISA pool's reserve, which must therefore lie in ZONE_DMA (the
     * mempool's prefill ORs {@code __GFP_DMA}, the reservation is taken against ZONE_DMA). With
     * the reserve in ZONE_NORMAL, a mempool handed the device pages above its limit, and a
     * reservation's quota was not where the allocations fell, so the bios failed. On none the
     * bios may fail, but none may reach the device above its limit.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(GuaranteeKind.class)
    void underZoneDmaPressureAnIsaQueueIsServedFromZoneDmaOnly(GuaranteeKind g) throws Exception {
        try (BounceRig rig = new BounceRig(g)) {
            RequestQueue q = rig.disk.queue();
            rig.bounce.blkQueueBounceLimit(q, rig.bounce.bounceIsa());
            int segs = 4;
            Page[] pages = new Page[segs];
            for (int i = 0; i < segs; i++) {
                pages[i] = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL); // ZONE_NORMAL: above the ISA limit
                assertThat((long) pages[i].pfn()).isGreaterThanOrEqualTo(q.bouncePfn());
                rig.machine.memory().write(pages[i].physAddr(), pattern(PAGE, 20 + i), 0, PAGE);
            }
            java.util.List<Page> hog = new java.util.ArrayList<>();
            rig.machine.pageAlloc().drainAllPages();
            for (Page p; (p = rig.machine.pageAlloc().allocPage(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA)) != null; ) {
                hog.add(p);
            }
            assertThat(rig.machine.pageAlloc().allocPage(Gfp.GFP_NOIO | Gfp.GFP_DMA)).as("ZONE_DMA is exhausted")
                    .isNull();
            int failed = 0;
            for (int round = 0; round < 8; round++) {
                Bio bio = rig.set.bioAlloc(Gfp.GFP_NOIO, segs);
                for (Page p : pages) {
                    bio.addPage(p, PAGE, 0);
                }
                bio.setSector(round * 8L * segs).setDev(rig.disk);
                if (!BounceRig.submitAndWait(Bio.WRITE, bio)) {
                    failed++;
                }
                bio.put();
            }
            assertThat(rig.disk.unreachableSegments()).as("no segment serviced above the ISA limit").isZero();
            if (g == GuaranteeKind.NONE) {
                assertThat(rig.bounce.failures()).isEqualTo(failed);
            } else {
                assertThat(failed).as(g + ": the ISA pool's reserve serves every bio").isZero();
                assertThat(rig.bounce.pagesBounced()).isEqualTo(8L * segs);
                for (int round = 0; round < 8; round++) {
                    byte[] disk = new byte[PAGE];
                    for (int i = 0; i < segs; i++) {
                        rig.disk.readRaw((round * segs + i) * 8L, disk, 0, PAGE);
                        assertThat(disk).isEqualTo(pattern(PAGE, 20 + i));
                    }
                }
            }
            assertThat(rig.bounce.pagesInUse()).isZero();
            for (Page p : hog) {
                rig.machine.pageAlloc().freePage(p);
            }
            for (Page p : pages) {
                rig.machine.pageAlloc().freePage(p);
            }
            rig.checkConservation();
        }
    }

    /**
     * Every in-flight slot of the originals' set (a reservation: a hard limit) is held by an
     * original; the bounce bio comes from the private set, so the bio is still bounced and
     * completes. From the originals' own set (2.5.1) the submit would wait for good.
     */
    @Test
    void originalsHoldingEverySlotOfTheirSetDoNotStarveTheBounceBio() throws Exception {
        try (BounceRig rig = new BounceRig(GuaranteeKind.RESERVATION)) {
            rig.bounce.blkQueueBounceLimit(rig.disk.queue(), rig.bounce.bounceHigh());
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            rig.machine.memory().write(high.physAddr(), pattern(PAGE, 30), 0, PAGE);
            Bio[] held = new Bio[16]; // the set's in-flight limit (BounceRig: inFlight(16))
            for (int i = 0; i < held.length; i++) {
                held[i] = oneSegment(rig, high, PAGE, 0, i * 8L);
            }
            assertThat(rig.set.bioAlloc(Gfp.GFP_ATOMIC, 1)).as("the originals' set is at its limit").isNull();
            assertThat(BounceRig.submitAndWait(Bio.WRITE, held[0])).isTrue();
            assertThat(rig.bounce.biosBounced()).isEqualTo(1);
            byte[] disk = new byte[PAGE];
            rig.disk.readRaw(0, disk, 0, PAGE);
            assertThat(disk).isEqualTo(pattern(PAGE, 30));
            // bounce_end_io puts the bounce bio after the original's end-io has woken us: wait
            // for that put (bounded) rather than race it.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (rig.bounce.bioSet().inUse() != 0 && System.nanoTime() < deadline) {
                Thread.yield();
            }
            assertThat(rig.bounce.bioSet().inUse()).isZero();
            for (Bio b : held) {
                b.put();
            }
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }

    @Test
    void bounceBioComesFromThePrivateSetOrWithoutOneFromTheOriginals() {
        try (BounceRig rig = new BounceRig(GuaranteeKind.MEMPOOL_2_5_1)) {
            assertThatThrownBy(() -> Bounce.init(rig.highmem, Guarantees.none(), null))
                    .isInstanceOf(IllegalArgumentException.class);
            Page high = rig.machine.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            Bounce shared = Bounce.init(rig.highmem, Guarantees.none());
            assertThat(shared.bioSet()).isNull();
            for (Bounce b : new Bounce[] {rig.bounce, shared}) {
                Bio orig = oneSegment(rig, high, PAGE, 0, 0).setRw(Bio.WRITE);
                Bio bounced = b.createBounce(rig.highmem.highStartPfn(), Gfp.GFP_NOHIGHIO, orig);
                assertThat(bounced.set()).isSameAs(b == shared ? rig.set : rig.bounce.bioSet());
                bounced.set().bioEndio(bounced, true, bounced.sectors()); // what the completion would do
                orig.put();
            }
            assertThat(rig.bounce.bioSet().inUse()).isZero();
            shared.destroy();
            rig.machine.pageAlloc().freePage(high);
            rig.checkConservation();
        }
    }
}
