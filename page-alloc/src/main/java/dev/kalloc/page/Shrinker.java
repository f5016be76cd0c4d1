// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * A cache that can give memory back under pressure: what {@code kmem_cache_reap} is to 2.4's
 * {@code shrink_caches}, and what {@code struct shrinker} became in 2.5. Registered with
 * {@link Reclaim#registerShrinker(Shrinker)}; called by direct reclaim and by kswapd, before the
 * page cache is scanned.
 */
@FunctionalInterface
public interface Shrinker {
    /**
     * Frees what the cache can spare.
     *
     * <p>Context: process context, with {@code PF_MEMALLOC} set. Must honour {@code gfp}: start
     * no I/O without {@code __GFP_IO}, call no filesystem code without {@code __GFP_FS}.
     *
     * @param gfp the mask of the allocation that triggered reclaim ({@code GFP_KSWAPD} for kswapd)
     * @param priority from {@link Reclaim#DEF_PRIORITY} (gentle) down to 1 (desperate)
     * @return pages given back to the page allocator
     */
    int shrink(int gfp, int priority);
}
