// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

/**
 * One simulated page-table entry of the kmap areas, packed in a {@code long} so that a reader
 * sees the frame and the mapping's generation in one atomic load and can never mix the two of
 * different mappings.
 *
 * <p>Layout: bits 0..31 hold {@code pfn + 1} (0 = {@code pte_none}); bits 32..62 hold the
 * generation of the slot, bumped each time the slot is given a new mapping and kept when the
 * entry is cleared. The generation is the tag of every virtual address handed out for that
 * mapping (see {@link VirtualLayout}): an address whose tag is not the entry's present generation
 * refers to a mapping that has been torn down, whatever the slot holds now.
 */
final class Pte {
    static final long NONE = 0L;
    private static final long FRAME_MASK = 0xFFFF_FFFFL;
    private static final int GEN_MASK = 0x7FFF_FFFF;

    private Pte() {
    }

    /** {@code pte_none}. */
    static boolean none(long pte) {
        return (pte & FRAME_MASK) == 0;
    }

    /** The frame of a present entry. */
    static int pfn(long pte) {
        return (int) ((pte & FRAME_MASK) - 1);
    }

    static int generation(long pte) {
        return (int) (pte >>> 32);
    }

    /**
     * {@code set_pte(mk_pte(page))}: the entry that maps {@code pfn} with the slot's next
     * generation after {@code old}'s. Generation 0 is skipped: tag 0 means "untagged", the direct
     * map's addresses.
     */
    static long install(long old, int pfn) {
        int gen = (generation(old) + 1) & GEN_MASK;
        if (gen == 0) {
            gen = 1;
        }
        return ((long) gen << 32) | ((long) pfn + 1);
    }

    /** {@code pte_clear}: no frame, the generation kept so that the next mapping gets a new one. */
    static long clear(long old) {
        return old & ~FRAME_MASK;
    }
}
