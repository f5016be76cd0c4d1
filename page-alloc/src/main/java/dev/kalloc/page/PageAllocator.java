// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.kernel.WaitQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * mm/page_alloc.c: {@code __alloc_pages} with its watermark passes and slow path, the per-CPU
 * front end of 2.5.45 ({@code buffered_rmqueue}, {@code free_hot_cold_page}), and the free entry
 * points ({@code __free_pages}, {@code free_pages}, {@code put_page}). The buddy lists themselves
 * live in {@link Zone}.
 *
 * <h2>The passes of {@code __alloc_pages} (2.4.15 / 2.5.1)</h2>
 * <ol>
 *   <li>Fast pass: walk the zonelist with a threshold that starts at {@code 2^order} and
 *       accumulates each zone's {@code pages_low}; take from the first zone whose free pages
 *       exceed it. The accumulation protects lower zones from higher-zone callers.</li>
 *   <li>Mark the first zone {@code need_balance} and wake kswapd.</li>
 *   <li>Second pass with {@code pages_min} accumulated, a quarter of it for callers that may not
 *       sleep (GFP_ATOMIC).</li>
 *   <li>LaHaise's branch: if the task has a reservation in force ({@link PageReservation#SLOT},
 *       {@code current->page_reservations}), it is asked for the block
 *       ({@link PageReservation#allocFromReservation}), which takes one of its reserved pages or
 *       drops a clean page-cache page to make one. Only allocations the passes above failed
 *       reach it; the fast pass has nothing added.</li>
 *   <li>Rebalance: a {@code PF_MEMALLOC}/{@code PF_MEMDIE} task takes any free page, ignoring
 *       watermarks; a caller that may not sleep gets null; otherwise direct reclaim
 *       ({@code try_to_free_pages}) and a third pass with {@code pages_min}. Orders above 3 give
 *       up there; smaller ones yield and retry.</li>
 * </ol>
 * "Free" everywhere is {@link Zone#freeUnreserved()}: LaHaise's {@code free_pages -
 * reserved_pages}, with the reserved pages that clean page-cache pages back (his December 2001
 * refinement) given back to ordinary allocations, including {@code PF_MEMALLOC} ones. The test
 * that holds is made under the zone lock in {@code rmqueue} (see {@link Zone}).
 *
 * <h2>Reservations</h2>
 * The accounting lives here and in {@link Zone}, as LaHaise argued it should: the public
 * primitives {@link #reservePages} ({@code reserve_pages}: admission), {@link #allocFromReserve}
 * (allocation from a reservation), {@link #putReservedPages} and {@link #destroyReserve} work on
 * a {@link ReserveAccount} under the zone locks. The free path has one accounted branch: a block
 * allocated from a multishot reservation ({@link Page#reserveAccount()}), a pinned clean orphan
 * of the page cache, or any block while a zone owes pages to a waiting admission goes to the
 * buddy lists under the zone lock with its quota, and never to a per-CPU list (the patch also
 * skipped the per-CPU path while a reservation was depleted). The primitives' code is in
 * {@link ReservePrimitives}: it is reached only through a reservation, never from the passes
 * themselves.
 *
 * <p>Fault injection is checked first, as {@code should_fail_alloc_page} is. An injected
 * failure stands for "the normal passes failed", so a task with a reservation in force goes to
 * its reservation and gets the page from there; only allocations outside a reservation (or
 * beyond its quota) fail.
 *
 * <h2>The 2.6 modifiers</h2>
 * Two bits from 2.6's {@code __alloc_pages}, for the modern mempool (see {@link Gfp}):
 * {@link Gfp#__GFP_NORETRY} ends the slow path after its one direct-reclaim round and third
 * pass, as an order above 3 does, so it never reaches the {@link OomPolicy} (no OOM round, no
 * report, no sleep on {@link #allocWait}); {@link Gfp#__GFP_NOMEMALLOC} gives a
 * {@code PF_MEMALLOC}/{@code PF_MEMDIE} task null where it would have taken pages below the
 * watermarks. Neither touches the passes before rebalance, nor a task's reservation (its own
 * pages, not the emergency reserve). {@link Gfp#__GFP_NOWARN} has nothing to silence here.
 *
 * <h2>Where it differs from the kernel</h2>
 * <ul>
 *   <li>When reclaim frees nothing, 2.4 calls {@code out_of_memory()} and loops with
 *       {@code SCHED_YIELD}. Here the {@link OomPolicy} decides: fail after N fruitless rounds,
 *       (yielding between rounds, as 2.4 does), or sleep on {@link #allocWait} until a free or a
 *       writeback completion, and every such
 *       round is reported to the machine's OOM listener. Before sleeping the per-CPU lists are
 *       drained, as later kernels' {@code drain_all_pages} does, so no free page hides there.</li>
 *   <li>2.4's {@code balance_classzone} keeps pages freed during direct reclaim on the task's
 *       private {@code local_pages} list; 2.5 dropped that, and so does the port: they go to the
 *       free lists and the third pass takes them.</li>
 *   <li>{@code __free_pages} of a page that still has other references is reported as misuse
 *       rather than treated as a {@code put_page}; use {@link #putPage(Page)} to drop a
 *       reference.</li>
 * </ul>
 *
 * <h2>Context</h2>
 * Allocations with {@code __GFP_WAIT} may sleep and must not come from interrupt context (a
 * {@link KernelBug}). Without {@code __GFP_WAIT} they never sleep and may return null. Frees never
 * sleep and may come from any context.
 */
public final class PageAllocator {
    /** 2.4: orders above this do not loop in the slow path. */
    static final int COSTLY_ORDER = 3;

    private final Machine machine;
    private final Zone[][] zonelists;
    private final int maxOrder;
    private final FailPageAlloc failPageAlloc = new FailPageAlloc();
    /** Sleeping allocations that reclaim could not help wait here; frees wake them. */
    final WaitQueue allocWait = new WaitQueue();
    /** Bumped when writeback completes, so a sleeper can tell reclaimable pages appeared. */
    final AtomicLong writebackEvents = new AtomicLong();
    /**
     * Sleepers waiting for free + clean pages to grow or a clean page to become droppable
     * (dirty throttling, a reservation whose clean pages are all pinned). While it is not 0, an
     * unpin of a cached page and a page added to the cache bump {@link #backingEvents} and wake
     * {@link #allocWait}; otherwise they cost one volatile read.
     */
    final AtomicInteger backingWaiters = new AtomicInteger();
    /** Bumped by those events, so a sleeper can tell one happened since it looked. */
    final AtomicLong backingEvents = new AtomicLong();

    private final LongAdder allocStalls = new LongAdder();
    private final LongAdder allocFailures = new LongAdder();
    private final LongAdder oomRounds = new LongAdder();
    /** LaHaise's primitives behind {@link #reservePages} and its siblings. */
    private final ReservePrimitives reserve;

    PageAllocator(Machine machine, Zone[][] zonelists, int maxOrder) {
        this.machine = machine;
        this.zonelists = zonelists;
        this.maxOrder = maxOrder;
        this.reserve = new ReservePrimitives(machine, this);
    }

    /** fail_page_alloc's knobs for this machine. */
    public FailPageAlloc failPageAlloc() {
        return failPageAlloc;
    }

    /**
     * {@code wait_queue_head_t} sleeping allocations wait on: woken by every free that finds a
     * sleeper, by writeback completions, and by releases of reserved pages. Reservation
     * admissions and dirtiers throttled by reservations sleep here too.
     */
    public WaitQueue allocWait() {
        return allocWait;
    }

    /** The zonelist {@code gfp} allocates from: its highest usable zone first, empty zones skipped. */
    public Zone[] zonelist(int gfp) {
        return zonelists[Gfp.highestZone(gfp)].clone();
    }

    // ---------------------------------------------------------------------------------------
    // Allocation
    // ---------------------------------------------------------------------------------------

    /**
     * {@code alloc_pages(gfp_mask, order)}: allocates {@code 2^order} physically contiguous pages.
     *
     * <p>Context: may sleep if {@code gfp} has {@code __GFP_WAIT}; then it must not be called
     * from interrupt context. Returns null if the request cannot be met: always possible without
     * {@code __GFP_WAIT}, possible for sleeping requests above order 3 or with
     * {@code __GFP_NORETRY} (after one reclaim round), or when the machine's
     * {@link OomPolicy} gives up, and at once when the machine has no zone the mask may use
     * ({@code GFP_DMA} on a machine without ZONE_DMA).
     *
     * @return the head page of the block, with count 1, or null
     * @throws IllegalArgumentException for an order outside {@code [0, MAX_ORDER)} or unknown gfp bits
     * @throws KernelBug for a sleeping allocation in interrupt context
     */
    public Page allocPages(int gfp, int order) {
        checkOrder(order);
        Gfp.check(gfp);
        Task task = machine.current();
        if ((gfp & Gfp.__GFP_WAIT) != 0 && task.inInterrupt()) {
            throw sleepingInInterrupt(gfp, order, task);
        }
        Zone[] zl = zonelists[Gfp.highestZone(gfp)];
        if (failPageAlloc.shouldFail(gfp, order)) {
            return injectedFailure(gfp, order, zl, task);
        }
        if (zl.length == 0) {
            return failed(); // 2.4: "if (classzone == NULL) return NULL", e.g. GFP_DMA without a DMA zone
        }
        long min = 1L << order;
        for (Zone z : zl) {
            min += z.pagesLow;
            if (z.freeUnreserved() > min) {
                Page page = bufferedRmqueue(z, order, gfp, task);
                if (page != null) {
                    return page;
                }
            }
        }
        return allocPagesSlow(gfp, order, zl, task);
    }

    private static KernelBug sleepingInInterrupt(int gfp, int order, Task task) {
        return new KernelBug("sleeping allocation (" + Gfp.toString(gfp) + ", order " + order
                + ") from interrupt context in " + task);
    }

    /** fail_page_alloc said fail: the normal passes count as failed, the reservation still serves. */
    private Page injectedFailure(int gfp, int order, Zone[] zl, Task task) {
        PageReservation rsv = task.get(PageReservation.SLOT);
        if (rsv != null && zl.length != 0) {
            Page page = rsv.allocFromReservation(gfp, order, zl);
            if (page != null) {
                return page;
            }
        }
        allocFailures.increment();
        return null;
    }

    /** {@code alloc_page(gfp_mask)}. */
    public Page allocPage(int gfp) {
        return allocPages(gfp, 0);
    }

    /**
     * {@code __get_free_pages}: like {@link #allocPages} but returns the physical address of the
     * block, or 0 on failure (pfn 0 is reserved at boot, so 0 is never a block's address).
     */
    public long getFreePages(int gfp, int order) {
        Page page = allocPages(gfp, order);
        return page == null ? 0 : page.physAddr();
    }

    /** {@code get_zeroed_page}: one page, zero-filled, by address; 0 on failure. */
    public long getZeroedPage(int gfp) {
        Page page = allocPages(gfp, 0);
        if (page == null) {
            return 0;
        }
        machine.memory().fill(page.physAddr(), PhysicalMemory.PAGE_SIZE, (byte) 0);
        return page.physAddr();
    }

    private Page allocPagesSlow(int gfp, int order, Zone[] zl, Task task) {
        zl[0].needBalance = true;
        machine.kswapdWake();

        long min = 1L << order;
        for (Zone z : zl) {
            int localMin = z.pagesMin;
            if ((gfp & Gfp.__GFP_WAIT) == 0) {
                localMin >>= 2;
            }
            min += localMin;
            if (z.freeUnreserved() > min) {
                Page page = bufferedRmqueue(z, order, gfp, task);
                if (page != null) {
                    return page;
                }
            }
        }
        // LaHaise: "one additional branch for the uncommon case".
        PageReservation rsv = task.get(PageReservation.SLOT);
        if (rsv != null) {
            Page page = rsv.allocFromReservation(gfp, order, zl);
            if (page != null) {
                return page;
            }
        }
        return rebalance(gfp, order, zl, task);
    }

    private Page rebalance(int gfp, int order, Zone[] zl, Task task) {
        int fruitless = 0;
        for (;;) {
            if ((task.flags() & (Task.PF_MEMALLOC | Task.PF_MEMDIE)) != 0) {
                // 2.6: __GFP_NOMEMALLOC refuses the reserve, and the task, reclaiming already,
                // does not recurse into direct reclaim either: it fails here.
                if ((gfp & Gfp.__GFP_NOMEMALLOC) != 0) {
                    return failed();
                }
                for (Zone z : zl) {
                    Page page = bufferedRmqueue(z, order, gfp, task);
                    if (page != null) {
                        return page;
                    }
                }
                return failed();
            }
            if ((gfp & Gfp.__GFP_WAIT) == 0) {
                return failed();
            }
            allocStalls.increment();
            long writebackSeen = writebackEvents.get();
            int freed = directReclaim(zl[0], gfp, order, task);
            Page page = minPass(zl, order, gfp, task);
            if (page != null) {
                return page;
            }
            // 2.6's __GFP_NORETRY: one reclaim round, then give up before the OOM policy, so a
            // caller with a fallback (a mempool's own wait queue) gets to use it.
            if (order > COSTLY_ORDER || (gfp & Gfp.__GFP_NORETRY) != 0) {
                return failed();
            }
            if (freed > 0) {
                fruitless = 0;
                Thread.yield(); // SCHED_YIELD: let whoever is freeing run, then try again
                continue;
            }
            fruitless++;
            oomRounds.increment();
            OomPolicy policy = machine.config().oomPolicy();
            machine.reportOom(gfp, order, fruitless, task);
            if (!policy.waits()) {
                if (fruitless >= policy.rounds()) {
                    // Last chance before failing: pages parked on per-CPU lists are free too.
                    page = drainAllPages() > 0 ? minPass(zl, order, gfp, task) : null;
                    return page != null ? page : failed();
                }
                Thread.yield(); // 2.4: SCHED_YIELD and goto rebalance
                continue;
            }
            waitForFreePages(zl, order, writebackSeen);
        }
    }

    /** {@code balance_classzone}: direct reclaim with PF_MEMALLOC set, so reclaim's own allocations pass. */
    int directReclaim(Zone classzone, int gfp, int order, Task task) {
        int saved = task.setFlags(Task.PF_MEMALLOC);
        try {
            return machine.reclaim().tryToFreePages(classzone, gfp, order);
        } finally {
            task.restoreFlags(saved);
        }
    }

    private Page minPass(Zone[] zl, int order, int gfp, Task task) {
        long min = 1L << order;
        for (Zone z : zl) {
            min += z.pagesMin;
            if (z.freeUnreserved() > min) {
                Page page = bufferedRmqueue(z, order, gfp, task);
                if (page != null) {
                    return page;
                }
            }
        }
        return null;
    }

    private boolean minPassWouldPass(Zone[] zl, int order) {
        long min = 1L << order;
        for (Zone z : zl) {
            min += z.pagesMin;
            if (z.freeUnreserved() > min) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sleeps until something may have changed: a free (which wakes {@link #allocWait}) or a
     * writeback completion. Queue first, then drain the per-CPU lists and re-test: a free before
     * the queueing is visible to the re-test, one after it finds us queued.
     */
    private void waitForFreePages(Zone[] zl, int order, long writebackSeen) {
        WaitQueue.Entry wait = allocWait.prepareToWait(false);
        try {
            drainAllPages();
            if (minPassWouldPass(zl, order) || writebackEvents.get() != writebackSeen) {
                return;
            }
            allocWait.schedule(wait);
        } finally {
            allocWait.finishWait(wait);
        }
    }

    private Page failed() {
        allocFailures.increment();
        return null;
    }

    /**
     * {@code buffered_rmqueue} (2.5.45): order-0 requests go through this CPU's hot or cold list,
     * refilled {@code batch} pages at a time when it falls to {@code low}; everything else, and
     * everything when per-CPU lists are off, comes straight from the buddy lists.
     */
    private Page bufferedRmqueue(Zone zone, int order, int gfp, Task task) {
        if (order == 0 && zone.pageset != null) {
            PerCpuPages pcp = zone.pageset[task.cpu()][(gfp & Gfp.__GFP_COLD) != 0 ? 1 : 0];
            pcp.lock();
            try {
                if (pcp.count <= pcp.low) {
                    zone.rmqueueBulk(pcp.batch, pcp);
                }
                Page page = pcp.removeFirst();
                if (page != null) {
                    prepNewPage(page, 0);
                    return page;
                }
            } finally {
                pcp.unlock();
            }
        }
        zone.lock.lock();
        try {
            Page page = zone.rmqueueLocked(order);
            if (page != null) {
                prepNewPage(page, order);
            }
            return page;
        } finally {
            zone.lock.unlock();
        }
    }

    private static final int PREP_CLEARED = 1 << Page.PG_referenced | 1 << Page.PG_dirty | 1 << Page.PG_uptodate
            | 1 << Page.PG_error;

    /**
     * {@code prep_new_page}: the block is the caller's now, with one reference. The four
     * {@code clear_bit} calls are one atomic operation, and none at all when the bits are clear
     * already (the common case: a free clears two of them); nobody else may change the flags of
     * a free page, so a clear that finds nothing to clear is the same as one made atomically.
     */
    static void prepNewPage(Page page, int order) {
        assert page.reserve == null : page + " comes off the free lists still recording " + page.reserve;
        page.state = Page.STATE_ALLOCATED;
        page.order = order;
        if ((page.flags() & PREP_CLEARED) != 0) {
            page.clearFlags(PREP_CLEARED);
        }
        page.setCount(1);
    }

    // ---------------------------------------------------------------------------------------
    // Freeing
    // ---------------------------------------------------------------------------------------

    /**
     * {@code __free_pages(page, order)}: gives a block back. The caller must hold the only
     * reference. Never sleeps; any context.
     *
     * <p>Null is a bug, as in the kernel, where {@code __free_pages(NULL)} oopses; only the
     * address form {@link #freePagesAddr} takes 0 as "nothing" ({@code free_pages(0)}).
     *
     * @throws IllegalArgumentException for an order outside {@code [0, MAX_ORDER)}
     * @throws KernelBug for a null page, a double free, a tail page, a wrong order, a page with
     *         references left, a page still in the page cache or still marked as slab; nothing is
     *         changed
     */
    public void freePages(Page page, int order) {
        checkOrder(order);
        checkFreeable(page, order);
        if (!page.casCount(1, 0)) {
            throw notSoleReference(page);
        }
        freePagesOk(page, order);
    }

    private static KernelBug notSoleReference(Page page) {
        int count = page.count();
        return new KernelBug(count <= 0 ? "double free of " + page
                : "freeing " + page + " with " + count + " references (put_page the others first)");
    }

    /** {@code __free_page(page)}. */
    public void freePage(Page page) {
        freePages(page, 0);
    }

    /**
     * {@code free_pages(addr, order)}: frees the block at physical address {@code addr}. As in the
     * kernel, address 0 is "no block" and does nothing (callers free what a failed
     * {@code __get_free_pages} returned without a check); pfn 0 is never handed out here.
     */
    public void freePagesAddr(long addr, int order) {
        if (addr == 0) {
            return;
        }
        if ((addr & ~PhysicalMemory.PAGE_MASK) != 0) {
            throw new IllegalArgumentException(String.format("free_pages: address 0x%x is not page aligned", addr));
        }
        freePages(machine.physToPage(addr), order);
    }

    /**
     * {@code put_page}: drops one reference; the last one frees the block with the order it was
     * allocated with.
     *
     * @throws KernelBug if the page is null (the kernel oopses), not allocated, or the last
     *         reference of a page-cache page is dropped while it is still in the cache
     */
    public void putPage(Page page) {
        if (page == null) {
            throw new KernelBug("put_page(NULL): no page to drop a reference of");
        }
        if (page.state != Page.STATE_ALLOCATED) {
            throw new KernelBug("put_page on " + page + ", which is " + Page.stateName(page.state));
        }
        if (page.count() == 1) {
            checkFreeable(page, page.order);
        }
        if (page.putTestZero()) {
            freePagesOk(page, page.order);
        } else if (backingWaiters.get() != 0 && page.mapping != null) {
            backingChanged(); // an unpinned cached page may be droppable now
        }
    }

    /** Flags a block must not have when it is freed; any of them sends the check to {@link #freeableBug}. */
    private static final int NOT_FREEABLE = 1 << Page.PG_reserved | 1 << Page.PG_lru | 1 << Page.PG_slab
            | 1 << Page.PG_writeback | 1 << Page.PG_locked;

    /**
     * The misuse checks of a free, nothing changed if one fails. The common case is one read of
     * each field (the flags once, not once per bit); the messages are built out of line so that
     * this stays small enough to inline.
     */
    private void checkFreeable(Page page, int order) {
        if (page == null || page.zone().machine() != machine || page.state != Page.STATE_ALLOCATED || page.order != order
                || (page.flags() & NOT_FREEABLE) != 0 || page.mapping != null) {
            throw freeableBug(page, order);
        }
    }

    private RuntimeException freeableBug(Page page, int order) {
        try {
            checkFreeableSlow(page, order);
        } catch (RuntimeException e) {
            return e;
        }
        return new KernelBug("freeing " + page + ": it changed while it was being checked (a racing free?)");
    }

    private void checkFreeableSlow(Page page, int order) {
        if (page == null) {
            throw new KernelBug("__free_pages(NULL, " + order + "): no block to free (the kernel oopses here; free_pages(0)"
                    + " is the form that takes 'nothing')");
        }
        if (page.zone().machine() != machine) {
            throw new IllegalArgumentException(page + " belongs to another machine");
        }
        byte state = page.state;
        if (state == Page.STATE_BUDDY || state == Page.STATE_PCP) {
            throw new KernelBug("double free of " + page + ": it is already " + Page.stateName(state));
        }
        if (state != Page.STATE_ALLOCATED) {
            throw new KernelBug("freeing " + page + ", which is not the head of an allocated block "
                    + "(a tail page, or never allocated)");
        }
        if (page.order != order) {
            throw new KernelBug("freeing " + page + " with order " + order + ", but it was allocated with order "
                    + page.order);
        }
        if (page.testFlag(Page.PG_reserved)) {
            throw new KernelBug("freeing reserved " + page);
        }
        if (page.mapping != null || page.testFlag(Page.PG_lru)) {
            throw new KernelBug("freeing " + page + " while it is still in the page cache");
        }
        if (page.testFlag(Page.PG_slab)) {
            throw new KernelBug("freeing " + page + " while it is still marked PG_slab");
        }
        if (page.testFlag(Page.PG_writeback) || page.testFlag(Page.PG_locked)) {
            throw new KernelBug("freeing " + page + " while it is locked or under writeback");
        }
    }

    private static final int FREE_CLEARED = 1 << Page.PG_referenced | 1 << Page.PG_dirty | 1 << Page.PG_orphan;

    /**
     * {@code __free_pages_ok} after the checks: per-CPU list for order 0, buddy lists otherwise,
     * and the accounted branch (see the class comment) for reserved quota, pinned orphans and
     * zones owing pages. The flag clear is one atomic operation that also reports the orphan
     * bit; it pairs with the page cache setting that bit before dropping its reference.
     */
    void freePagesOk(Page page, int order, boolean cold) {
        // The count already dropped to 0 with a volatile RMW that read the page cache's own
        // decrement, made after it set PG_orphan, so a plain read sees that bit; the atomic
        // clear is needed only when there is something to clear.
        int old = page.flags();
        if ((old & FREE_CLEARED) != 0) {
            old = page.clearFlags(FREE_CLEARED);
        }
        Zone zone = page.zone();
        boolean orphan = (old & 1 << Page.PG_orphan) != 0;
        if (page.reserve != null || orphan || zone.nrDepleted != 0) {
            zone.lock.lock();
            try {
                zone.freeAccountedLocked(page, order, orphan);
            } finally {
                zone.lock.unlock();
            }
        } else if (order == 0 && zone.pageset != null) {
            freeHotColdPage(zone, page, cold);
        } else {
            zone.lock.lock();
            try {
                zone.freeOneLocked(page, order);
            } finally {
                zone.lock.unlock();
            }
        }
        if (allocWait.active()) {
            allocWait.wakeUpAll();
        }
    }

    private void freePagesOk(Page page, int order) {
        freePagesOk(page, order, false);
    }

    /** {@code free_hot_cold_page}: over {@code high}, return a batch from the cold end first. */
    private void freeHotColdPage(Zone zone, Page page, boolean cold) {
        PerCpuPages pcp = zone.pageset[machine.current().cpu()][cold ? 1 : 0];
        pcp.lock();
        try {
            if (pcp.count >= pcp.high) {
                zone.freePagesBulk(pcp.batch, pcp);
            }
            page.state = Page.STATE_PCP;
            page.order = 0;
            pcp.addFirst(page);
        } finally {
            pcp.unlock();
        }
    }

    /** {@code free_cold_page}: frees an order-0 page to the cold list (it will be reused last). */
    public void freeColdPage(Page page) {
        checkFreeable(page, 0);
        if (!page.casCount(1, 0)) {
            throw new KernelBug("freeing " + page + " with count " + page.count());
        }
        freePagesOk(page, 0, true);
    }

    /**
     * {@code drain_all_pages}: returns every per-CPU list's pages to the buddy lists. Safe from
     * any thread: each list's lock is taken.
     *
     * @return pages drained
     */
    public int drainAllPages() {
        int drained = 0;
        for (Zone zone : machine.zones()) {
            if (zone.pageset == null) {
                continue;
            }
            for (PerCpuPages[] cpu : zone.pageset) {
                for (PerCpuPages pcp : cpu) {
                    pcp.lock();
                    try {
                        int n = zone.freePagesBulk(pcp.count, pcp);
                        drained += n;
                    } finally {
                        pcp.unlock();
                    }
                }
            }
        }
        if (drained > 0 && allocWait.active()) {
            allocWait.wakeUpAll();
        }
        return drained;
    }

    /** Wakes the sleepers on {@link #allocWait}, if any: something they wait for may have changed. */
    void wakeAllocWaiters() {
        if (allocWait.active()) {
            allocWait.wakeUpAll();
        }
    }

    /** A clean page appeared or became droppable: tell the sleepers waiting for one, if any. */
    void backingChanged() {
        if (backingWaiters.get() != 0) {
            backingEvents.incrementAndGet();
            wakeAllocWaiters();
        }
    }

    /** A clean page the page cache dropped with its last reference, in a zone without reservations. */
    void freeDroppedPage(Page page) {
        freePagesOk(page, 0);
    }

    /** Called when writeback of a page completes: sleepers may now find it reclaimable. */
    void writebackCompleted() {
        // Atomic: a stale write-back of a smaller value would hide this event from a sleeper
        // that already saw the larger one (a lost wake-up).
        writebackEvents.incrementAndGet();
        if (allocWait.active()) {
            allocWait.wakeUpAll();
        }
    }

    void checkOrder(int order) {
        if (order < 0 || order >= maxOrder) {
            throw badOrder(order);
        }
    }

    private IllegalArgumentException badOrder(int order) {
        return new IllegalArgumentException("order " + order + " is outside [0, MAX_ORDER=" + maxOrder + ")");
    }

    // ---------------------------------------------------------------------------------------
    // Reservations (LaHaise, 2001): the primitives the reservation module builds on, carried
    // out by ReservePrimitives
    // ---------------------------------------------------------------------------------------

    /**
     * {@code reserve_pages(rsv, gfp_mask, count)}: reserves {@code count} more pages for
     * {@code account}, all or nothing, in the zones of its zonelist, highest first.
     *
     * <p>Admission is decided from the allocator's own accounting, under every zone lock of the
     * zonelist: the pages that can be had without I/O and without touching the emergency pool,
     * {@code sum over the zones of max(0, free + clean - reserved - pages_min)}. If they cover
     * the request it is granted at once. Otherwise a caller that may not sleep is refused and
     * nothing changes; a sleeping caller gets what is there now (held pending, unusable), owes
     * the rest, and sleeps on {@link #allocWait()} while frees, writeback completions and
     * releases repay the debt page by page, FIFO among waiting admissions (the patch's
     * {@code depleted_rsv_list}). Like the patch it first runs {@code try_to_free_pages} a few
     * times ({@value ReservePrimitives#ADMISSION_RECLAIM_ROUNDS}), which can start writeback of
     * dirty pages and shrink caches; before sleeping the per-CPU lists are drained. When the
     * debt is paid the pending pages become usable and the call returns.
     *
     * <p>Context: may sleep iff {@code gfp} has {@code __GFP_WAIT}, and then not from interrupt
     * context. Never overcommits: the sum of unused reservations never exceeds what free and
     * clean pages can produce.
     *
     * @param timeoutNanos how long a sleeping admission may wait ({@code Long.MAX_VALUE}: for as
     *        long as it takes); on timeout the pages repaid so far go back and nothing changes
     * @return how the admission ended; never null
     * @throws IllegalArgumentException for a negative count, one larger than the zones could
     *         ever hold beyond their {@code pages_min}, unknown gfp bits, or an account of
     *         another machine
     * @throws IllegalStateException if the account is destroyed or already has an admission
     *         waiting
     * @throws KernelBug for a sleeping admission from interrupt context
     */
    public ReserveAccount.Admission reservePages(ReserveAccount account, int gfp, int count, long timeoutNanos) {
        return reserve.reservePages(account, gfp, count, timeoutNanos);
    }

    /**
     * {@code put_reserved_pages(rsv, count)}: gives {@code count} unused reserved pages back to
     * the system, lowest zone first, and repays waiting admissions from them. Never sleeps; any
     * context.
     *
     * @throws IllegalArgumentException if {@code count} is negative or more than the account's
     *         unused pages (nothing changes)
     * @throws IllegalStateException if the account is destroyed
     */
    public void putReservedPages(ReserveAccount account, int count) {
        reserve.putReservedPages(account, count);
    }

    /**
     * {@code destroy_page_reservation(rsv)}: gives back every unused reserved page and retires
     * the account. Pages still allocated from it stay with their owners; freeing them later
     * returns no quota. Wakes waiting admissions. Never sleeps; any context.
     *
     * @throws IllegalStateException if the account is already destroyed or an admission for it
     *         is still waiting (nothing changes)
     */
    public void destroyReserve(ReserveAccount account) {
        reserve.destroyReserve(account);
    }

    /**
     * Allocates a block of {@code 2^order} from {@code account}'s reserved quota in the zones of
     * {@code zonelist} that hold enough of it, in zonelist order: a free block if there is one
     * (the per-CPU lists are drained once to find one), else clean page-cache pages of the zone
     * are dropped synchronously ({@code reclaimCleanPage}: no I/O, no reclaim pass) until a block
     * of the order is free, and it is taken, all under one hold of the page cache and zone
     * locks, so nobody can take the dropped page first. Neither watermarks nor the reserved-page
     * test apply: the block is one of the account's own. Fault injection does not apply either.
     *
     * <p>Because every zone keeps {@code reserved <= free + clean}, an order-0 request within
     * the quota always finds a free page or a clean one, and is served without I/O and without
     * sleeping, except in one case: every clean page of the zone is pinned by an extra
     * reference (or locked) at that instant, so none can be dropped. Then a caller with
     * {@code __GFP_WAIT} sleeps on {@link #allocWait()} until a pin is dropped, a page is freed
     * or a writeback completes (no I/O is waited for: pins are held for a copy), and a caller
     * without it gets null.
     *
     * <p>Returns null, and counts a failure, also when the account has less than {@code 2^order}
     * unused pages in every zone of {@code zonelist} (exhausted, or the allocation's zones are
     * not the reservation's), and for an order above 0 when no block of that order can be
     * assembled because free memory is fragmented: a reservation promises pages, not
     * contiguity. The caller then continues as if there were no reservation.
     *
     * @return the head page of the block with count 1, recording {@code account} if it is
     *         multishot, or null
     * @throws KernelBug for a sleeping request from interrupt context
     */
    public Page allocFromReserve(ReserveAccount account, int gfp, int order, Zone[] zonelist) {
        return reserve.allocFromReserve(account, gfp, order, zonelist);
    }

    // ---------------------------------------------------------------------------------------
    // Statistics
    // ---------------------------------------------------------------------------------------

    /** {@code nr_free_pages()}: free pages in all zones (buddy lists only). */
    public long nrFreePages() {
        long sum = 0;
        for (Zone z : machine.zones()) {
            sum += z.freePages;
        }
        return sum;
    }

    /** Sleeping allocations that entered direct reclaim ({@code allocstall}). */
    public long allocStalls() {
        return allocStalls.sum();
    }

    /** Allocations that returned null, injected failures included. */
    public long allocFailures() {
        return allocFailures.sum();
    }

    /** Reclaim rounds that freed nothing. */
    public long oomRounds() {
        return oomRounds.sum();
    }

    /** Threads sleeping for free pages right now. */
    public int waiters() {
        return allocWait.waiters();
    }
}
