// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * A snapshot of one pool's state and counters, as {@link Mempool#stats()} takes it and
 * {@link MempoolInfo} prints it. Each number is exact; taken while the pool is busy, the set may
 * mix moments (each counter is summed separately, as the kernel's per-CPU statistics are).
 * A pool built with {@code fastPathStatistics(false)} has {@code fastPathCounted} false and reports
 * -1 for {@code nrOut}, {@code nowait} and {@code freedToAllocator}: it does not count them, as the
 * kernel does not. (A counted pool's {@code nrOut} can also be negative, after foreign frees: read
 * {@code fastPathCounted} to tell the two apart.)
 *
 * @param name the pool's name
 * @param policy its order of attempts
 * @param minNr {@code min_nr}
 * @param currNr {@code curr_nr}: idle elements
 * @param nrOut elements handed out and not yet freed
 * @param nowait allocations served by level 1, {@link MempoolLevel#NOWAIT}
 * @param halfFull allocations served by level 2, {@link MempoolLevel#POOL_HALF_FULL}
 * @param fullGfp allocations served by level 3, {@link MempoolLevel#FULL_GFP}
 * @param nonempty allocations served by level 4, {@link MempoolLevel#POOL_NONEMPTY}
 * @param afterWait allocations that slept first, {@link MempoolLevel#AFTER_WAIT}
 * @param freedToPool frees that refilled the pool
 * @param freedToAllocator frees handed to the underlying allocator
 * @param waits sleeps on the pool's wait queue (one allocation may sleep more than once)
 * @param waitNanos total time those sleeps took, in nanoseconds
 * @param failures allocations that returned null (atomic callers only)
 * @param fastPathCounted false for a pool built with {@code fastPathStatistics(false)}
 */
public record MempoolStats(String name, MempoolPolicy policy, int minNr, int currNr, long nrOut, long nowait,
        long halfFull, long fullGfp, long nonempty, long afterWait, long freedToPool, long freedToAllocator,
        long waits, long waitNanos, long failures, boolean fastPathCounted) {

    /** The counter of one level. */
    public long served(MempoolLevel level) {
        switch (level) {
            case NOWAIT:
                return nowait;
            case POOL_HALF_FULL:
                return halfFull;
            case FULL_GFP:
                return fullGfp;
            case POOL_NONEMPTY:
                return nonempty;
            default:
                return afterWait;
        }
    }

    /** Successful allocations: the five levels together; -1 if level 1 is not counted. */
    public long allocations() {
        if (!fastPathCounted) {
            return -1;
        }
        return nowait + halfFull + fullGfp + nonempty + afterWait;
    }
}
