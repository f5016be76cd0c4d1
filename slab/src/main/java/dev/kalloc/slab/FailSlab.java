// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.kernel.FaultAttr;
import dev.kalloc.page.Gfp;

/**
 * failslab (mm/failslab.c, 2.6.20): fault injection for slab allocations on top of a
 * {@link FaultAttr} (probability, interval, times, space, seed). A failed allocation returns 0,
 * exactly as if the cache could not grow.
 *
 * <p>As in the kernel, the cache of cache descriptors ({@code kmem_cache}) never fails, and with
 * {@code ignore-gfp-wait} (the kernel default) allocations that may sleep never fail. With
 * {@code cache-filter} on, only caches marked with {@link KmemCache#setFailslab(boolean)} fail
 * (the kernel's {@code SLAB_FAILSLAB} flag).
 *
 * <p>Thread-safe: the knobs are volatile; the attribute serialises its own state.
 */
public final class FailSlab {
    private final FaultAttr attr = new FaultAttr();
    private volatile boolean ignoreGfpWait = true;
    private volatile boolean cacheFilter;

    /** The underlying knobs: probability, interval, times, space, seed. */
    public FaultAttr attr() {
        return attr;
    }

    /** {@code ignore-gfp-wait}: when true (the default), allocations with __GFP_WAIT never fail. */
    public FailSlab ignoreGfpWait(boolean ignore) {
        this.ignoreGfpWait = ignore;
        return this;
    }

    /** {@code cache-filter}: when true, only caches marked for failslab may fail. */
    public FailSlab cacheFilter(boolean filter) {
        this.cacheFilter = filter;
        return this;
    }

    /** {@code should_failslab(cachep, gfpflags)}. */
    boolean shouldFail(KmemCache<?> cachep, int flags) {
        if (!attr.enabled() || cachep.isCacheCache()) {
            return false;
        }
        if (ignoreGfpWait && (flags & Gfp.__GFP_WAIT) != 0) {
            return false;
        }
        if (cacheFilter && !cachep.failslab()) {
            return false;
        }
        return attr.shouldFail(cachep.objsize());
    }

    @Override
    public String toString() {
        return "failslab: " + attr + " ignore-gfp-wait=" + ignoreGfpWait + " cache-filter=" + cacheFilter;
    }
}
