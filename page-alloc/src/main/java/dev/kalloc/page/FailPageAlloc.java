// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.FaultAttr;

/**
 * fail_page_alloc (mm/page_alloc.c, {@code should_fail_alloc_page}): fault injection for page
 * allocations, on top of a {@link FaultAttr}. Requests below {@code minOrder}, and optionally
 * sleeping or highmem requests, are never failed.
 */
public final class FailPageAlloc {
    private final FaultAttr attr = new FaultAttr();
    private volatile int minOrder;
    private volatile boolean ignoreGfpWait = true;
    private volatile boolean ignoreGfpHighmem = true;

    /** The underlying knobs: probability, interval, times, space, seed. */
    public FaultAttr attr() {
        return attr;
    }

    /** {@code min-order}: only requests of at least this order may fail. */
    public FailPageAlloc minOrder(int order) {
        if (order < 0) {
            throw new IllegalArgumentException("fail_page_alloc min-order " + order + " must be >= 0");
        }
        this.minOrder = order;
        return this;
    }

    /** {@code ignore-gfp-wait}: when true (the kernel default), sleeping allocations never fail. */
    public FailPageAlloc ignoreGfpWait(boolean ignore) {
        this.ignoreGfpWait = ignore;
        return this;
    }

    /** {@code ignore-gfp-highmem}: when true (the kernel default), highmem allocations never fail. */
    public FailPageAlloc ignoreGfpHighmem(boolean ignore) {
        this.ignoreGfpHighmem = ignore;
        return this;
    }

    /** {@code should_fail_alloc_page}. */
    boolean shouldFail(int gfp, int order) {
        if (!attr.enabled() || order < minOrder) {
            return false;
        }
        if (ignoreGfpHighmem && (gfp & Gfp.__GFP_HIGHMEM) != 0) {
            return false;
        }
        if (ignoreGfpWait && (gfp & Gfp.__GFP_WAIT) != 0) {
            return false;
        }
        return attr.shouldFail(1L << order);
    }

    @Override
    public String toString() {
        return "fail_page_alloc: " + attr + " min-order=" + minOrder + " ignore-gfp-wait=" + ignoreGfpWait
                + " ignore-gfp-highmem=" + ignoreGfpHighmem;
    }
}
