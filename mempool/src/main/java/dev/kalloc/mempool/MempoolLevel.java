// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * The level of {@code mempool_alloc} that served an allocation, for the per-pool counters.
 *
 * <p>The five values partition the successful allocations: an allocation that slept at least
 * once counts as {@link #AFTER_WAIT} only, whatever served it after the sleep; every other one
 * counts at the first level that succeeded. So the sum of the five is the number of elements a
 * pool has handed out.
 */
public enum MempoolLevel {
    /** Level 1: the underlying allocator with {@code gfp & ~(__GFP_WAIT | __GFP_IO)}. */
    NOWAIT("nowait"),
    /**
     * Level 2 (2.5.1 only): the pool, taken because it was more than half full, so the blocking
     * allocation was skipped.
     */
    POOL_HALF_FULL("half_full"),
    /** Level 3: the underlying allocator with the caller's full gfp. */
    FULL_GFP("full_gfp"),
    /**
     * Level 4: the pool, after the blocking allocation failed or was not allowed (an atomic
     * caller; every pool hit of the {@link MempoolPolicy#MODERN} policy).
     */
    POOL_NONEMPTY("nonempty"),
    /** Level 5: any source, after the caller slept on the pool's wait queue at least once. */
    AFTER_WAIT("waited");

    private final String column;

    MempoolLevel(String column) {
        this.column = column;
    }

    /** The column name in the {@link MempoolInfo} view. */
    public String column() {
        return column;
    }
}
