// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.testing;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;

/**
 * Brings a machine's free lists to an exact state for a concurrency test: {@link #takeAll()}
 * allocates every free page (order 0, as a {@code PF_MEMALLOC} task, so the watermarks hold
 * nothing back), then the test gives back exactly the pfns it wants free ({@link #release}) or
 * takes pages to use otherwise ({@link #take}). Because the buddy system's state is canonical for
 * a given set of free pages (every pair that can merge has merged), the free lists that result do
 * not depend on how the allocations were served. The page-allocator and reservation jcstress
 * fixtures share it.
 *
 * <p>Invariant: the pages held are exactly those {@link #takeAll()} allocated and neither
 * {@link #release}d nor {@link #take}n. Threads: one thread, the one building the test's state,
 * before the actors start; it binds nothing and uses that thread's CPU.
 */
public final class HeldPages {
    private final Machine machine;
    /** Pages handed out by {@link #takeAll()} and still held, indexed by pfn. */
    private final Page[] held;

    public HeldPages(Machine machine) {
        this.machine = machine;
        this.held = new Page[machine.nrPages()];
    }

    /**
     * Allocates every free page of the machine as an order-0 page with {@code PF_MEMALLOC}; the
     * per-CPU lists end empty too.
     *
     * @return this, for chaining
     * @throws IllegalStateException if a page is left free or on a per-CPU list
     */
    public HeldPages takeAll() {
        for (Page p = allocMemalloc(0); p != null; p = allocMemalloc(0)) {
            held[p.pfn()] = p;
        }
        for (int z = 0; z < Zone.MAX_NR_ZONES; z++) {
            Zone zone = machine.zone(z);
            check(zone == null || zone.freePages() == 0 && zone.perCpuPages() == 0, "takeAll left pages free");
        }
        return this;
    }

    /**
     * Allocates as a {@code PF_MEMALLOC} task (one doing reclaim), which ignores the watermarks
     * and may take the very last free block. Call it from the thread that should allocate; it
     * never sleeps ({@code GFP_ATOMIC}).
     *
     * @return the block, or null if no free block of {@code order} or larger exists
     */
    public Page allocMemalloc(int order) {
        Task task = machine.current();
        int saved = task.setFlags(Task.PF_MEMALLOC);
        try {
            return machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, order);
        } finally {
            task.restoreFlags(saved);
        }
    }

    /**
     * Frees the held pages at {@code pfns}, in that order: to the buddy lists, or to the calling
     * thread's per-CPU list when those are on.
     *
     * @return this, for chaining
     * @throws IllegalStateException if a pfn is not held
     */
    public HeldPages release(int... pfns) {
        for (int pfn : pfns) {
            machine.pageAlloc().freePage(take(pfn));
        }
        return this;
    }

    /**
     * Hands the caller the held page at {@code pfn}; it leaves this bookkeeping, and the caller
     * frees it or puts it to use.
     *
     * @throws IllegalStateException if {@code pfn} is not held
     */
    public Page take(int pfn) {
        Page p = held[pfn];
        check(p != null, "pfn " + pfn + " is not held");
        held[pfn] = null;
        return p;
    }

    /** Pages still held. */
    public int count() {
        int n = 0;
        for (Page p : held) {
            if (p != null) {
                n++;
            }
        }
        return n;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("HeldPages setup: " + what);
        }
    }
}
