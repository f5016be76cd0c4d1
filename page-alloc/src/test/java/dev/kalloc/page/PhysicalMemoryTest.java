// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.tests.TinyMachines;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The simulated RAM: real bytes, little-endian, range-checked, lazily allocated, per machine. */
class PhysicalMemoryTest {
    private static final int PAGE = PhysicalMemory.PAGE_SIZE;

    @Test
    void pageContentsAreRealBytes() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            PhysicalMemory mem = m.memory();
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            long a = p.physAddr();
            mem.putLong(a, 0x0807060504030201L);
            byte[] bytes = new byte[8];
            mem.read(a, bytes, 0, 8);
            assertThat(bytes).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(mem.getInt(a + 4)).isEqualTo(0x08070605);
            assertThat(mem.getByte(a + 7)).isEqualTo((byte) 8);

            mem.putInt(a + PAGE - 4, -2);
            mem.putByte(a + 100, (byte) 0x7f);
            assertThat(mem.getInt(a + PAGE - 4)).isEqualTo(-2);
            assertThat(mem.getByte(a + 100)).isEqualTo((byte) 0x7f);

            byte[] pattern = new byte[PAGE];
            for (int i = 0; i < PAGE; i++) {
                pattern[i] = (byte) (i * 31);
            }
            mem.write(a, pattern, 0, PAGE);
            byte[] back = new byte[PAGE + 2];
            mem.read(a, back, 1, PAGE);
            for (int i = 0; i < PAGE; i++) {
                assertThat(back[i + 1]).isEqualTo(pattern[i]);
            }
            // the contents survive free and reallocation (nothing clears them but get_zeroed_page)
            m.pageAlloc().freePage(p);
            Page again = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(again).isSameAs(p);
            assertThat(mem.getByte(a + 1)).isEqualTo(pattern[1]);
        }
    }

    @Test
    void freshMemoryReadsZero() {
        PhysicalMemory mem = new PhysicalMemory(16L * PAGE);
        assertThat(mem.size()).isEqualTo(16L * PAGE);
        assertThat(mem.nrPages()).isEqualTo(16);
        for (long a = 0; a < mem.size(); a += 512) {
            assertThat(mem.getLong(a)).isZero();
        }
    }

    @Test
    void fillCopyAndSlice() {
        PhysicalMemory mem = new PhysicalMemory(8L * PAGE);
        mem.fill(PAGE + 3, 13, (byte) 0xab);
        assertThat(mem.getByte(PAGE + 2)).isZero();
        for (int i = 3; i < 16; i++) {
            assertThat(mem.getByte(PAGE + i)).isEqualTo((byte) 0xab);
        }
        assertThat(mem.getByte(PAGE + 16)).isZero();
        mem.fill(0, PAGE, (byte) 1);
        assertThat(mem.getLong(PAGE - 8)).isEqualTo(0x0101010101010101L);

        mem.putLong(2L * PAGE, 0x1122334455667788L);
        mem.putByte(3L * PAGE - 1, (byte) 9);
        mem.copy(2L * PAGE, 5L * PAGE, PAGE);
        assertThat(mem.getLong(5L * PAGE)).isEqualTo(0x1122334455667788L);
        assertThat(mem.getByte(6L * PAGE - 1)).isEqualTo((byte) 9);
        assertThat(mem.getLong(2L * PAGE)).as("source unchanged").isEqualTo(0x1122334455667788L);

        ByteBuffer view = mem.slice(5L * PAGE, PAGE);
        assertThat(view.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        assertThat(view.capacity()).isEqualTo(PAGE);
        assertThat(view.getLong(0)).isEqualTo(0x1122334455667788L);
        view.putInt(16, 0xcafebabe);
        assertThat(mem.getInt(5L * PAGE + 16)).as("a view, not a copy").isEqualTo(0xcafebabe);
    }

    @Test
    void rangeErrors() {
        PhysicalMemory mem = new PhysicalMemory(4L * PAGE);
        long end = mem.size();
        outside(() -> mem.getByte(-1));
        outside(() -> mem.getByte(end));
        outside(() -> mem.getLong(end - 7));
        outside(() -> mem.getInt(end - 3));
        outside(() -> mem.putLong(Long.MAX_VALUE, 1));
        outside(() -> mem.putLong(Long.MAX_VALUE - 3, 1));
        outside(() -> mem.putByte(Long.MIN_VALUE, (byte) 1));
        outside(() -> mem.fill(end - 10, 11, (byte) 0));
        outside(() -> mem.fill(0, -1, (byte) 0));
        outside(() -> mem.copy(0, end - PAGE + 1, PAGE));
        outside(() -> mem.copy(end - PAGE + 1, 0, PAGE));
        outside(() -> mem.slice(end, 1));
        outside(() -> mem.read(end - 4, new byte[8], 0, 8));
        outside(() -> mem.write(-8, new byte[8], 0, 8));
        // in range at the very end
        mem.putLong(end - 8, 5);
        assertThat(mem.getLong(end - 8)).isEqualTo(5);
        assertThat(mem.slice(end, 0).capacity()).isZero();
    }

    private static void outside(ThrowingCallable access) {
        assertThatThrownBy(access).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside RAM");
    }

    @Test
    void constructorValidates() {
        assertThatThrownBy(() -> new PhysicalMemory(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PhysicalMemory(-PAGE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PhysicalMemory(PAGE + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * 64 GiB of RAM can be declared and its last page used: sections are allocated on first
     * touch, so only the touched (4 KiB) tail section exists. Ranges crossing a 1 GiB section
     * boundary are refused.
     */
    @Test
    void sectionsAreAllocatedLazily() {
        long gib = MachineConfig.GiB;
        PhysicalMemory mem = new PhysicalMemory(64 * gib + PAGE);
        assertThat(mem.nrPages()).isEqualTo(16 * 1024 * 1024 + 1);
        mem.putLong(64 * gib, 77L);
        assertThat(mem.getLong(64 * gib)).isEqualTo(77L);
        assertThatThrownBy(() -> mem.getLong(64 * gib - 4)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("section boundary");
        assertThatThrownBy(() -> mem.fill(gib - PAGE, 2 * PAGE, (byte) 0)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("section boundary");
    }

    @Test
    void twoMachinesShareNothing() {
        try (Machine a = TinyMachines.bootThreeZones(); Machine b = TinyMachines.bootThreeZones()) {
            assertThat(a.memory()).isNotSameAs(b.memory());
            Page pa = a.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            Page pb = b.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            assertThat(pa.pfn()).isEqualTo(pb.pfn());
            assertThat(pa).isNotSameAs(pb);
            a.memory().putLong(pa.physAddr(), 0xdeadbeefL);
            assertThat(b.memory().getLong(pb.physAddr())).isZero();
            assertThat(b.zone(Zone.ZONE_NORMAL).freePages()).isEqualTo(a.zone(Zone.ZONE_NORMAL).freePages());
            a.pageAlloc().freePage(pa);
            assertThat(pb.isAllocated()).isTrue();
        }
    }
}
