// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * mm/vmscan.c as 2.4.15 has it, cut to what kalloc needs: {@code try_to_free_pages} and
 * {@code shrink_caches}, plus the registry of {@link Shrinker}s (2.4 hard-wires
 * {@code kmem_cache_reap} and the dcache/icache shrinkers; later kernels register them).
 *
 * <p>{@code try_to_free_pages} works from priority {@link #DEF_PRIORITY} down to 1, each round
 * asking the shrinkers first and then the page cache, until {@link #SWAP_CLUSTER_MAX} pages are
 * free. It runs in the allocating task (direct reclaim, with {@code PF_MEMALLOC} set by the
 * caller) or in kswapd. Concurrent reclaimers are allowed, as in the kernel.
 */
public final class Reclaim {
    /** Start gently: scan 1/6 of each LRU first. */
    public static final int DEF_PRIORITY = 6;
    /** The goal of one reclaim call, in pages. */
    public static final int SWAP_CLUSTER_MAX = 32;

    private final Machine machine;
    private final List<Shrinker> shrinkers = new CopyOnWriteArrayList<>();
    private final LongAdder calls = new LongAdder();
    private final LongAdder pagesReclaimed = new LongAdder();

    Reclaim(Machine machine) {
        this.machine = machine;
    }

    /** Registers a shrinker; it is asked before the page cache on every reclaim round. */
    public void registerShrinker(Shrinker shrinker) {
        if (shrinker == null) {
            throw new IllegalArgumentException("shrinker must not be null");
        }
        shrinkers.add(shrinker);
    }

    /** Unregisters a shrinker; false if it was not registered. */
    public boolean unregisterShrinker(Shrinker shrinker) {
        return shrinkers.remove(shrinker);
    }

    /**
     * {@code try_to_free_pages(classzone, gfp_mask, order)}: frees up to
     * {@link #SWAP_CLUSTER_MAX} pages usable by an allocation whose first zone is
     * {@code classzone}, honouring what {@code gfp} allows (no writeback without
     * {@code __GFP_FS}).
     *
     * @return pages freed (0 means reclaim could do nothing: the out-of-memory case)
     */
    public int tryToFreePages(Zone classzone, int gfp, int order) {
        calls.increment();
        int freed = 0;
        for (int priority = DEF_PRIORITY; priority > 0 && freed < SWAP_CLUSTER_MAX; priority--) {
            freed += shrinkCaches(classzone, priority, gfp, SWAP_CLUSTER_MAX - freed);
        }
        pagesReclaimed.add(freed);
        return freed;
    }

    /** {@code shrink_caches}: the shrinkers ({@code kmem_cache_reap} first in 2.4), then the page cache. */
    private int shrinkCaches(Zone classzone, int priority, int gfp, int nrPages) {
        int freed = 0;
        for (Shrinker s : shrinkers) {
            freed += s.shrink(gfp, priority);
            if (freed >= nrPages) {
                return freed;
            }
        }
        return freed + machine.pageCache().shrinkCache(classzone, priority, gfp, nrPages - freed);
    }

    /** Calls of {@link #tryToFreePages} so far, by direct reclaim and kswapd. */
    public long calls() {
        return calls.sum();
    }

    /** Pages freed by reclaim so far. */
    public long pagesReclaimed() {
        return pagesReclaimed.sum();
    }
}
