// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.PhysicalMemory;

/**
 * The sizing half of {@code kmem_cache_create} and {@code kmem_cache_estimate} (mm/slab.c,
 * 2.4.15): from a requested object size, offset and flags to the object size, objects per slab,
 * page order, management placement and colour range the kernel would compute. A pure function of
 * its inputs, so that tests can check it against numbers derived by hand.
 *
 * <h2>The algorithm</h2>
 * <ol>
 *   <li>Round the size up to a word ({@link SlabAllocator#BYTES_PER_WORD} = 4, i386).</li>
 *   <li>With SLAB_RED_ZONE: drop SLAB_HWCACHE_ALIGN and add a word on each side.</li>
 *   <li>Alignment: a word, or {@code L1_CACHE_BYTES} with SLAB_HWCACHE_ALIGN.</li>
 *   <li>Objects of at least {@code PAGE_SIZE/8} (512) bytes get off-slab management.</li>
 *   <li>With SLAB_HWCACHE_ALIGN, halve the alignment while the object is under half of it (two
 *       or more small objects share a line), then round the size up to it.</li>
 *   <li>From order 0 up: estimate; stop at MAX_GFP_ORDER (5); go on if nothing fits; if an
 *       off-slab cache exceeds {@code offslab_limit} objects, step back one order and stop; stop
 *       at {@code slab_break_gfp_order}; stop when the left-over is at most 1/8 of the slab.</li>
 *   <li>An off-slab cache whose left-over can hold the management area moves it back on-slab.</li>
 *   <li>Colour step: the offset rounded up to the alignment, or {@code L1_CACHE_BYTES} for 0;
 *       colours: left-over / step.</li>
 * </ol>
 * {@code kmem_cache_estimate(order)} finds the largest {@code i} with
 * {@code i*size + L1_CACHE_ALIGN(base + i*extra) <= PAGE_SIZE << order}, where on-slab
 * {@code base = sizeof(slab_t)} = 24 and {@code extra = sizeof(kmem_bufctl_t)} = 4 (i386), and
 * off-slab both are 0.
 */
final class SlabGeometry {
    /** Object size as stored in the cache: word-rounded, aligned, red zones included. */
    final int objsize;
    /** Cache flags after the adjustments (HWCACHE_ALIGN dropped, CFLGS_* added). */
    final int flags;
    /** Objects per slab. */
    final int num;
    /** Pages per slab = {@code 1 << gfporder}. */
    final int gfporder;
    /** Bytes of a slab left after objects and (on-slab) management, before colouring. */
    final int leftOver;
    /** {@code L1_CACHE_ALIGN(num * sizeof(kmem_bufctl_t) + sizeof(slab_t))}. */
    final int slabSize;
    /** Number of colours. */
    final int colour;
    /** Colour step in bytes. */
    final int colourOff;
    /** Object alignment. */
    final int align;

    private SlabGeometry(int objsize, int flags, int num, int gfporder, int leftOver, int slabSize, int colour,
            int colourOff, int align) {
        this.objsize = objsize;
        this.flags = flags;
        this.num = num;
        this.gfporder = gfporder;
        this.leftOver = leftOver;
        this.slabSize = slabSize;
        this.colour = colour;
        this.colourOff = colourOff;
        this.align = align;
    }

    static int l1CacheAlign(int bytes, int l1) {
        return (bytes + l1 - 1) & -l1;
    }

    /**
     * {@code kmem_cache_estimate(gfporder, size, flags, &left_over, &num)}.
     *
     * @return {@code {num, left_over}}
     */
    static int[] estimate(int gfporder, int size, int flags, int l1) {
        long wastage = (long) PhysicalMemory.PAGE_SIZE << gfporder;
        int base = 0;
        int extra = 0;
        if ((flags & SlabFlags.CFLGS_OFF_SLAB) == 0) {
            base = SlabAllocator.SLAB_T_SIZE;
            extra = SlabAllocator.BUFCTL_SIZE;
        }
        int i = 0;
        while ((long) i * size + l1CacheAlign(base + i * extra, l1) <= wastage) {
            i++;
        }
        if (i > 0) {
            i--;
        }
        long left = wastage - (long) i * size - l1CacheAlign(base + i * extra, l1);
        return new int[] {i, (int) left};
    }

    /**
     * The sizing steps of {@code kmem_cache_create}. The caller has validated size, offset and
     * flags.
     *
     * @param breakOrder {@code slab_break_gfp_order}
     * @param offslabLimit {@code offslab_limit}
     * @return the geometry, or null if no object fits in a slab of order {@code <= MAX_GFP_ORDER}
     *         (the kernel's "couldn't create cache")
     */
    static SlabGeometry compute(int size, int offset, int flags, int l1, int breakOrder, int offslabLimit) {
        int word = SlabAllocator.BYTES_PER_WORD;
        if ((size & (word - 1)) != 0) {
            size = (size + word - 1) & -word;
        }
        if ((flags & SlabFlags.SLAB_RED_ZONE) != 0) {
            flags &= ~SlabFlags.SLAB_HWCACHE_ALIGN;
            size += 2 * word;
        }
        int align = word;
        if ((flags & SlabFlags.SLAB_HWCACHE_ALIGN) != 0) {
            align = l1;
        }
        if (size >= (PhysicalMemory.PAGE_SIZE >> 3)) {
            flags |= SlabFlags.CFLGS_OFF_SLAB;
        }
        if ((flags & SlabFlags.SLAB_HWCACHE_ALIGN) != 0) {
            while (size < align / 2) {
                align /= 2;
            }
            size = (size + align - 1) & -align;
        }

        int order = 0;
        int[] est;
        boolean stepBack = false;
        for (;;) {
            est = estimate(order, size, flags, l1);
            if (stepBack || order >= SlabAllocator.MAX_GFP_ORDER) {
                break;
            }
            if (est[0] == 0) {
                order++;
                continue;
            }
            // At order 0 the kernel would step below 0; that needs more than offslab_limit objects
            // of at least PAGE_SIZE/8 bytes in one page, which cannot happen, so it is not guarded.
            if ((flags & SlabFlags.CFLGS_OFF_SLAB) != 0 && est[0] > offslabLimit && order > 0) {
                order--;
                stepBack = true; // re-estimate at the lower order, then stop
                continue;
            }
            if (order >= breakOrder) {
                break;
            }
            if ((long) est[1] * 8 <= ((long) PhysicalMemory.PAGE_SIZE << order)) {
                break; // acceptable internal fragmentation
            }
            order++;
        }
        int num = est[0];
        int leftOver = est[1];
        if (num == 0) {
            return null;
        }
        int slabSize = l1CacheAlign(num * SlabAllocator.BUFCTL_SIZE + SlabAllocator.SLAB_T_SIZE, l1);
        if ((flags & SlabFlags.CFLGS_OFF_SLAB) != 0 && leftOver >= slabSize) {
            flags &= ~SlabFlags.CFLGS_OFF_SLAB;
            leftOver -= slabSize;
        }
        offset = (offset + align - 1) & -align;
        if (offset == 0) {
            offset = l1;
        }
        int colour = leftOver / offset;
        if (order == 0 && (flags & SlabFlags.CFLGS_OFF_SLAB) == 0) {
            flags |= SlabFlags.CFLGS_OPTIMIZE;
        }
        return new SlabGeometry(size, flags, num, order, leftOver, slabSize, colour, offset, align);
    }

    /** The static {@code cache_cache} of {@code kmem_cache_init}: on-slab, order 0, no alignment. */
    static SlabGeometry cacheCache(int objsize, int l1) {
        int[] est = estimate(0, objsize, 0, l1);
        int slabSize = l1CacheAlign(est[0] * SlabAllocator.BUFCTL_SIZE + SlabAllocator.SLAB_T_SIZE, l1);
        return new SlabGeometry(objsize, SlabFlags.SLAB_NO_REAP, est[0], 0, est[1],
                slabSize, est[1] / l1, l1, SlabAllocator.BYTES_PER_WORD);
    }

    @Override
    public String toString() {
        return String.format("objsize=%d num=%d order=%d left_over=%d slab_size=%d colour=%d colour_off=%d "
                + "align=%d flags=%s", objsize, num, gfporder, leftOver, slabSize, colour, colourOff, align,
                SlabFlags.cacheFlagsToString(flags));
    }
}
