// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The simulated RAM: off-heap bytes addressed by {@code long} physical address, 4 KiB pages.
 *
 * <p>Memory is cut into sections of at most 1 GiB ({@code ByteBuffer} indexes with {@code int}),
 * each a direct buffer. A section is allocated on first touch, the way a freshly booted machine
 * has its RAM zeroed but nobody pays for pages no one has looked at: a jcstress run boots
 * thousands of tiny machines and never reads their contents. Because the section size is a
 * multiple of {@link #PAGE_SIZE}, no page straddles two sections.
 *
 * <p>Concurrency: contents are plain memory, as in the kernel; whoever owns a page (the thread
 * that allocated it) orders its own accesses. Section creation is published with a CAS so that
 * two threads touching a new section agree on one buffer.
 */
public final class PhysicalMemory {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    public static final long PAGE_MASK = ~((long) PAGE_SIZE - 1);

    static final int SECTION_SHIFT = 30;
    private static final long SECTION_SIZE = 1L << SECTION_SHIFT;
    private static final VarHandle SECTIONS = MethodHandles.arrayElementVarHandle(ByteBuffer[].class);

    private final long size;
    private final ByteBuffer[] sections;

    /**
     * @param size bytes of RAM, a positive multiple of {@link #PAGE_SIZE}
     */
    public PhysicalMemory(long size) {
        if (size <= 0 || (size & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("memory size " + size
                    + " must be a positive multiple of the page size " + PAGE_SIZE);
        }
        this.size = size;
        this.sections = new ByteBuffer[(int) ((size + SECTION_SIZE - 1) >>> SECTION_SHIFT)];
    }

    /** Bytes of RAM. */
    public long size() {
        return size;
    }

    /** Number of page frames. */
    public int nrPages() {
        return (int) (size >>> PAGE_SHIFT);
    }

    private ByteBuffer section(long addr) {
        int idx = (int) (addr >>> SECTION_SHIFT);
        ByteBuffer s = (ByteBuffer) SECTIONS.getAcquire(sections, idx);
        return s != null ? s : createSection(idx);
    }

    private ByteBuffer createSection(int idx) {
        long len = Math.min(SECTION_SIZE, size - ((long) idx << SECTION_SHIFT));
        ByteBuffer fresh = ByteBuffer.allocateDirect((int) len).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer witness = (ByteBuffer) SECTIONS.compareAndExchangeRelease(sections, idx, null, fresh);
        return witness == null ? fresh : witness;
    }

    private static int offset(long addr) {
        return (int) (addr & (SECTION_SIZE - 1));
    }

    private void checkRange(long addr, long len) {
        // Not "addr + len > size": the sum overflows for addresses near Long.MAX_VALUE.
        if (addr < 0 || len < 0 || len > size - addr) {
            throw new IndexOutOfBoundsException(String.format(
                    "physical range [0x%x, 0x%x) is outside RAM [0, 0x%x)", addr, addr + len, size));
        }
        if (len > 0 && (addr >>> SECTION_SHIFT) != ((addr + len - 1) >>> SECTION_SHIFT)) {
            throw new IndexOutOfBoundsException(String.format(
                    "physical range [0x%x, 0x%x) crosses a 1 GiB section boundary", addr, addr + len));
        }
    }

    public byte getByte(long addr) {
        checkRange(addr, 1);
        return section(addr).get(offset(addr));
    }

    public void putByte(long addr, byte value) {
        checkRange(addr, 1);
        section(addr).put(offset(addr), value);
    }

    public int getInt(long addr) {
        checkRange(addr, 4);
        return section(addr).getInt(offset(addr));
    }

    public void putInt(long addr, int value) {
        checkRange(addr, 4);
        section(addr).putInt(offset(addr), value);
    }

    public long getLong(long addr) {
        checkRange(addr, 8);
        return section(addr).getLong(offset(addr));
    }

    public void putLong(long addr, long value) {
        checkRange(addr, 8);
        section(addr).putLong(offset(addr), value);
    }

    /** Copies {@code len} bytes from RAM at {@code addr} into {@code dst[off..]}. */
    public void read(long addr, byte[] dst, int off, int len) {
        checkRange(addr, len);
        section(addr).get(offset(addr), dst, off, len);
    }

    /** Copies {@code len} bytes of {@code src[off..]} into RAM at {@code addr}. */
    public void write(long addr, byte[] src, int off, int len) {
        checkRange(addr, len);
        section(addr).put(offset(addr), src, off, len);
    }

    /** memset: fills {@code len} bytes at {@code addr} with {@code value}. */
    public void fill(long addr, int len, byte value) {
        checkRange(addr, len);
        ByteBuffer s = section(addr);
        int off = offset(addr);
        int i = 0;
        long word = (value & 0xffL) * 0x0101010101010101L;
        for (; i + 8 <= len; i += 8) {
            s.putLong(off + i, word);
        }
        for (; i < len; i++) {
            s.put(off + i, value);
        }
    }

    /** memcpy between two physical ranges, each within one section; the ranges must not overlap. */
    public void copy(long src, long dst, int len) {
        checkRange(src, len);
        checkRange(dst, len);
        ByteBuffer from = section(src).duplicate();
        from.position(offset(src)).limit(offset(src) + len);
        section(dst).put(offset(dst), from.slice(), 0, len);
    }

    /**
     * A view of {@code len} bytes at {@code addr}, little-endian, for code that wants a
     * {@code ByteBuffer}. Allocates the view object: not for hot paths.
     */
    public ByteBuffer slice(long addr, int len) {
        checkRange(addr, len);
        return section(addr).slice(offset(addr), len).order(ByteOrder.LITTLE_ENDIAN);
    }
}
