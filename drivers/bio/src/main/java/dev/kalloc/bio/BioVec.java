// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.page.Page;
import dev.kalloc.slab.SlabObject;
import java.util.Arrays;

/**
 * One vector of {@code struct bio_vec} ({@code {bv_page, bv_len, bv_offset}}) of 2.5.1's
 * {@code include/linux/bio.h}: an object of a {@code biovec-N} slab cache, holding
 * {@link #capacity()} segments.
 *
 * <p>The segments live in three Java arrays built once per slot, when the slab grows, and reused
 * by every allocation of the slot, so a warm vector costs no garbage. The slot's bytes in
 * simulated RAM ({@code N * 12}, as on i386) are what the memory accounting sees.
 *
 * <p>Invariant: {@code capacity} equals the size class of the cache the vector came from. A
 * vector is shared, read-only, by its bio and the bio's clones; only the owning bio writes it,
 * before submission. Thread-safety is the owner's, as for any allocated object.
 */
public final class BioVec extends SlabObject {
    private final Page[] page;
    private final int[] len;
    private final int[] offset;

    BioVec(Slot slot, int capacity) {
        super(slot);
        this.page = new Page[capacity];
        this.len = new int[capacity];
        this.offset = new int[capacity];
    }

    /** The number of segments the vector holds: its size class. */
    public int capacity() {
        return page.length;
    }

    /** {@code bv_page} of segment {@code i}. */
    public Page page(int i) {
        return page[i];
    }

    /** {@code bv_len} of segment {@code i}, bytes. */
    public int len(int i) {
        return len[i];
    }

    /** {@code bv_offset} of segment {@code i}, bytes into the page. */
    public int offset(int i) {
        return offset[i];
    }

    /** Sets segment {@code i}; checked by the caller ({@link Bio#addPage}). */
    void set(int i, Page p, int length, int off) {
        page[i] = p;
        len[i] = length;
        offset[i] = off;
    }

    /** Replaces the page of segment {@code i} (a bounce buffer swaps pages in a copy). */
    public void setPage(int i, Page p) {
        page[i] = p;
    }

    /** The {@code memset(bvl, 0, ...)} of {@code bvec_alloc}. */
    void clear() {
        Arrays.fill(page, null);
        Arrays.fill(len, 0);
        Arrays.fill(offset, 0);
    }
}
