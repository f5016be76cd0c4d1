package dev.kalloc.page;

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
 *   <li>Rebalance: a {@code PF_MEMALLOC}/{@code PF_MEMDIE} task takes any free page, ignoring
 *       watermarks; a caller that may not sleep gets null; otherwise direct reclaim
 *       ({@code try_to_free_pages}) and a third pass with {@code pages_min}. Orders above 3 give
 *       up there; smaller ones yield and retry.</li>
 * </ol>
 * "Free" everywhere is {@code free_pages - reserved_pages}, as in LaHaise's patch: pages promised
 * to reservations are invisible to ordinary allocations, including {@code PF_MEMALLOC} ones.
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
    private volatile long writebackEvents;

    private final LongAdder allocStalls = new LongAdder();
    private final LongAdder allocFailures = new LongAdder();
    private final LongAdder oomRounds = new LongAdder();

    PageAllocator(Machine machine, Zone[][] zonelists, int maxOrder) {
        this.machine = machine;
        this.zonelists = zonelists;
        this.maxOrder = maxOrder;
    }

    /** fail_page_alloc's knobs for this machine. */
    public FailPageAlloc failPageAlloc() {
        return failPageAlloc;
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
     * {@code __GFP_WAIT}, possible for sleeping requests above order 3 or when the machine's
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
            throw new KernelBug("sleeping allocation (" + Gfp.toString(gfp) + ", order " + order
                    + ") from interrupt context in " + task);
        }
        if (failPageAlloc.shouldFail(gfp, order)) {
            allocFailures.increment();
            return null;
        }
        Zone[] zl = zonelists[Gfp.highestZone(gfp)];
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
        return rebalance(gfp, order, zl, task);
    }

    private Page rebalance(int gfp, int order, Zone[] zl, Task task) {
        int fruitless = 0;
        for (;;) {
            if ((task.flags() & (Task.PF_MEMALLOC | Task.PF_MEMDIE)) != 0) {
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
            long writebackSeen = writebackEvents;
            int freed = directReclaim(zl[0], gfp, order, task);
            Page page = minPass(zl, order, gfp, task);
            if (page != null) {
                return page;
            }
            if (order > COSTLY_ORDER) {
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
    private int directReclaim(Zone classzone, int gfp, int order, Task task) {
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
            if (minPassWouldPass(zl, order) || writebackEvents != writebackSeen) {
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
            pcp.lock.lock();
            try {
                if (pcp.count <= pcp.low) {
                    pcp.count += zone.rmqueueBulk(pcp.batch, pcp.list);
                }
                Page page = pcp.list.removeFirst();
                if (page != null) {
                    pcp.count--;
                    prepNewPage(page, 0);
                    return page;
                }
            } finally {
                pcp.lock.unlock();
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

    /** {@code prep_new_page}: the block is the caller's now, with one reference. */
    private static void prepNewPage(Page page, int order) {
        page.state = Page.STATE_ALLOCATED;
        page.order = order;
        page.clearFlag(Page.PG_referenced);
        page.clearFlag(Page.PG_dirty);
        page.clearFlag(Page.PG_uptodate);
        page.clearFlag(Page.PG_error);
        page.setCount(1);
    }

    // ---------------------------------------------------------------------------------------
    // Freeing
    // ---------------------------------------------------------------------------------------

    /**
     * {@code __free_pages(page, order)}: gives a block back. The caller must hold the only
     * reference. Never sleeps; any context.
     *
     * @throws IllegalArgumentException for an order outside {@code [0, MAX_ORDER)}
     * @throws KernelBug for a double free, a tail page, a wrong order, a page with references
     *         left, a page still in the page cache or still marked as slab; nothing is changed
     */
    public void freePages(Page page, int order) {
        checkOrder(order);
        checkFreeable(page, order);
        if (!page.casCount(1, 0)) {
            int count = page.count();
            throw new KernelBug(count <= 0 ? "double free of " + page
                    : "freeing " + page + " with " + count + " references (put_page the others first)");
        }
        freePagesOk(page, order);
    }

    /** {@code __free_page(page)}. */
    public void freePage(Page page) {
        freePages(page, 0);
    }

    /** {@code free_pages(addr, order)}: frees the block at physical address {@code addr}. */
    public void freePagesAddr(long addr, int order) {
        if ((addr & ~PhysicalMemory.PAGE_MASK) != 0) {
            throw new IllegalArgumentException(String.format("free_pages: address 0x%x is not page aligned", addr));
        }
        freePages(machine.physToPage(addr), order);
    }

    /**
     * {@code put_page}: drops one reference; the last one frees the block with the order it was
     * allocated with.
     *
     * @throws KernelBug if the page is not allocated, or the last reference of a page-cache page
     *         is dropped while it is still in the cache
     */
    public void putPage(Page page) {
        if (page.state != Page.STATE_ALLOCATED) {
            throw new KernelBug("put_page on " + page + ", which is " + Page.stateName(page.state));
        }
        if (page.count() == 1) {
            checkFreeable(page, page.order);
        }
        if (page.putTestZero()) {
            freePagesOk(page, page.order);
        }
    }

    private void checkFreeable(Page page, int order) {
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

    /** {@code __free_pages_ok} after the checks: per-CPU list for order 0, buddy lists otherwise. */
    private void freePagesOk(Page page, int order) {
        page.clearFlag(Page.PG_referenced);
        page.clearFlag(Page.PG_dirty);
        Zone zone = page.zone();
        if (order == 0 && zone.pageset != null) {
            freeHotColdPage(zone, page, false);
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

    /** {@code free_hot_cold_page}: over {@code high}, return a batch from the cold end first. */
    private void freeHotColdPage(Zone zone, Page page, boolean cold) {
        PerCpuPages pcp = zone.pageset[machine.current().cpu()][cold ? 1 : 0];
        pcp.lock.lock();
        try {
            if (pcp.count >= pcp.high) {
                pcp.count -= zone.freePagesBulk(pcp.batch, pcp.list);
            }
            page.state = Page.STATE_PCP;
            page.order = 0;
            pcp.list.addFirst(page);
            pcp.count++;
        } finally {
            pcp.lock.unlock();
        }
    }

    /** {@code free_cold_page}: frees an order-0 page to the cold list (it will be reused last). */
    public void freeColdPage(Page page) {
        checkFreeable(page, 0);
        if (!page.casCount(1, 0)) {
            throw new KernelBug("freeing " + page + " with count " + page.count());
        }
        page.clearFlag(Page.PG_referenced);
        page.clearFlag(Page.PG_dirty);
        Zone zone = page.zone();
        if (zone.pageset != null) {
            freeHotColdPage(zone, page, true);
        } else {
            zone.lock.lock();
            try {
                zone.freeOneLocked(page, 0);
            } finally {
                zone.lock.unlock();
            }
        }
        if (allocWait.active()) {
            allocWait.wakeUpAll();
        }
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
                    pcp.lock.lock();
                    try {
                        int n = zone.freePagesBulk(pcp.count, pcp.list);
                        pcp.count -= n;
                        drained += n;
                    } finally {
                        pcp.lock.unlock();
                    }
                }
            }
        }
        if (drained > 0 && allocWait.active()) {
            allocWait.wakeUpAll();
        }
        return drained;
    }

    /** Called when writeback of a page completes: sleepers may now find it reclaimable. */
    void writebackCompleted() {
        // Not atomic, and need not be: sleepers only ask "did it change since I looked?".
        writebackEvents++;
        if (allocWait.active()) {
            allocWait.wakeUpAll();
        }
    }

    private void checkOrder(int order) {
        if (order < 0 || order >= maxOrder) {
            throw new IllegalArgumentException("order " + order + " is outside [0, MAX_ORDER=" + maxOrder + ")");
        }
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
