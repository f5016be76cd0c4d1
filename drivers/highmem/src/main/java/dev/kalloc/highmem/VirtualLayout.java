// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.page.Machine;
import dev.kalloc.page.PhysicalMemory;

/**
 * The i386 kernel's virtual address map above {@code PAGE_OFFSET}, as far as highmem uses it
 * ({@code include/asm-i386/page.h}, {@code highmem.h}, {@code fixmap.h}):
 * <pre>
 *   PAGE_OFFSET (0xc0000000) .. + lowmem end    the direct map of ZONE_DMA and ZONE_NORMAL
 *   pkmapBase .. + LAST_PKMAP pages              persistent kmap slots, PKMAP_ADDR(nr)
 *   fixaddrStart .. FIXADDR_TOP (0xfffff000)     fixmap: KM_TYPE_NR kmap_atomic slots per CPU
 * </pre>
 * {@code PKMAP_BASE} is 0xfe000000 as in 2.5.1 unless the fixmap of many CPUs reaches below it;
 * then it moves down, rounded to a 4 MiB page-directory entry, as later i386 kernels compute it.
 * Fixmap slot {@code idx} is at {@code FIXADDR_TOP - (idx + 1) * PAGE_SIZE}: slots grow downward,
 * as {@code __fix_to_virt} puts them.
 *
 * <h2>Tags</h2>
 * Addresses are {@code long}s whose low 32 bits are the i386 address. The high bits carry a tag:
 * 0 for the direct map, the slot's generation (see {@link Pte}) for kmap addresses. Adding an
 * offset within the page keeps the tag; comparing or printing uses the low 32 bits.
 *
 * <p>Immutable; computed once per {@link Highmem}.
 */
final class VirtualLayout {
    static final long PAGE_OFFSET = 0xC000_0000L;
    static final long PKMAP_BASE_I386 = 0xFE00_0000L;
    static final long FIXADDR_TOP = 0xFFFF_F000L;
    private static final long PMD_SIZE = 4L << 20;
    static final long ADDR_MASK = 0xFFFF_FFFFL;

    final long lowmemEnd;
    final int lastPkmap;
    final long pkmapBase;
    final int nrFixSlots;
    final long fixaddrStart;

    VirtualLayout(Machine machine, int lastPkmap) {
        long ram = machine.memory().size();
        this.lowmemEnd = Math.min(ram, machine.config().normalLimit());
        this.lastPkmap = lastPkmap;
        this.nrFixSlots = KmType.KM_TYPE_NR * machine.config().nrCpus();
        this.fixaddrStart = FIXADDR_TOP - (long) nrFixSlots * PhysicalMemory.PAGE_SIZE;
        long below = (fixaddrStart - (long) (lastPkmap + 1) * PhysicalMemory.PAGE_SIZE) & ~(PMD_SIZE - 1);
        this.pkmapBase = Math.min(PKMAP_BASE_I386, below);
        if (PAGE_OFFSET + lowmemEnd > pkmapBase) {
            throw new IllegalArgumentException(String.format("highmem: %d MiB of low memory do not fit the kernel's"
                    + " direct map below the kmap area at 0x%08x; lower ZONE_NORMAL's limit", lowmemEnd >> 20,
                    pkmapBase));
        }
    }

    /** {@code __va(phys)} of the direct map. */
    long directAddress(long phys) {
        return PAGE_OFFSET + phys;
    }

    boolean isDirect(long low) {
        return low >= PAGE_OFFSET && low < PAGE_OFFSET + lowmemEnd;
    }

    /** {@code PKMAP_ADDR(nr)}, untagged. */
    long pkmapAddr(int nr) {
        return pkmapBase + ((long) nr << PhysicalMemory.PAGE_SHIFT);
    }

    /** {@code PKMAP_NR(vaddr)}, or -1 outside the pkmap area. */
    int pkmapNr(long low) {
        if (low < pkmapBase || low >= pkmapBase + ((long) lastPkmap << PhysicalMemory.PAGE_SHIFT)) {
            return -1;
        }
        return (int) ((low - pkmapBase) >>> PhysicalMemory.PAGE_SHIFT);
    }

    /** {@code __fix_to_virt(FIX_KMAP_BEGIN + idx)}, untagged. */
    long fixToVirt(int idx) {
        return FIXADDR_TOP - ((long) (idx + 1) << PhysicalMemory.PAGE_SHIFT);
    }

    /** {@code __virt_to_fix}, or -1 outside the kmap_atomic slots. */
    int virtToFix(long low) {
        if (low < fixaddrStart || low >= FIXADDR_TOP) {
            return -1;
        }
        return (int) ((FIXADDR_TOP - PhysicalMemory.PAGE_SIZE - (low & PhysicalMemory.PAGE_MASK))
                >>> PhysicalMemory.PAGE_SHIFT);
    }

    static long tagged(long low, int generation) {
        return ((long) generation << 32) | low;
    }

    static long low(long vaddr) {
        return vaddr & ADDR_MASK;
    }

    static int tag(long vaddr) {
        return (int) (vaddr >>> 32);
    }
}
