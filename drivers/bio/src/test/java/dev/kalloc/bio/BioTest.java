// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class BioTest {
    private BioRig rig;
    private BioSet set;

    @BeforeEach
    void boot() {
        rig = new BioRig(TinyMachines.normalOnly(1024), GuaranteeKind.MEMPOOL_2_5_1, b -> b, 64, Duration.ZERO);
        set = rig.set;
    }

    @AfterEach
    void close() {
        rig.close();
    }

    @ParameterizedTest
    @CsvSource({"1,0", "2,1", "4,1", "5,2", "16,2", "17,3", "64,3", "65,4", "128,4", "129,5", "256,5", "0,-1",
        "257,-1", "-1,-1"})
    void bvecIndexPicksTheSmallestSufficientClass(int nr, int idx) {
        assertThat(BioSet.bvecIndex(nr)).isEqualTo(idx);
    }

    @Test
    void bioAllocTakesTheClassAndZeroesTheVector() {
        for (int nr : new int[] {1, 3, 16, 60, 100, 256}) {
            Bio b = set.bioAlloc(Gfp.GFP_NOIO, nr);
            assertThat(b).isNotNull();
            assertThat(b.maxIdx()).isEqualTo(BioSet.bvecIndex(nr));
            assertThat(b.capacity()).isEqualTo(BioSet.bvecPoolSize(b.maxIdx()));
            assertThat(b.refCount()).isEqualTo(1);
            assertThat(b.vcnt()).isZero();
            assertThat(b.idx()).isZero();
            assertThat(b.bytes()).isZero();
            assertThat(b.flags()).isZero();
            for (int i = 0; i < b.capacity(); i++) {
                assertThat(b.ioVec().page(i)).isNull();
                assertThat(b.ioVec().len(i)).isZero();
            }
            b.put();
        }
        assertThat(set.inUse()).isZero();
        assertThat(set.vecAllocs(5)).isEqualTo(1);
    }

    @Test
    void bioAllocWithoutVectorsAndOutOfRange() {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 0);
        assertThat(b.ioVec()).isNull();
        assertThat(b.maxIdx()).isEqualTo(-1);
        assertThat(b.capacity()).isZero();
        b.put();
        assertThat(set.bioAlloc(Gfp.GFP_NOIO, 257)).isNull();
        assertThat(set.bioAlloc(Gfp.GFP_NOIO, -3)).isNull();
        assertThat(set.allocFailures()).isEqualTo(2);
        assertThat(set.inUse()).isZero();
    }

    @Test
    void maxVecsLimitsTheClasses() {
        BioSet small = BioSet.builder(rig.slab, Guarantees.none()).name("small").maxVecs(4).create();
        assertThat(small.nrVecClasses()).isEqualTo(2);
        assertThat(small.bioAlloc(Gfp.GFP_NOIO, 5)).isNull();
        Bio b = small.bioAlloc(Gfp.GFP_NOIO, 4);
        assertThat(b.capacity()).isEqualTo(4);
        b.put();
        small.destroy();
    }

    @Test
    void putFreesAtTheLastReference() {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 4);
        b.get();
        assertThat(b.refCount()).isEqualTo(2);
        b.put();
        assertThat(set.inUse()).isEqualTo(1);
        assertThat(set.vecSource(1).outstanding()).isEqualTo(1);
        b.put();
        assertThat(set.inUse()).isZero();
        assertThat(set.vecSource(1).outstanding()).isZero();
        assertThat(set.bioSource().outstanding()).isZero();
    }

    @Test
    void putAtZeroIsABugAndChangesNothing() {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1);
        b.put();
        long frees = set.frees();
        assertThatThrownBy(b::put).isInstanceOf(KernelBug.class).hasMessageContaining("zero references");
        assertThatThrownBy(b::get).isInstanceOf(KernelBug.class);
        assertThat(set.frees()).isEqualTo(frees);
        assertThat(set.bioSource().outstanding()).isZero();
        Bio again = set.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThat(again.refCount()).isEqualTo(1);
        again.put();
    }

    @Test
    void bioObjectsAreReused() {
        Bio a = set.bioAlloc(Gfp.GFP_NOIO, 1);
        BioVec v = a.ioVec();
        a.put();
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThat(b).isSameAs(a);
        assertThat(b.ioVec()).isSameAs(v);
        b.put();
    }

    @Test
    void addPageFillsTheVectorAndRefusesPastCapacity() {
        Page p = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 2); // class 4
        for (int i = 0; i < 4; i++) {
            assertThat(b.addPage(p, 1024, i * 1024)).isEqualTo(1024);
        }
        assertThat(b.vcnt()).isEqualTo(4);
        assertThat(b.bytes()).isEqualTo(4096);
        assertThatThrownBy(() -> b.addPage(p, 512, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds 4 segments");
        assertThat(b.vcnt()).isEqualTo(4);
        assertThat(b.bytes()).isEqualTo(4096);
        assertThat(b.checkInvariants()).isTrue();
        assertThatThrownBy(() -> set.bioAlloc(Gfp.GFP_NOIO, 0).addPage(p, 512, 0))
                .isInstanceOf(IllegalStateException.class);
        b.put();
        rig.machine.pageAlloc().freePage(p);
    }

    @Test
    void addPageRejectsSegmentsThatAreNotWholeSectorsInOnePage() {
        Page p = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThatThrownBy(() -> b.addPage(p, 100, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.addPage(p, 4096, 512)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.addPage(null, 512, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.vcnt()).isZero();
        b.put();
        rig.machine.pageAlloc().freePage(p);
    }

    @Test
    void cloneSharesTheVectorAndLeavesItOnFree() {
        Page p = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        Bio src = set.bioAlloc(Gfp.GFP_NOIO, 1);
        src.setSector(8).setRw(Bio.WRITE);
        src.addPage(p, 4096, 0);
        src.setFlag(Bio.BIO_SEG_VALID);
        Bio c = set.bioClone(src, Gfp.GFP_NOIO);
        assertThat(c.ioVec()).isSameAs(src.ioVec());
        assertThat(c.testFlag(Bio.BIO_CLONED)).isTrue();
        assertThat(c.testFlag(Bio.BIO_SEG_VALID)).isTrue();
        assertThat(c.sector()).isEqualTo(8);
        assertThat(c.dataDir()).isEqualTo(Bio.WRITE);
        assertThat(c.vcnt()).isEqualTo(1);
        assertThat(c.bytes()).isEqualTo(4096);
        assertThat(c.maxIdx()).isEqualTo(src.maxIdx());
        assertThatThrownBy(() -> c.addPage(p, 512, 0)).isInstanceOf(IllegalStateException.class);
        c.put();
        assertThat(set.vecSource(0).outstanding()).isEqualTo(1);
        assertThat(src.ioVec().page(0)).isSameAs(p);
        src.put();
        assertThat(set.vecSource(0).outstanding()).isZero();
        assertThat(set.clones()).isEqualTo(1);
        rig.machine.pageAlloc().freePage(p);
    }

    @Test
    void endioSetsUptodateAndReturnsTheCallbacksValue() {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1);
        int[] seen = new int[1];
        b.setEndIo((bio, n) -> {
            seen[0] = n;
            return 7;
        });
        assertThat(set.bioEndio(b, true, 8)).isEqualTo(7);
        assertThat(seen[0]).isEqualTo(8);
        assertThat(b.testFlag(Bio.BIO_UPTODATE)).isTrue();
        b.put();
        Bio e = set.bioAlloc(Gfp.GFP_NOIO, 1);
        e.setFlag(Bio.BIO_UPTODATE);
        assertThat(set.bioIoError(e)).isZero();
        assertThat(e.testFlag(Bio.BIO_UPTODATE)).isFalse();
        assertThat(set.errors()).isEqualTo(1);
        e.put();
    }

    @Test
    void endioTwiceIsABugAndChangesNothing() {
        Bio b = set.bioAlloc(Gfp.GFP_NOIO, 1);
        int[] calls = new int[1];
        b.setEndIo((bio, n) -> ++calls[0]);
        set.bioEndio(b, true, 1);
        assertThatThrownBy(() -> set.bioEndio(b, false, 1)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("already completed");
        assertThat(calls[0]).isEqualTo(1);
        assertThat(b.testFlag(Bio.BIO_UPTODATE)).isTrue();
        assertThat(set.endios()).isEqualTo(1);
        assertThat(b.refCount()).isEqualTo(1);
        b.put();
    }

    @Test
    void destroyIsRefusedWhileBiosAreOut() {
        BioSet s = BioSet.builder(rig.slab, Guarantees.none()).name("d").maxVecs(1).create();
        Bio b = s.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThatThrownBy(s::destroy).isInstanceOf(IllegalStateException.class).hasMessageContaining("1 bios");
        b.put();
        s.destroy();
        assertThatThrownBy(() -> s.bioAlloc(Gfp.GFP_NOIO, 1)).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_MODERN", "RESERVATION", "NONE"})
    void everyGuaranteeAllocatesAndFrees(GuaranteeKind kind) {
        BioSet s = BioSet.builder(rig.slab, rig.guarantee(kind)).name("g")
                .maxVecs(16).poolEntries(2).inFlight(8).create();
        assertThat(s.guarantee().kind()).isEqualTo(kind);
        Bio[] bios = new Bio[6];
        for (int i = 0; i < bios.length; i++) {
            bios[i] = s.bioAlloc(Gfp.GFP_NOIO, 1 + i * 3);
            assertThat(bios[i]).isNotNull();
        }
        for (Bio b : bios) {
            b.put();
        }
        assertThat(s.inUse()).isZero();
        s.destroy();
        rig.machine.checkInvariants();
    }

    @Test
    void reservationEnforcesItsInFlightLimit() throws Exception {
        BioSet s = BioSet.builder(rig.slab, rig.guarantee(GuaranteeKind.RESERVATION)).name("r").maxVecs(1)
                .inFlight(2).create();
        Bio a = s.bioAlloc(Gfp.GFP_NOIO, 1);
        Bio b = s.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThat(s.bioAlloc(Gfp.GFP_ATOMIC, 1)).isNull();
        Bio[] got = new Bio[1];
        Thread t = new Thread(() -> got[0] = s.bioAlloc(Gfp.GFP_NOIO, 1));
        t.start();
        while (t.getState() != Thread.State.WAITING && t.isAlive()) {
            Thread.onSpinWait();
        }
        assertThat(got[0]).isNull();
        a.put();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(got[0]).isNotNull();
        got[0].put();
        b.put();
        s.destroy();
    }

    @Test
    void sleepingAllocOnAnExhaustedPoolIsWokenByAPut() throws Exception {
        BioSet s = BioSet.builder(rig.slab, Guarantees.mempool(rig.machine,
                dev.kalloc.mempool.MempoolPolicy.LINUX_2_5_1)).name("w").maxVecs(1).poolEntries(4).create();
        assertThat(s.vecSource(0)).isNotNull(); // 4 bios, 2 vectors of class 0 (halved at scale 0)
        rig.slab.failslab().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1); // only the pool serves
        Bio a = s.bioAlloc(Gfp.GFP_NOIO, 1);
        Bio b = s.bioAlloc(Gfp.GFP_NOIO, 1);
        assertThat(s.bioAlloc(Gfp.GFP_ATOMIC, 1)).isNull();
        Bio[] got = new Bio[1];
        Thread t = new Thread(() -> got[0] = s.bioAlloc(Gfp.GFP_NOIO, 1));
        t.start();
        while (t.getState() != Thread.State.WAITING && t.isAlive()) {
            Thread.onSpinWait();
        }
        a.put();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(got[0]).isNotNull();
        rig.slab.failslab().attr().disable();
        got[0].put();
        b.put();
        s.destroy();
    }
}
