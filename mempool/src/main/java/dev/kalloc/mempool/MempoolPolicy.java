// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

/**
 * Which kernel's {@code mempool_alloc} a pool follows. Chosen when the pool is created, so the
 * same driver can run on either and the reports compare the two orders of attempts.
 */
public enum MempoolPolicy {
    /**
     * Linux 2.5.1 (mempool-2.5.1-D2, Ingo Molnar, 14 December 2001), the five levels in order:
     * <ol>
     *   <li>the underlying allocator with {@code gfp & ~(__GFP_WAIT | __GFP_IO)};</li>
     *   <li>the pool, if it is more than half full ({@code curr_nr > min_nr / 2}, read without
     *       the lock) and the caller may block;</li>
     *   <li>otherwise the underlying allocator with the caller's full gfp (unchanged: 2.5.1 had
     *       no {@code __GFP_NORETRY}, so over the page allocator this may sleep there for as
     *       long as the machine's OOM policy lets it);</li>
     *   <li>the pool, if it is not empty; a caller that may not block gets null here;</li>
     *   <li>an exclusive, untimed sleep on the pool's wait queue until a free refills the pool,
     *       then everything again from level 1.</li>
     * </ol>
     */
    LINUX_2_5_1("2.5.1"),

    /**
     * The modern kernel (4.x to 6.x): no half-full rule. The underlying allocator without
     * {@code __GFP_WAIT}/{@code __GFP_IO}; then the pool if it is not empty; then the underlying
     * allocator again with the full gfp, immediately; then a non-exclusive sleep of at most the
     * pool's wait timeout ({@code io_schedule_timeout(5*HZ)}), and again from the underlying
     * allocator, now always with the full gfp. Every mask given to the underlying allocator
     * has {@code __GFP_NOMEMALLOC|__GFP_NORETRY|__GFP_NOWARN} ORed in
     * ({@link Mempool#MODERN_GFP_MODIFIERS}), so over the page allocator the full-gfp attempt
     * makes one reclaim round and fails instead of looping, and the pool's wait queue is reached.
     */
    MODERN("modern");

    private final String label;

    MempoolPolicy(String label) {
        this.label = label;
    }

    /** The short name used in the {@link MempoolInfo} view. */
    public String label() {
        return label;
    }
}
