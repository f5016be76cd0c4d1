// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kalloc.page.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * The object index a cache computes with a multiply and a shift ({@link KmemCache#divide}),
 * against plain division, for every object size {@code kmem_cache_create} can produce and every
 * slab order, at and around every object boundary within the slab. A wrong magic number is off
 * by one exactly at a boundary, which is where these offsets sit.
 */
class KmemCacheDivideTest {
    private static final int WORD = SlabAllocator.BYTES_PER_WORD;
    /** The largest size kmem_cache_create accepts, plus the two red-zone words. */
    private static final int MAX_OBJSIZE = (PhysicalMemory.PAGE_SIZE << SlabAllocator.MAX_OBJ_ORDER) + 2 * WORD;

    /**
     * Every objsize is word-rounded (alignment only rounds further, to a multiple of the word),
     * at most {@link #MAX_OBJSIZE}, in a slab of order at most MAX_GFP_ORDER: the sweep below
     * covers them all. Checked over the whole size range with each flag that changes the size,
     * at both slab_break_gfp_order values, so a change to the geometry that left that set fails here.
     */
    @Test
    void everyGeometryIsInTheSweptSet() {
        int[] flagSets = {0, SlabFlags.SLAB_HWCACHE_ALIGN, SlabFlags.SLAB_RED_ZONE};
        int[] l1s = {32, 64, 128};
        for (int breakOrder = 0; breakOrder <= 1; breakOrder++) {
            for (int l1 : l1s) {
                for (int flags : flagSets) {
                    for (int size = WORD; size <= PhysicalMemory.PAGE_SIZE << SlabAllocator.MAX_OBJ_ORDER; size++) {
                        SlabGeometry g = SlabGeometry.compute(size, 0, flags, l1, breakOrder, 64);
                        if (g == null) {
                            continue;
                        }
                        if (g.objsize % WORD != 0 || g.objsize < WORD || g.objsize > MAX_OBJSIZE
                                || g.gfporder < 0 || g.gfporder > SlabAllocator.MAX_GFP_ORDER) {
                            fail("size %d flags 0x%x l1 %d: %s is outside the swept set", size, flags, l1, g);
                        }
                    }
                }
            }
        }
    }

    @Test
    void multiplyAndShiftEqualsDivisionAtEveryObjectBoundary() {
        long checked = 0;
        for (int order = 0; order <= SlabAllocator.MAX_GFP_ORDER; order++) {
            long slabBytes = (long) PhysicalMemory.PAGE_SIZE << order;
            for (int size = WORD; size <= MAX_OBJSIZE; size += WORD) {
                int shift = KmemCache.divShift(size, order);
                long magic = KmemCache.divMagic(size, order);
                for (long k = 0; k * size < slabBytes + size; k++) {
                    long base = k * size;
                    checked += check(base - 1, size, magic, shift, slabBytes, order);
                    checked += check(base, size, magic, shift, slabBytes, order);
                    checked += check(base + size - 1, size, magic, shift, slabBytes, order);
                }
                checked += check(slabBytes - 1, size, magic, shift, slabBytes, order);
            }
        }
        // Not vacuous: at least one full boundary sweep of the largest slab by the smallest size.
        assertThat(checked).isGreaterThan(3 * ((PhysicalMemory.PAGE_SIZE << SlabAllocator.MAX_GFP_ORDER) / WORD) - 3);
    }

    /** Checks one offset if it lies in the slab ({@code divide}'s domain); returns 1 if checked. */
    private static int check(long off, int size, long magic, int shift, long slabBytes, int order) {
        if (off < 0 || off >= slabBytes) {
            return 0;
        }
        int got = KmemCache.divide(off, magic, shift);
        if (got != off / size) {
            fail("order %d objsize %d: offset %d gives index %d, not %d (magic %d, shift %d)", order, size, off, got,
                    off / size, magic, shift);
        }
        return 1;
    }
}
