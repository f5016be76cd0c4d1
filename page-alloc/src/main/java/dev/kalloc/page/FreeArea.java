// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * {@code free_area_t}: one order's free list and its buddy bitmap (mmzone.h, 2.4.15).
 *
 * <p>The bitmap has one bit per buddy <em>pair</em> of this order. It is toggled whenever either
 * block of the pair enters or leaves this order's free list, so it holds
 * {@code free(A) XOR free(B)}: on a free, a bit that was 1 before the toggle means the buddy is
 * already free and the two merge. The top order ({@code MAX_ORDER-1}) never merges and has no map.
 * Guarded by the zone lock.
 */
final class FreeArea {
    final PageList freeList;
    /** One bit per buddy pair; null for the top order. */
    private final long[] map;

    FreeArea(Page[] memMap, int startPfn, int zoneSize, int order, boolean topOrder) {
        this.freeList = new PageList(memMap, startPfn);
        // LONG_ALIGN(((size-1) >> (order+4)) + 1) bytes in the kernel: here rounded to whole longs.
        this.map = topOrder ? null : new long[(((zoneSize - 1) >> (order + 1)) >> 6) + 1];
    }

    /** {@code __change_bit}: toggles a pair's bit, returning its old value. */
    boolean testAndChangeBit(int pairIndex) {
        long mask = 1L << pairIndex;
        int word = pairIndex >>> 6;
        boolean old = (map[word] & mask) != 0;
        map[word] ^= mask;
        return old;
    }

    boolean testBit(int pairIndex) {
        return (map[pairIndex >>> 6] & (1L << pairIndex)) != 0;
    }

    boolean hasMap() {
        return map != null;
    }

    /** nr_free as /proc/buddyinfo prints it: blocks of this order on the free list. */
    int nrFree() {
        return freeList.size();
    }
}
