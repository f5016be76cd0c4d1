// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.util.Arrays;

/**
 * One point of a run's memory time series ({@link MemorySeries}): per zone, what LaHaise's
 * argument of 15 December 2001 is about, free pages F, clean page-cache pages C, dirty ones, and
 * unused reserved pages R; and the guarantee's price and use at that moment.
 *
 * <p>The per-zone arrays are indexed by zone index ({@code Zone.ZONE_DMA} = 0, Normal = 1,
 * HighMem = 2) and all have the same length, the machine's zone count as {@link MemorySampler}
 * defines it. They are copied in and out, so a sample never changes once made. Counts are never
 * negative: the sampler clamps what a racy read might give.
 *
 * @param tMillis milliseconds since the run's load began (negative before it, during set-up)
 * @param free F per zone: pages on the buddy free lists
 * @param clean C per zone: clean page-cache pages, droppable without I/O
 * @param dirty per zone: dirty page-cache pages and those under writeback, which reclaim can
 *        only free by waiting for I/O
 * @param reserved R per zone: unused reserved pages of every reservation
 * @param nominalPriceBytes what the guarantee sets aside: a mempool's idle elements, a
 *        reservation's R
 * @param effectivePriceBytes what that takes from everyone else: a mempool's idle elements again
 *        (nobody else can use them); for a reservation the part of R that clean pages do not
 *        cover, {@code max(0, R - C)} summed over zones
 * @param inUse elements out of the guarantee's sources (mempool, none), or pages allocated from
 *        its reservations (reservation)
 */
public record MemorySample(long tMillis, int[] free, int[] clean, int[] dirty, int[] reserved, long nominalPriceBytes,
        long effectivePriceBytes, long inUse) {

    /**
     * @throws IllegalArgumentException if an array is missing, the arrays differ in length, or a
     *         count is negative
     */
    public MemorySample {
        if (free == null) {
            throw new IllegalArgumentException("memory sample without its free pages per zone");
        }
        free = copy("free", free, free.length);
        clean = copy("clean", clean, free.length);
        dirty = copy("dirty", dirty, free.length);
        reserved = copy("reserved", reserved, free.length);
        if (nominalPriceBytes < 0 || effectivePriceBytes < 0 || inUse < 0) {
            throw new IllegalArgumentException("negative price or use in a memory sample: nominal " + nominalPriceBytes
                    + ", effective " + effectivePriceBytes + ", in use " + inUse);
        }
    }

    private static int[] copy(String what, int[] values, int zones) {
        if (values == null) {
            throw new IllegalArgumentException("memory sample without its " + what + " pages per zone");
        }
        if (values.length != zones) {
            throw new IllegalArgumentException("memory sample with " + zones + " zones of free pages but "
                    + values.length + " of " + what + " pages");
        }
        for (int v : values) {
            if (v < 0) {
                throw new IllegalArgumentException("negative " + what + " page count " + v + " in a memory sample");
            }
        }
        return values.clone();
    }

    /** The number of zones the sample covers. */
    int zones() {
        return free.length;
    }

    @Override
    public int[] free() {
        return free.clone();
    }

    @Override
    public int[] clean() {
        return clean.clone();
    }

    @Override
    public int[] dirty() {
        return dirty.clone();
    }

    @Override
    public int[] reserved() {
        return reserved.clone();
    }

    /** F summed over zones. */
    public long totalFree() {
        return sum(free);
    }

    /** C summed over zones. */
    public long totalClean() {
        return sum(clean);
    }

    /** Dirty and writeback pages summed over zones. */
    public long totalDirty() {
        return sum(dirty);
    }

    /** R summed over zones. */
    public long totalReserved() {
        return sum(reserved);
    }

    private static long sum(int[] values) {
        long s = 0;
        for (int v : values) {
            s += v;
        }
        return s;
    }

    /** Samples are equal when every field is; the arrays are compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MemorySample s && tMillis == s.tMillis && Arrays.equals(free, s.free)
                && Arrays.equals(clean, s.clean) && Arrays.equals(dirty, s.dirty) && Arrays.equals(reserved, s.reserved)
                && nominalPriceBytes == s.nominalPriceBytes && effectivePriceBytes == s.effectivePriceBytes
                && inUse == s.inUse;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(tMillis);
        h = 31 * h + Arrays.hashCode(free);
        h = 31 * h + Arrays.hashCode(clean);
        h = 31 * h + Arrays.hashCode(dirty);
        h = 31 * h + Arrays.hashCode(reserved);
        h = 31 * h + Long.hashCode(nominalPriceBytes);
        h = 31 * h + Long.hashCode(effectivePriceBytes);
        return 31 * h + Long.hashCode(inUse);
    }

    @Override
    public String toString() {
        return "MemorySample[t=" + tMillis + " ms, free=" + Arrays.toString(free) + ", clean=" + Arrays.toString(clean)
                + ", dirty=" + Arrays.toString(dirty) + ", reserved=" + Arrays.toString(reserved) + ", nominal="
                + nominalPriceBytes + " B, effective=" + effectivePriceBytes + " B, inUse=" + inUse + "]";
    }
}
