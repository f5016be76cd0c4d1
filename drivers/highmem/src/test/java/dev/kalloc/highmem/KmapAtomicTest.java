// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** kmap_atomic: per-CPU fixed slots, any context, never sleeping, the HIGHMEM_DEBUG checks. */
class KmapAtomicTest {
    private final Machine m = TinyMachines.bootThreeZones();
    private final Highmem hm = Highmem.boot(m, 4);
    private final Page high = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
    private final Page high2 = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);

    @AfterEach
    void tearDown() {
        m.pageAlloc().freePage(high);
        m.pageAlloc().freePage(high2);
        assertThat(hm.atomicSlotsMapped()).isZero();
        m.checkInvariants();
        m.close();
    }

    @Test
    void mapsThroughThisCpusSlotAndFaultsAfterUnmap() {
        m.memory().putLong(high.physAddr() + 8, 1234L);
        long v = hm.kmapAtomic(high, KmType.KM_USER0);
        assertThat(hm.pkmapNr(v)).as("not a persistent slot").isEqualTo(-1);
        assertThat(hm.getLong(v + 8)).isEqualTo(1234L);
        hm.putLong(v + 16, 99L);
        assertThat(m.memory().getLong(high.physAddr() + 16)).isEqualTo(99L);
        assertThat(hm.newMappings()).as("the pkmap window is not used").isZero();
        hm.kunmapAtomic(v, KmType.KM_USER0);
        assertThatThrownBy(() -> hm.getLong(v + 8)).isInstanceOf(PageFault.class);
    }

    @Test
    void typesOfOneCpuAreDistinctSlots() {
        long a = hm.kmapAtomic(high, KmType.KM_USER0);
        long b = hm.kmapAtomic(high2, KmType.KM_USER1);
        assertThat(VirtualLayout.low(a)).isNotEqualTo(VirtualLayout.low(b));
        m.memory().putByte(high.physAddr(), (byte) 1);
        m.memory().putByte(high2.physAddr(), (byte) 2);
        hm.copy(a, b + 1, 1);
        assertThat(m.memory().getByte(high2.physAddr() + 1)).isEqualTo((byte) 1);
        hm.kunmapAtomic(b, KmType.KM_USER1);
        hm.kunmapAtomic(a, KmType.KM_USER0);
    }

    @Test
    void lowmemIsTheDirectAddressAndUnmapIsANoop() {
        Page low = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        long v = hm.kmapAtomic(low, KmType.KM_USER0);
        assertThat(v).isEqualTo(hm.pageAddress(low));
        hm.kunmapAtomic(v, KmType.KM_USER0);
        hm.putByte(v, (byte) 3);
        assertThat(m.memory().getByte(low.physAddr())).isEqualTo((byte) 3);
        m.pageAlloc().freePage(low);
    }

    @Test
    void worksInInterruptContext() {
        try (Task.IrqScope irq = m.current().irqEnter()) {
            long v = hm.kmapAtomic(high, KmType.KM_BOUNCE_READ);
            hm.putByte(v, (byte) 7);
            hm.kunmapAtomic(v, KmType.KM_BOUNCE_READ);
        }
        assertThat(m.memory().getByte(high.physAddr())).isEqualTo((byte) 7);
    }

    @Test
    void debugChecksRefuseMisuseAndChangeNothing() {
        long v = hm.kmapAtomic(high, KmType.KM_USER0);
        assertThatThrownBy(() -> hm.kmapAtomic(high2, KmType.KM_USER0)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("already in use");
        assertThatThrownBy(() -> hm.kunmapAtomic(v, KmType.KM_USER1)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("not a KM_USER1 one");
        assertThatThrownBy(() -> hm.kmapAtomic(high, null)).isInstanceOf(IllegalArgumentException.class);
        m.memory().putByte(high.physAddr(), (byte) 5);
        assertThat(hm.getByte(v)).as("the first mapping is intact").isEqualTo((byte) 5);
        assertThat(hm.atomicSlotsMapped()).isEqualTo(1);
        hm.kunmapAtomic(v, KmType.KM_USER0);
        assertThatThrownBy(() -> hm.kunmapAtomic(v, KmType.KM_USER0)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("not mapped by this context");
    }

    @Test
    void twoThreadsOfOneCpuTakeTheSlotInTurn() throws Exception {
        m.bindCurrentThread(0);
        m.memory().putByte(high.physAddr(), (byte) 11);
        m.memory().putByte(high2.physAddr(), (byte) 22);
        long v = hm.kmapAtomic(high, KmType.KM_USER0);
        byte[] seen = new byte[1];
        Thread t = new Thread(() -> {
            m.bindCurrentThread(0);
            long w = hm.kmapAtomic(high2, KmType.KM_USER0);
            seen[0] = hm.getByte(w);
            hm.kunmapAtomic(w, KmType.KM_USER0);
        }, "same-cpu");
        t.start();
        while (t.getState() != Thread.State.WAITING && t.isAlive()) {
            Thread.onSpinWait(); // until it waits for the slot: no event says so
        }
        assertThat(hm.getByte(v)).as("not overwritten by the other thread").isEqualTo((byte) 11);
        hm.kunmapAtomic(v, KmType.KM_USER0);
        t.join();
        assertThat(seen[0]).isEqualTo((byte) 22);
    }

    @Test
    void nestingFollowsOneOrderAndAWrongOneIsRefusedUnchanged() {
        long u1 = hm.kmapAtomic(high, KmType.KM_USER1);
        assertThatThrownBy(() -> hm.kmapAtomic(high2, KmType.KM_USER0)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("holds KM_USER1").hasMessageContaining("nest only in the order");
        assertThat(hm.atomicSlotsMapped()).as("nothing changed").isEqualTo(1);
        m.memory().putByte(high.physAddr(), (byte) 6);
        assertThat(hm.getByte(u1)).isEqualTo((byte) 6);
        try (Task.IrqScope irq = m.current().irqEnter()) {
            long r = hm.kmapAtomic(high2, KmType.KM_BOUNCE_READ); // an interrupt nests over a process mapping
            hm.kunmapAtomic(r, KmType.KM_BOUNCE_READ);
        }
        hm.kunmapAtomic(u1, KmType.KM_USER1);

        long r = hm.kmapAtomic(high, KmType.KM_BOUNCE_READ);
        assertThatThrownBy(() -> hm.kmapAtomic(high2, KmType.KM_USER0)).as("never a process type over an"
                + " interrupt type").isInstanceOf(KernelBug.class);
        long b = hm.kmapAtomic(high2, KmType.KM_BIO_IRQ);
        hm.kunmapAtomic(r, KmType.KM_BOUNCE_READ); // unmaps need not nest
        hm.kunmapAtomic(b, KmType.KM_BIO_IRQ);
        long a = hm.kmapAtomic(high, KmType.KM_USER0); // all released: any type again
        hm.kunmapAtomic(a, KmType.KM_USER0);
    }

    @Test
    void aThreadReboundToAnotherCpuStillReleasesItsSlot() {
        m.bindCurrentThread(0);
        long v = hm.kmapAtomic(high, KmType.KM_USER0);
        m.bindCurrentThread(1);
        assertThatThrownBy(() -> hm.kmapAtomic(high2, KmType.KM_USER0)).as("the nesting rule spans cpus")
                .isInstanceOf(KernelBug.class).hasMessageContaining("cpu 0");
        assertThatThrownBy(() -> hm.kunmapAtomic(v, KmType.KM_USER1)).isInstanceOf(KernelBug.class);
        assertThat(hm.getByte(v)).as("still mapped").isEqualTo(m.memory().getByte(high.physAddr()));
        hm.kunmapAtomic(v, KmType.KM_USER0);
        assertThat(hm.atomicSlotsMapped()).isZero();
        assertThatThrownBy(() -> hm.getLong(v)).isInstanceOf(PageFault.class);
        m.bindCurrentThread(0);
        long w = hm.kmapAtomic(high2, KmType.KM_USER0); // cpu 0's slot is free: not held for good
        assertThat(VirtualLayout.low(w)).isEqualTo(VirtualLayout.low(v));
        hm.kunmapAtomic(w, KmType.KM_USER0);
    }
}
