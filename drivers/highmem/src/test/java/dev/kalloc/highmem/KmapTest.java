// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Persistent kmap: the slot counting of 2.5.1, flushing on wrap, sleeping on a full window. */
class KmapTest {
    private final Machine m = TinyMachines.bootThreeZones();
    private final Highmem hm = Highmem.boot(m, 4);
    private final List<Page> held = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Page p : held) {
            m.pageAlloc().freePage(p);
        }
        m.checkInvariants();
        m.close();
    }

    private Page high() {
        Page p = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
        assertThat(p.isHighMem()).isTrue();
        held.add(p);
        return p;
    }

    private Page low() {
        Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        held.add(p);
        return p;
    }

    @Test
    void lowmemPageIsItsDirectAddressAtNoCost() {
        Page p = low();
        long v = hm.kmap(p);
        assertThat(v).isEqualTo(VirtualLayout.PAGE_OFFSET + p.physAddr()).isEqualTo(hm.pageAddress(p));
        assertThat(hm.newMappings()).isZero();
        assertThat(hm.freeSlots()).isEqualTo(4);
        hm.putLong(v + 16, 0x1122334455667788L);
        assertThat(m.memory().getLong(p.physAddr() + 16)).isEqualTo(0x1122334455667788L);
        hm.kunmap(p);
    }

    @Test
    void highmemPageIsReachedThroughItsMapping() {
        Page p = high();
        assertThat(hm.pageAddress(p)).isZero();
        long v = hm.kmap(p);
        assertThat(hm.pkmapNr(v)).isBetween(0, 3);
        assertThat(hm.pageAddress(p)).isEqualTo(v);
        byte[] data = new byte[PhysicalMemory.PAGE_SIZE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        hm.write(v, data, 0, data.length);
        byte[] raw = new byte[data.length];
        m.memory().read(p.physAddr(), raw, 0, raw.length);
        assertThat(raw).isEqualTo(data);
        m.memory().putByte(p.physAddr() + 100, (byte) 99);
        assertThat(hm.getByte(v + 100)).isEqualTo((byte) 99);
        hm.kunmap(p);
        hm.checkInvariants();
    }

    @Test
    void countsFollowTheKernel() {
        Page p = high();
        long v = hm.kmap(p);
        int nr = hm.pkmapNr(v);
        assertThat(hm.pkmapCount(nr)).isEqualTo(2);
        assertThat(hm.kmap(p)).as("a second kmap shares the slot").isEqualTo(v);
        assertThat(hm.pkmapCount(nr)).isEqualTo(3);
        assertThat(hm.kmapUsers(p)).isEqualTo(2);
        hm.kunmap(p);
        hm.kunmap(p);
        assertThat(hm.pkmapCount(nr)).as("mapped, unused, not yet flushed").isEqualTo(1);
        assertThat(hm.unflushedSlots()).isEqualTo(1);
        assertThat(hm.kmap(p)).as("an unflushed slot is found again through page->virtual").isEqualTo(v);
        hm.kunmap(p);
        hm.checkInvariants();
    }

    @Test
    void wrapFlushesUnusedSlotsAndTheirAddressesFault() {
        Page a = high();
        long va = hm.kmap(a);
        hm.putLong(va, 42L);
        hm.kunmap(a);
        assertThat(hm.getLong(va)).as("lazy unmap: still mapped until the flush").isEqualTo(42L);
        Page[] others = {high(), high(), high(), high()};
        for (Page o : others) {
            hm.kmap(o);
            hm.kunmap(o);
        }
        assertThat(hm.flushes()).isPositive();
        assertThat(hm.pageAddress(a)).isZero();
        assertThatThrownBy(() -> hm.getLong(va)).isInstanceOf(PageFault.class);
        hm.checkInvariants();
    }

    @Test
    void slotWithUsersIsNeverFlushedOrReused() {
        Page a = high();
        long va = hm.kmap(a);
        hm.putLong(va, 7L);
        for (int round = 0; round < 10; round++) {
            Page o = high();
            long vo = hm.kmap(o);
            assertThat(hm.pkmapNr(vo)).isNotEqualTo(hm.pkmapNr(va));
            hm.kunmap(o);
        }
        assertThat(hm.flushes()).isPositive();
        assertThat(hm.getLong(va)).isEqualTo(7L);
        hm.kunmap(a);
    }

    @Test
    void reusedSlotDoesNotServeAnOldAddress() {
        Page a = high();
        long va = hm.kmap(a);
        hm.kunmap(a);
        Page b = null;
        long vb = 0;
        for (int i = 0; i < 8 && (b == null || hm.pkmapNr(vb) != hm.pkmapNr(va)); i++) {
            if (b != null) {
                hm.kunmap(b);
            }
            b = high();
            vb = hm.kmap(b);
        }
        assertThat(hm.pkmapNr(vb)).as("the window of 4 wrapped onto a's slot").isEqualTo(hm.pkmapNr(va));
        long stale = va;
        assertThatThrownBy(() -> hm.getByte(stale)).isInstanceOf(PageFault.class)
                .hasMessageContaining("another mapping");
        hm.kunmap(b);
    }

    @Test
    void unbalancedKunmapIsABugAndChangesNothing() {
        Page p = high();
        assertThatThrownBy(() -> hm.kunmap(p)).isInstanceOf(KernelBug.class).hasMessageContaining("not kmapped");
        long v = hm.kmap(p);
        hm.kunmap(p);
        int nr = hm.pkmapNr(v);
        assertThatThrownBy(() -> hm.kunmap(p)).isInstanceOf(KernelBug.class).hasMessageContaining("unbalanced");
        assertThat(hm.pkmapCount(nr)).isEqualTo(1);
        assertThat(hm.pageAddress(p)).isEqualTo(v);
        hm.checkInvariants();
    }

    @Test
    void kmapInInterruptContextIsABug() {
        Page p = high();
        long v = hm.kmap(p);
        try (Task.IrqScope irq = m.current().irqEnter()) {
            assertThatThrownBy(() -> hm.kmap(p)).isInstanceOf(KernelBug.class).hasMessageContaining("interrupt");
            assertThatThrownBy(() -> hm.kunmap(p)).isInstanceOf(KernelBug.class).hasMessageContaining("interrupt");
        }
        assertThat(hm.kmapUsers(p)).isEqualTo(1);
        hm.kunmap(p);
        assertThat(hm.pkmapCount(hm.pkmapNr(v))).isEqualTo(1);
    }

    /**
     * kunmap(NULL) and kunmap_atomic(0) as 2.5.1 has them: nothing, since NULL is below
     * highmem_start_page and 0 below FIXADDR_START; a kunmap in interrupt context is still a bug.
     * A mapping held meanwhile is untouched, and the null unmaps release nothing.
     */
    @Test
    void unmappingNullDoesNothingAsIn251() {
        Page p = high();
        long v = hm.kmap(p);
        long a = hm.kmapAtomic(p, KmType.KM_USER0);
        int free = hm.freeSlots();
        hm.kunmap(null);
        hm.kunmapAtomic(0, KmType.KM_USER0);
        assertThat(hm.freeSlots()).isEqualTo(free);
        assertThat(hm.kmapUsers(p)).isEqualTo(1);
        assertThat(hm.pkmapCount(hm.pkmapNr(v))).isEqualTo(2);
        assertThat(hm.getByte(a)).as("the atomic mapping still works").isEqualTo(hm.getByte(v));
        try (Task.IrqScope irq = m.current().irqEnter()) {
            assertThatThrownBy(() -> hm.kunmap(null)).isInstanceOf(KernelBug.class)
                    .hasMessageContaining("kunmap(null) in interrupt context");
        }
        hm.kunmapAtomic(a, KmType.KM_USER0);
        hm.kunmap(p);
        assertThat(hm.pkmapCount(hm.pkmapNr(v))).isEqualTo(1);
    }

    @Test
    void badInputIsRefused() {
        try (Machine other = TinyMachines.bootThreeZones()) {
            Page foreign = other.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
            assertThatThrownBy(() -> hm.kmap(foreign)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> hm.kmap(null)).isInstanceOf(IllegalArgumentException.class);
            other.pageAlloc().freePage(foreign);
        }
        assertThatThrownBy(() -> Highmem.boot(m, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of two");
        assertThatThrownBy(() -> Highmem.boot(m, 2048)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> hm.getByte(0x1000L)).isInstanceOf(PageFault.class);
        Page p = high();
        long v = hm.kmap(p);
        assertThatThrownBy(() -> hm.getLong(v + PhysicalMemory.PAGE_SIZE - 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("crosses a page");
        hm.kunmap(p);
    }

    @Test
    void lowMemoryTooLargeForTheDirectMapIsRefused() {
        MachineConfig big = MachineConfig.builder().memory(1100 * MachineConfig.MiB)
                .zoneLimits(16 * MachineConfig.MiB, 1024 * MachineConfig.MiB).kswapd(false).build();
        try (Machine bigM = Machine.boot(big)) {
            assertThatThrownBy(() -> Highmem.boot(bigM)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("direct map");
        }
    }

    @Test
    void fullWindowSleepsUntilKunmap() throws Exception {
        Page[] pages = {high(), high(), high(), high()};
        for (Page p : pages) {
            hm.kmap(p);
        }
        assertThat(hm.busySlots()).isEqualTo(4);
        Page waiter = high();
        long[] got = new long[1];
        Thread t = new Thread(() -> {
            got[0] = hm.kmap(waiter);
            hm.putLong(got[0], 5L);
            hm.kunmap(waiter);
        }, "kmap-sleeper");
        t.start();
        while (hm.kmapWaiters() == 0) {
            Thread.onSpinWait(); // until it queues on pkmap_map_wait: no event says so
        }
        assertThat(hm.pageAddress(waiter)).isZero();
        int freed = hm.pkmapNr(hm.pageAddress(pages[2]));
        hm.kunmap(pages[2]);
        t.join();
        assertThat(hm.kmapSleeps()).isEqualTo(1);
        assertThat(m.memory().getLong(waiter.physAddr())).isEqualTo(5L);
        assertThat(hm.pkmapNr(got[0])).as("it took the slot kunmap left, after a flush").isEqualTo(freed);
        assertThat(hm.pageAddress(pages[2])).isZero();
        for (int i = 0; i < pages.length; i++) {
            if (i != 2) {
                hm.kunmap(pages[i]);
            }
        }
        hm.checkInvariants();
    }

    @Test
    void twoSleepersOnOnePageShareTheMappingOneOfThemMade() throws Exception {
        Page[] pages = {high(), high(), high(), high()};
        for (Page p : pages) {
            hm.kmap(p);
        }
        Page x = high();
        long[] got = new long[2];
        Thread[] t = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int me = i;
            t[i] = new Thread(() -> got[me] = hm.kmap(x), "kmap-sleeper-" + i);
            t[i].start();
        }
        while (hm.kmapWaiters() < 2) {
            Thread.onSpinWait(); // until both queue on pkmap_map_wait
        }
        hm.kunmap(pages[0]);
        t[0].join();
        t[1].join();
        assertThat(got[0]).as("the second finds page->virtual set").isEqualTo(got[1]);
        assertThat(hm.kmapUsers(x)).isEqualTo(2);
        assertThat(hm.newMappings()).isEqualTo(5);
        hm.kunmap(x);
        hm.kunmap(x);
        for (int i = 1; i < pages.length; i++) {
            hm.kunmap(pages[i]);
        }
        assertThat(hm.busySlots()).isZero();
        hm.checkInvariants();
    }
}
