// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.mempool.MempoolLevel;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.MempoolStats;
import dev.kalloc.mempool.Mempools;
import dev.kalloc.mempool.SlabMempools;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ingo Molnar's guarantee ({@link Guarantees#mempool}): each source is a {@link Mempool} with one
 * policy, of {@link Elements#prealloc()} elements, prefilled at creation.
 *
 * <p>Sizing: the pool's {@code min_nr} is the elements' {@code prealloc}; the rest of the
 * description (the in-flight count, the pages) is a reservation's business. Allocator: for the
 * bare elements of a description, mm/mempool.c's own helpers, as 2.5's drivers pass them to
 * {@code mempool_create}: {@code mempool_alloc_slab}/{@code mempool_free_slab}
 * ({@link SlabMempools}) for slab objects, {@code mempool_alloc_pages}/
 * {@code mempool_free_pages} ({@link Mempools}) for blocks, or, for blocks in a zone of their
 * own, {@code alloc_pages} with the zone ORed in (2.5's {@code page_pool_alloc} with
 * {@code __GFP_DMA} in its {@code pool_data}). A driver's own pair is called through one
 * adapter. Owner checks are not installed, as 2.5.1's drivers installed none.
 */
final class MempoolGuarantee implements Guarantee {
    private final Machine machine;
    private final MempoolPolicy policy;
    private final GuaranteeKind kind;

    MempoolGuarantee(Machine machine, MempoolPolicy policy) {
        this.machine = machine;
        this.policy = policy;
        this.kind = GuaranteeKind.ofPolicy(policy);
    }

    @Override
    public GuaranteeKind kind() {
        return kind;
    }

    @Override
    public <E> ElementSource<E> source(String name, Elements<E> elements) {
        if (elements.machine() != null && elements.machine() != machine) {
            throw new IllegalArgumentException("mempool " + name + ": elements of " + elements.machine()
                    + ", guarantee of " + machine);
        }
        Mempool<E> pool = Mempool.builder(name, elements.prealloc(), allocFn(elements), freeFn(elements))
                .machine(machine).policy(policy).create();
        if (pool == null) {
            throw new IllegalStateException("mempool " + name + ": could not prefill " + elements.prealloc()
                    + " elements");
        }
        return new PoolSource<>(pool, kind);
    }

    /**
     * The pool's {@code mempool_alloc_t}. The casts are sound: a description without an
     * allocator of its own is made only by {@link Elements#slabObjects}, whose element type is
     * the cache's, or by {@link Elements#pages}, whose element type is {@link Page}.
     */
    @SuppressWarnings("unchecked")
    private <E> MempoolAllocFn<E> allocFn(Elements<E> e) {
        if (e.ownAllocator()) {
            ElementAllocFn<E> alloc = e.alloc();
            return alloc::alloc;
        }
        if (e.cache() != null) {
            return (MempoolAllocFn<E>) SlabMempools.allocSlab(e.cache());
        }
        int zones = e.zones();
        int order = e.order();
        MempoolAllocFn<Page> pages = zones == 0 ? Mempools.allocPages(machine, order)
                : gfp -> machine.pageAlloc().allocPages(gfp | zones, order);
        return (MempoolAllocFn<E>) pages;
    }

    /** The pool's {@code mempool_free_t}; the casts as in {@link #allocFn}. */
    @SuppressWarnings("unchecked")
    private <E> MempoolFreeFn<E> freeFn(Elements<E> e) {
        if (e.ownAllocator()) {
            ElementFreeFn<E> free = e.free();
            return free::free;
        }
        if (e.cache() != null) {
            return (MempoolFreeFn<E>) SlabMempools.freeSlab(e.cache());
        }
        return (MempoolFreeFn<E>) Mempools.freePages(machine, e.order());
    }

    @Override
    public String toString() {
        return "mempool(" + policy.label() + ")";
    }

    /** A source that is a pool: {@code mempool_alloc}/{@code mempool_free}, counted. */
    private static final class PoolSource<E> extends CountedSource<E> {
        private final Mempool<E> pool;

        PoolSource(Mempool<E> pool, GuaranteeKind kind) {
            super(pool.name(), kind);
            this.pool = pool;
        }

        @Override
        public E alloc(int gfp) {
            return counted(pool.alloc(gfp));
        }

        @Override
        public void free(E element) {
            if (element != null) {
                pool.free(element);
                outstanding.decrementAndGet();
            }
        }

        @Override
        public void destroy() {
            pool.destroy();
        }

        /**
         * {@code served_<level>} for the five levels of {@code mempool_alloc} (the column names
         * of the mempoolinfo view: nowait, half_full, full_gfp, nonempty, waited), then
         * {@code freed_to_pool}, {@code freed_to_alloc}, {@code waits}, {@code wait_ns},
         * {@code wait_timeouts} (modern sleeps ended by their 5 s timeout rather than a free: a
         * stall, or a lost wake-up), {@code failures}, and the pool's size now: {@code min_nr},
         * {@code curr_nr}.
         */
        @Override
        public Map<String, Long> counters() {
            MempoolStats s = pool.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            for (MempoolLevel level : MempoolLevel.values()) {
                c.put("served_" + level.column(), s.served(level));
            }
            c.put("freed_to_pool", s.freedToPool());
            c.put("freed_to_alloc", s.freedToAllocator());
            c.put("waits", s.waits());
            c.put("wait_ns", s.waitNanos());
            c.put("wait_timeouts", pool.waitTimeouts());
            c.put("failures", s.failures());
            c.put("min_nr", (long) s.minNr());
            c.put("curr_nr", (long) s.currNr());
            return Collections.unmodifiableMap(c);
        }
    }
}
