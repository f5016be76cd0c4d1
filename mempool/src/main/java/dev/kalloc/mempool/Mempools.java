// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.function.Predicate;

/**
 * Ready-made allocate/free pairs for {@link Mempool}, the kernel's helpers of mm/mempool.c:
 * {@code mempool_alloc_pages}/{@code mempool_free_pages} with {@code mempool_create_page_pool}
 * (2.6.16, Matthew Dobson's critical_mempools work; in 2.5.1 mm/highmem.c had its own
 * {@code page_pool_alloc}/{@code page_pool_free}), and a pool drawing on another pool, the
 * stacking raid1's resync buffers use.
 *
 * <p>Each pair captures what the kernel passes as {@code pool_data} (the machine and the order;
 * the inner pool). None keeps state of its own.
 */
public final class Mempools {
    private Mempools() {
    }

    // ---------------------------------------------------------------------------------------
    // Pages of a given order
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_alloc_pages}: {@code alloc_pages(gfp, order)} on {@code machine}. Context as
     * {@code alloc_pages}: it sleeps only if {@code gfp} has {@code __GFP_WAIT}, and returns null
     * when the page allocator does.
     *
     * @throws IllegalArgumentException for an order outside {@code [0, MAX_ORDER)}
     */
    public static MempoolAllocFn<Page> allocPages(Machine machine, int order) {
        checkOrder(machine, order);
        return gfp -> machine.pageAlloc().allocPages(gfp, order);
    }

    /**
     * {@code mempool_free_pages}: {@code __free_pages(page, order)} on {@code machine}. Never
     * sleeps; any context. A null page is a {@link dev.kalloc.kernel.KernelBug}, as
     * {@code __free_pages(NULL)} is.
     *
     * @throws IllegalArgumentException for an order outside {@code [0, MAX_ORDER)}
     */
    public static MempoolFreeFn<Page> freePages(Machine machine, int order) {
        checkOrder(machine, order);
        return page -> machine.pageAlloc().freePages(page, order);
    }

    /**
     * The owner check of a page pool, from the page's own state: the page belongs to
     * {@code machine} and heads an allocated block of {@code order}. It catches a page of another
     * machine or of another order, a tail page, and a page already given back to the page
     * allocator; it cannot tell a page of this pool from another allocated page of the same
     * order (see "Element origin" in {@link Mempool}). Cost: a few plain reads of the page.
     */
    public static Predicate<Page> ownsPage(Machine machine, int order) {
        checkOrder(machine, order);
        return page -> page.zone().machine() == machine && page.isAllocated() && page.order() == order;
    }

    /**
     * {@code mempool_create_page_pool(min_nr, order)} as a builder, preset with the page pair,
     * the page owner check and the machine; set a policy or hooks, then {@code create()}.
     *
     * @throws IllegalArgumentException for a bad name, {@code minNr < 1} or a bad order
     */
    public static Mempool.Builder<Page> pagePool(Machine machine, String name, int minNr, int order) {
        return Mempool.builder(name, minNr, allocPages(machine, order), freePages(machine, order))
                .machine(machine)
                .ownerCheck(ownsPage(machine, order));
    }

    /**
     * {@code mempool_create_page_pool(min_nr, order)}: a 2.5.1-policy pool of
     * {@code 2^order}-page blocks, prefilled with {@code GFP_KERNEL}.
     *
     * <p>Context: may sleep; process context only.
     *
     * @return the pool, or null if the prefill failed
     */
    public static Mempool<Page> createPagePool(Machine machine, String name, int minNr, int order) {
        return pagePool(machine, name, minNr, order).create();
    }

    private static void checkOrder(Machine machine, int order) {
        if (machine == null) {
            throw new IllegalArgumentException("a page pool needs a machine");
        }
        int maxOrder = machine.config().maxOrder();
        if (order < 0 || order >= maxOrder) {
            throw new IllegalArgumentException("page order " + order + " is outside [0, MAX_ORDER=" + maxOrder + ")");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Another mempool
    // ---------------------------------------------------------------------------------------

    /**
     * Allocation from another pool: {@code mempool_alloc(inner, gfp)}. The outer pool's first
     * attempt passes a gfp without {@code __GFP_WAIT}, so it takes from the inner pool's reserve
     * without sleeping on it; only the outer pool's full-gfp attempt may sleep in the inner one.
     */
    public static <E> MempoolAllocFn<E> allocFromPool(Mempool<E> inner) {
        if (inner == null) {
            throw new IllegalArgumentException("allocFromPool needs an inner pool");
        }
        return inner::alloc;
    }

    /** Freeing to another pool: {@code mempool_free(element, inner)}. */
    public static <E> MempoolFreeFn<E> freeToPool(Mempool<E> inner) {
        if (inner == null) {
            throw new IllegalArgumentException("freeToPool needs an inner pool");
        }
        return inner::free;
    }

    /**
     * A pool of {@code minNr} elements drawn from {@code inner}, as a builder preset with the
     * pair and {@code inner}'s machine. The outer pool's prefill takes {@code minNr} elements out
     * of {@code inner}, so {@code inner} cannot be destroyed before the outer pool is.
     */
    public static <E> Mempool.Builder<E> stackedPool(String name, int minNr, Mempool<E> inner) {
        return Mempool.builder(name, minNr, allocFromPool(inner), freeToPool(inner)).machine(inner.machine());
    }
}
