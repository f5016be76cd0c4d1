// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.SpinLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code zone_t} and the binary buddy allocator that runs inside it ({@code rmqueue},
 * {@code expand}, the merge loop of {@code __free_pages_ok}), as in mm/page_alloc.c of 2.4.15,
 * which 2.5.1 carries unchanged, with the zone state of Ben LaHaise's page reservations
 * ({@code reserved_pages}, {@code depleted_rsv_list}) and his December 2001 refinement: clean
 * page-cache pages may occupy reserved memory.
 *
 * <h2>The buddy idea</h2>
 * Free memory is kept as blocks of {@code 2^order} pages, {@code 0 <= order < MAX_ORDER}, each
 * aligned to its size (relative to the zone start). Every block of order {@code k < MAX_ORDER-1}
 * has exactly one buddy: the block of the same order it was split from, found by flipping bit
 * {@code k} of its page index. Allocation takes the head of the smallest non-empty list of order
 * {@code >= k} and splits it down ({@code expand}), returning the lower halves to the lower lists
 * and keeping the upper half. Freeing merges a block with its buddy for as long as the buddy is
 * free at the same order, and puts the result at the head of its list.
 *
 * <h2>Reserved pages</h2>
 * Notation: F = {@code freePages} (buddy lists only), C = {@code nrClean} (clean page-cache
 * pages, plus clean pages removed from the cache while pinned, see {@link PageCache}), R =
 * {@code reservedPages} (unused reserved pages: the reservations' {@code avail} and
 * {@code pending}, plus pages hidden with {@link #addReservedPages}). Reserved pages are not set
 * aside: they stay on the free lists or in the page cache, and R says how many of F + C
 * ordinary allocations must leave alone. Clean pages back the reservations first, so ordinary
 * allocations may use {@code F - max(0, R - C)} free pages ({@link #freeUnreserved()}); under
 * the lock an ordinary {@code rmqueue} of {@code 2^order} needs {@code F >= 2^order} and
 * {@code F + C - R >= 2^order}. An allocation from a reservation moves {@code 2^order} from R to
 * its account's {@code used} and takes a free block, or drops clean pages until it can.
 *
 * <h2>Invariants (checked by {@link #checkInvariants()})</h2>
 * <ol>
 *   <li>Every block on {@code freeArea[k]} heads {@code 2^k} pages inside the zone, is aligned to
 *       {@code 2^k}, and overlaps no other free block.</li>
 *   <li>{@code freePages} equals the pages on the free lists.</li>
 *   <li>The bitmap bit of every pair at order {@code k < MAX_ORDER-1} equals
 *       {@code free(A) XOR free(B)}, and no pair has both blocks free (they would have merged).</li>
 *   <li>Per zone: free + per-CPU cached + allocated = present pages (page-cache pages are
 *       allocated pages).</li>
 *   <li>R &lt;= F + C: every unused reserved page can be produced without I/O, by taking a free
 *       page or dropping a clean one. Every transition that lowers F + C or raises R checks it
 *       under this zone's lock: an ordinary allocation (the test above), a clean page becoming
 *       dirty ({@link PageCache#setPageDirty(Page, int)} throttles), a clean page leaving the
 *       cache (the page is freed under the same lock hold, or stays counted while pinned), an
 *       admission (grants only {@code F + C - R - pages_min}).</li>
 *   <li>R = pages hidden with {@link #addReservedPages} + the sum, over the
 *       {@link ReserveAccount}s of the zone, of their {@code avail} and {@code pending} here;
 *       a multishot account's {@code used} here is the pages of the zone allocated from it.</li>
 *   <li>The depleted list is well formed, {@code nrDepleted} is its length, and every account
 *       with a shortfall is on it.</li>
 * </ol>
 * The O(1) parts of 2, 5, 6 and 7 ({@link #invariantsHoldLocked()}) are also asserted under the
 * lock wherever the buddy lists, R or the depleted list change (tests run with {@code -ea}).
 *
 * <h2>Concurrency</h2>
 * {@code lock} ({@code zone->lock}, a {@link SpinLock}) guards the free areas,
 * {@code freePages}, the page states of free blocks, {@code reservedPages}, the depleted list,
 * the account list and the accounts' per-zone fields. No path holds it while it sleeps, and
 * none takes it twice (the lock is not reentrant: a retake throws).
 * {@code freePages}, the watermarks, {@code reservedPages} and
 * {@code nrDepleted} are volatile so that {@code __alloc_pages} and the free path can read them
 * without the lock, as the kernel does. {@code nrClean} is changed atomically: it rises under
 * the page cache's lock alone, but every decrease also holds this lock, so a check made under
 * this lock can only be overtaken by growth. Lock order: page cache lock, then zone locks in
 * ascending index, never the reverse; per-CPU list locks before the zone lock.
 */
public final class Zone {
    public static final int ZONE_DMA = 0;
    public static final int ZONE_NORMAL = 1;
    public static final int ZONE_HIGHMEM = 2;
    public static final int MAX_NR_ZONES = 3;
    static final String[] ZONE_NAMES = {"DMA", "Normal", "HighMem"};

    private static final VarHandle NR_CLEAN;
    private static final VarHandle FREE_PAGES;

    static {
        try {
            NR_CLEAN = MethodHandles.lookup().findVarHandle(Zone.class, "nrClean", int.class);
            FREE_PAGES = MethodHandles.lookup().findVarHandle(Zone.class, "freePages", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Machine machine;
    private final int index;
    private final int startPfn;
    private final int size;
    private final int maxOrder;
    final Page[] memMap;
    final FreeArea[] freeArea;
    final SpinLock lock = new SpinLock();

    /** {@code zone->free_pages}: pages on the buddy free lists. Written under {@code lock}. */
    volatile int freePages;
    volatile int pagesMin;
    volatile int pagesLow;
    volatile int pagesHigh;
    /** {@code zone->need_balance}: set by allocators that fell under the low watermark. */
    volatile boolean needBalance;
    /**
     * Unused reserved pages (R): hidden from ordinary allocations unless clean page-cache pages
     * back them. Written under {@code lock}.
     */
    volatile int reservedPages;
    /** The part of {@code reservedPages} set with {@link #addReservedPages}. Guarded by {@code lock}. */
    private int reservedUnowned;
    /** Accounts that may hold quota here. Guarded by {@code lock}. */
    final List<ReserveAccount> accounts = new ArrayList<>();
    /** {@code depleted_rsv_list}: accounts owed pages, served FIFO. Guarded by {@code lock}. */
    private ReserveAccount depletedHead;
    private ReserveAccount depletedTail;
    /** Length of the depleted list; read without the lock by the free path. */
    volatile int nrDepleted;

    /** {@code zone->pageset[cpu].pcp[hot=0|cold=1]}; null when per-CPU lists are off. */
    final PerCpuPages[][] pageset;

    /* Page-cache accounting, written under the page cache's lock, read anywhere. */
    volatile int nrCached;
    volatile int nrDirty;
    volatile int nrWriteback;
    /**
     * C: clean page-cache pages plus clean pinned orphans ({@link Page#PG_orphan}). Atomic; rises
     * under the page cache lock, falls only with this zone's lock held as well.
     */
    private volatile int nrClean;
    /** LRU list of this zone's page-cache pages, head = most recently added. Page cache lock. */
    final PageList lru;

    Zone(Machine machine, int index, int startPfn, int size, MachineConfig config) {
        this.machine = machine;
        this.index = index;
        this.startPfn = startPfn;
        this.size = size;
        this.maxOrder = config.maxOrder();
        this.memMap = new Page[size];
        for (int i = 0; i < size; i++) {
            memMap[i] = new Page(startPfn + i, this);
        }
        this.freeArea = new FreeArea[maxOrder];
        for (int k = 0; k < maxOrder; k++) {
            freeArea[k] = new FreeArea(memMap, startPfn, size, k, k == maxOrder - 1);
        }
        this.lru = new PageList(memMap, startPfn);
        int mask = size / config.zoneBalanceRatio();
        mask = Math.max(config.zoneBalanceMin(), Math.min(config.zoneBalanceMax(), mask));
        this.pagesMin = mask;
        this.pagesLow = mask * 2;
        this.pagesHigh = mask * 3;
        this.pageset = config.perCpuLists() ? buildPagesets(config.nrCpus(), size, memMap, startPfn) : null;
    }

    private static PerCpuPages[][] buildPagesets(int nrCpus, int size, Page[] memMap, int startPfn) {
        int batch = size / 1024;
        if ((long) batch * PhysicalMemory.PAGE_SIZE > 256 * 1024) {
            batch = (256 * 1024) / PhysicalMemory.PAGE_SIZE;
        }
        batch = Math.max(1, batch / 4);
        PerCpuPages[][] sets = new PerCpuPages[nrCpus][2];
        for (int cpu = 0; cpu < nrCpus; cpu++) {
            sets[cpu][0] = new PerCpuPages(memMap, startPfn, 2 * batch, 6 * batch, batch);
            sets[cpu][1] = new PerCpuPages(memMap, startPfn, 0, 2 * batch, batch);
        }
        return sets;
    }

    public Machine machine() {
        return machine;
    }

    /** ZONE_DMA, ZONE_NORMAL or ZONE_HIGHMEM. */
    public int index() {
        return index;
    }

    public String name() {
        return ZONE_NAMES[index];
    }

    /** {@code zone_start_pfn}. */
    public int startPfn() {
        return startPfn;
    }

    /** Present pages. */
    public int size() {
        return size;
    }

    public int maxOrder() {
        return maxOrder;
    }

    public int freePages() {
        return freePages;
    }

    public int pagesMin() {
        return pagesMin;
    }

    public int pagesLow() {
        return pagesLow;
    }

    public int pagesHigh() {
        return pagesHigh;
    }

    public boolean needBalance() {
        return needBalance;
    }

    public int reservedPages() {
        return reservedPages;
    }

    /** Page-cache pages of this zone (clean, dirty and under writeback). */
    public int nrCached() {
        return nrCached;
    }

    public int nrDirty() {
        return nrDirty;
    }

    public int nrWriteback() {
        return nrWriteback;
    }

    /**
     * C: clean page-cache pages, what reclaim can drop with no I/O, plus clean pages removed from
     * the cache while someone still held them (freed, with no I/O, by their last
     * {@code put_page}). Pinned clean pages are counted: see {@link PageCache} for how a
     * reservation treats them.
     */
    public int nrCleanReclaimable() {
        return nrClean;
    }

    void addClean(int delta) {
        NR_CLEAN.getAndAdd(this, delta);
    }

    /**
     * Free pages ordinary allocations may use: LaHaise's {@code free_pages - reserved_pages},
     * with reserved pages backed by clean page-cache pages first: {@code F - max(0, R - C)}.
     * Without reservations in the zone it is {@code free_pages}, read as before (R is read first
     * and the clean count only when R is not 0).
     */
    public int freeUnreserved() {
        int reserved = reservedPages;
        if (reserved == 0) {
            return freePages;
        }
        return freePages - Math.max(0, reserved - nrClean);
    }

    /**
     * Unused reserved pages occupied by clean page-cache pages rather than free ones:
     * {@code min(R, C)}, the clean pages counted first as {@link #freeUnreserved()} does.
     */
    public int reservedBackedByClean() {
        return Math.min(reservedPages, nrClean);
    }

    /** Accounts with a shortfall waiting on this zone ({@code depleted_rsv_list}). */
    public int nrDepleted() {
        return nrDepleted;
    }

    /** The descriptor of the frame {@code pfn}, which must lie in this zone. */
    public Page page(int pfn) {
        int idx = pfn - startPfn;
        if (idx < 0 || idx >= size) {
            throw new IllegalArgumentException("pfn " + pfn + " is not in zone " + name()
                    + " [" + startPfn + ", " + (startPfn + size) + ")");
        }
        return memMap[idx];
    }

    /**
     * True if some free list of order {@code >= order} is non-empty, read without the lock: a
     * hint for sleepers deciding whether to sleep. Read it after {@link #freePages} (volatile) so
     * that the list changes of the frees that raised it are visible.
     */
    boolean hasFreeBlockUnlocked(int order) {
        for (int k = order; k < maxOrder; k++) {
            if (!freeArea[k].freeList.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    boolean contains(int pfn) {
        return pfn >= startPfn && pfn < startPfn + size;
    }

    /**
     * Hides {@code delta} more pages from ordinary allocations (or shows them again, negative),
     * owned by no reservation in particular: a tuning knob and a test fixture. Reservations go
     * through {@link ReserveAccount} instead. Under the zone lock.
     *
     * @throws IllegalArgumentException if the pages hidden this way would go negative
     * @throws IllegalStateException if the zone's free + clean pages cannot back them (R &lt;= F + C)
     */
    public void addReservedPages(int delta) {
        lock.lock();
        try {
            int next = reservedUnowned + delta;
            if (next < 0) {
                throw new IllegalArgumentException("zone " + name() + ": reserved pages would go to "
                        + next + " (was " + reservedUnowned + ", delta " + delta + ")");
            }
            if (delta > 0 && (long) reservedPages + delta > (long) freePages + nrClean) {
                throw new IllegalStateException("zone " + name() + ": reserving " + delta + " more pages would leave "
                        + (reservedPages + delta) + " reserved against " + freePages + " free + " + nrClean + " clean");
            }
            reservedUnowned = next;
            reservedPages += delta;
            if (delta < 0 && nrDepleted != 0) {
                repayDebtLocked();
            }
            assert invariantsHoldLocked();
        } finally {
            lock.unlock();
        }
        if (delta < 0) {
            machine.pageAlloc().wakeAllocWaiters();
        }
    }

    /** Sets the watermarks, e.g. from a {@code min_free_kbytes}-style tunable. */
    public void setWatermarks(int min, int low, int high) {
        if (min < 0 || low < min || high < low) {
            throw new IllegalArgumentException("zone " + name() + ": watermarks must satisfy "
                    + "0 <= min <= low <= high, got " + min + "/" + low + "/" + high);
        }
        pagesMin = min;
        pagesLow = low;
        pagesHigh = high;
        if (nrDepleted != 0) {
            lock.lock();
            try {
                repayDebtLocked();
            } finally {
                lock.unlock();
            }
            machine.pageAlloc().wakeAllocWaiters();
        }
    }

    /** nr_free of one order: free blocks of exactly that order. Takes the zone lock. */
    public int nrFree(int order) {
        lock.lock();
        try {
            return freeArea[order].nrFree();
        } finally {
            lock.unlock();
        }
    }

    /** Pages held on all per-CPU lists of this zone. Takes each list's lock. */
    public int perCpuPages() {
        if (pageset == null) {
            return 0;
        }
        int sum = 0;
        for (PerCpuPages[] cpu : pageset) {
            for (PerCpuPages pcp : cpu) {
                pcp.lock();
                try {
                    sum += pcp.count;
                } finally {
                    pcp.unlock();
                }
            }
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------
    // The buddy allocator proper. Every method below runs with `lock` held.
    // ---------------------------------------------------------------------------------------

    /**
     * {@code rmqueue} without the lock handling, for ordinary allocations: takes a block of
     * {@code order} from the free lists, splitting a larger block if needed, or returns null if
     * no order {@code >= order} has a free block or taking one would leave the reserved pages
     * unbacked ({@code F - 2^order + C < R}). The caller holds {@code lock} and marks the block
     * allocated.
     */
    Page rmqueueLocked(int order) {
        // LaHaise's rmqueue, with clean pages backing reservations: the block must leave
        // R <= F + C. The unlocked watermark checks may race; this test under the lock holds.
        int pages = 1 << order;
        if (freePages < pages || freePages + nrClean - reservedPages < pages) {
            return null;
        }
        Page page = takeBlockLocked(order);
        assert invariantsHoldLocked();
        return page;
    }

    /**
     * {@code rmqueue} proper: takes a block of {@code order} from the free lists, splitting a
     * larger one if needed, with no reserved-page test; null if no order {@code >= order} has a
     * free block. The caller holds {@code lock} and has checked what the block may be taken for.
     */
    private Page takeBlockLocked(int order) {
        for (int current = order; current < maxOrder; current++) {
            FreeArea area = freeArea[current];
            Page page = area.freeList.removeFirst();
            if (page != null) {
                int idx = page.pfn() - startPfn;
                if (area.hasMap()) {
                    area.testAndChangeBit(idx >> (1 + current));
                }
                // Only the requested order leaves the free count: expand() hands the rest back.
                // A release store, not a volatile one: an unlocked reader that sees the lower
                // count still sees the lists as this hold left them, and no Dekker pair needs
                // the store-load fence of a volatile write here, because nobody sleeps waiting
                // for free pages to fall (the increase in freeOneLocked keeps its volatile write:
                // it pairs with the sleepers' queueing). Saves one fence per buddy allocation.
                FREE_PAGES.setRelease(this, freePages - (1 << order));
                return expand(page, idx, order, current);
            }
        }
        return null;
    }

    /**
     * {@code expand}: splits the block {@code page} of order {@code high} down to {@code low}.
     * At each step the lower half goes back on the lower order's list (its pair bit toggled:
     * the lower half is now free, its upper buddy is not) and the split continues in the upper
     * half, which is what the kernel returns.
     */
    private Page expand(Page page, int idx, int low, int high) {
        Page block = page;
        int blockIdx = idx;
        while (high > low) {
            high--;
            int half = 1 << high;
            FreeArea area = freeArea[high];
            block.state = Page.STATE_BUDDY;
            block.order = high;
            area.freeList.addFirst(block);
            area.testAndChangeBit(blockIdx >> (1 + high));
            blockIdx += half;
            block = memMap[blockIdx];
        }
        return block;
    }

    /**
     * The merge loop of {@code __free_pages_ok}: returns the block of {@code order} at
     * {@code page} to the free lists, merging it with its buddy for as long as the buddy is free
     * at the same order. The caller has checked the block and holds {@code lock}.
     */
    void freeOneLocked(Page page, int order) {
        int pageIdx = page.pfn() - startPfn;
        page.state = Page.STATE_TAIL;
        int k = order;
        while (k < maxOrder - 1) {
            FreeArea area = freeArea[k];
            if (!area.testAndChangeBit(pageIdx >> (1 + k))) {
                break; // the bit was 0: the buddy is in use, no merge
            }
            Page buddy = memMap[pageIdx ^ (1 << k)];
            assert buddy.state == Page.STATE_BUDDY && buddy.order == k
                    : "bitmap says " + buddy + " is free at order " + k + " but it is "
                    + Page.stateName(buddy.state) + " order " + buddy.order;
            area.freeList.remove(buddy);
            buddy.state = Page.STATE_TAIL;
            pageIdx &= ~(1 << k);
            k++;
        }
        Page head = memMap[pageIdx];
        head.state = Page.STATE_BUDDY;
        head.order = k;
        freeArea[k].freeList.addFirst(head);
        // Last, and volatile: an unlocked reader that sees the new count also sees the lists
        // above (Zone#hasFreeBlockUnlocked relies on it).
        freePages += 1 << order;
        assert invariantsHoldLocked();
    }

    /**
     * {@code rmqueue_bulk}: moves up to {@code count} order-0 pages onto the tail of
     * {@code list}, whose lock the caller holds.
     *
     * @return pages moved
     */
    int rmqueueBulk(int count, PerCpuPages list) {
        int moved = 0;
        lock.lock();
        try {
            while (moved < count) {
                Page page = rmqueueLocked(0);
                if (page == null) {
                    break;
                }
                page.state = Page.STATE_PCP;
                page.order = 0;
                list.addLast(page);
                moved++;
            }
        } finally {
            lock.unlock();
        }
        return moved;
    }

    /**
     * {@code free_pages_bulk}: returns up to {@code count} pages from the tail (the cold end) of
     * {@code list} (whose lock the caller holds) to the buddy lists.
     *
     * @return pages freed
     */
    int freePagesBulk(int count, PerCpuPages list) {
        int freed = 0;
        lock.lock();
        try {
            while (freed < count) {
                Page page = list.removeLast();
                if (page == null) {
                    break;
                }
                freeOneLocked(page, 0);
                freed++;
            }
            if (freed > 0 && nrDepleted != 0) {
                repayDebtLocked();
            }
        } finally {
            lock.unlock();
        }
        return freed;
    }

    // ---------------------------------------------------------------------------------------
    // Reservations. Every method below runs with `lock` held.
    // ---------------------------------------------------------------------------------------

    /** True if anything here depends on R &lt;= F + C: reserved pages, or a shortfall waiting. */
    boolean hasReservesLocked() {
        return reservedPages != 0 || nrDepleted != 0;
    }

    /** Pages an admission may still reserve here: {@code max(0, F + C - R - pages_min)}. */
    int reservableLocked() {
        return Math.max(0, freePages + nrClean - reservedPages - pagesMin);
    }

    /**
     * Takes a block of {@code order} for {@code account} from its quota here, ignoring the
     * reserved-page test (the block is one of the reserved ones): {@code 2^order} pages move from
     * {@code avail} and {@code reservedPages} to {@code used} (quirk 2 of the patch fixed). R and
     * F fall together, so R &lt;= F + C holds.
     *
     * @return the block, prepared and recording the account if multishot; null if the account's
     *         quota here is short of {@code 2^order} or no free block of that order exists
     */
    Page takeReservedLocked(ReserveAccount account, int order) {
        int pages = 1 << order;
        if (account.avail[index] < pages) {
            return null;
        }
        Page page = takeBlockLocked(order);
        if (page == null) {
            return null;
        }
        account.avail[index] -= pages;
        reservedPages -= pages;
        account.used[index] += pages;
        PageAllocator.prepNewPage(page, order);
        page.reserve = account.multishot() ? account : null;
        assert invariantsHoldLocked();
        return page;
    }

    /**
     * The free path's accounted branch, for a block that returns quota, a pinned clean orphan
     * whose last reference went, or any block while accounts are owed pages: the block goes to
     * the buddy lists (never a per-CPU list, so F counts it), together with what it owes:
     * the orphan leaves C (F + C unchanged), the quota goes back to its account (R and F rise
     * together), and depleted accounts are repaid from the zone's new margin.
     */
    void freeAccountedLocked(Page page, int order, boolean orphan) {
        if (orphan) {
            addClean(-1);
        }
        ReserveAccount account = page.reserve;
        page.reserve = null;
        freeOneLocked(page, order);
        if (account != null) {
            account.quotaReturnedLocked(this, 1 << order);
        }
        if (nrDepleted != 0) {
            repayDebtLocked();
        }
        assert invariantsHoldLocked();
    }

    /**
     * {@code depleted_rsv_list} replenishment: while the zone's margin
     * {@code F + C - R - pages_min} is positive, gives one page at a time to the first depleted
     * account and moves it to the tail (or drops it once its debt is paid): FIFO, round robin, as
     * the patch does. Each page raises R (quirk 1 fixed), so the margin falls with it.
     *
     * @return pages repaid
     */
    int repayDebtLocked() {
        int margin = freePages + nrClean - reservedPages - pagesMin;
        int repaid = 0;
        while (margin > 0 && depletedHead != null) {
            ReserveAccount a = depletedHead;
            removeDepletedLocked(a);
            if (!a.repayOneLocked(this)) {
                continue; // paid off in another zone: it only lingered on this list
            }
            reservedPages++;
            margin--;
            repaid++;
            if (a.debt() > 0) {
                addDepletedLocked(a);
            }
        }
        assert invariantsHoldLocked();
        return repaid;
    }

    void addDepletedLocked(ReserveAccount a) {
        if (a.onDepleted[index]) {
            return;
        }
        a.depletedPrev[index] = depletedTail;
        a.depletedNext[index] = null;
        if (depletedTail != null) {
            depletedTail.depletedNext[index] = a;
        } else {
            depletedHead = a;
        }
        depletedTail = a;
        a.onDepleted[index] = true;
        nrDepleted = nrDepleted + 1;
        assert invariantsHoldLocked();
    }

    void removeDepletedLocked(ReserveAccount a) {
        if (!a.onDepleted[index]) {
            return;
        }
        ReserveAccount prev = a.depletedPrev[index];
        ReserveAccount next = a.depletedNext[index];
        if (prev != null) {
            prev.depletedNext[index] = next;
        } else {
            depletedHead = next;
        }
        if (next != null) {
            next.depletedPrev[index] = prev;
        } else {
            depletedTail = prev;
        }
        a.depletedPrev[index] = null;
        a.depletedNext[index] = null;
        a.onDepleted[index] = false;
        nrDepleted = nrDepleted - 1;
        assert invariantsHoldLocked();
    }

    /**
     * Checks every invariant in the class comment; O(zone size). It holds the zone lock and
     * every per-CPU list lock while it runs, so it may be called while other threads allocate
     * and free (they wait for it); at a quiescent point the result is also exact across zones.
     *
     * @throws AssertionError naming the first broken invariant
     */
    public void checkInvariants() {
        // Every per-CPU lock first, then the zone lock: the order buffered_rmqueue and
        // free_hot_cold_page take them in. Taking the zone lock first deadlocks against a refill
        // or drain in flight; holding all of them, the check sees no half-done operation.
        int held = 0;
        try {
            if (pageset != null) {
                for (PerCpuPages[] cpu : pageset) {
                    for (PerCpuPages pcp : cpu) {
                        pcp.lock();
                        held++;
                    }
                }
            }
            lock.lock();
            try {
                checkInvariantsLocked();
            } finally {
                lock.unlock();
            }
        } finally {
            unlockPagesets(held);
        }
    }

    private void unlockPagesets(int held) {
        for (int i = 0; i < held; i++) {
            pageset[i / 2][i % 2].unlock();
        }
    }

    private void checkInvariantsLocked() {
        boolean[] covered = new boolean[size];
        boolean[][] freeHead = new boolean[maxOrder][];
        long onLists = 0;
        for (int k = 0; k < maxOrder; k++) {
            freeHead[k] = new boolean[size];
            PageList list = freeArea[k].freeList;
            for (Page p = list.first(); p != null; p = list.next(p)) {
                int idx = p.pfn() - startPfn;
                // Messages are built only on failure: this loop runs over every page.
                if (idx < 0 || idx + (1 << k) > size) {
                    fail(true, p + " on order-" + k + " list runs past the zone");
                }
                if ((idx & ((1 << k) - 1)) != 0) {
                    fail(true, p + " on order-" + k + " list is not aligned");
                }
                if (p.state != Page.STATE_BUDDY || p.order != k) {
                    fail(true, p + " on order-" + k + " list is " + Page.stateName(p.state) + " order " + p.order);
                }
                for (int i = idx; i < idx + (1 << k); i++) {
                    if (covered[i]) {
                        fail(true, "free blocks overlap at pfn " + (startPfn + i));
                    }
                    covered[i] = true;
                }
                freeHead[k][idx] = true;
                onLists += 1L << k;
            }
        }
        fail(onLists != freePages, "free_pages is " + freePages + " but the lists hold " + onLists);
        for (int k = 0; k < maxOrder - 1; k++) {
            for (int a = 0; a < size; a += 2 << k) {
                int b = a + (1 << k);
                boolean fa = freeHead[k][a];
                boolean fb = b < size && freeHead[k][b];
                if (fa && fb) {
                    fail(true, "buddies at pfn " + (startPfn + a) + " and " + (startPfn + b)
                            + " are both free at order " + k + " but were not merged");
                }
                if (freeArea[k].testBit(a >> (1 + k)) != (fa ^ fb)) {
                    fail(true, "order-" + k + " bitmap bit of pair at pfn " + (startPfn + a)
                            + " disagrees with the free lists");
                }
            }
        }
        long pcp = 0;
        long allocated = 0;
        for (int i = 0; i < size; i++) {
            Page p = memMap[i];
            if (p.state == Page.STATE_PCP) {
                if (covered[i]) {
                    fail(true, p + " is on a per-cpu list and in a free block");
                }
                covered[i] = true;
                pcp++;
            } else if (p.state == Page.STATE_ALLOCATED) {
                for (int j = i; j < i + (1 << p.order); j++) {
                    if (j >= size || covered[j]) {
                        fail(true, "allocated block at " + p + " order " + p.order
                                + " overlaps another block or runs past the zone");
                    }
                    covered[j] = true;
                }
                allocated += 1L << p.order;
            }
        }
        long pcpCounted = perCpuPagesLockedSum();
        fail(pcp != pcpCounted, "per-cpu counts say " + pcpCounted + " pages, " + pcp + " pages are marked");
        fail(onLists + pcp + allocated != size, "conservation: free " + onLists + " + per-cpu " + pcp
                + " + allocated " + allocated + " != present " + size);
        checkReservesLocked();
    }

    private void checkReservesLocked() {
        fail((long) reservedPages > (long) freePages + nrClean, "reserved pages " + reservedPages
                + " exceed free " + freePages + " + clean " + nrClean + ": a reservation is not backed");
        long owned = 0;
        for (ReserveAccount a : accounts) {
            fail(a.avail[index] < 0 || a.pending[index] < 0 || a.used[index] < 0, a + " has negative counts here");
            owned += a.avail[index] + a.pending[index];
            fail(a.debt() > 0 && !a.onDepleted[index], a + " is owed " + a.debt()
                    + " pages but is not on the depleted list");
        }
        fail(reservedPages != reservedUnowned + owned, "reserved pages " + reservedPages + " != "
                + reservedUnowned + " hidden + " + owned + " held by reservations");
        int listed = 0;
        for (ReserveAccount a = depletedHead; a != null; a = a.depletedNext[index]) {
            fail(!a.onDepleted[index] || !accounts.contains(a), a + " on the depleted list is not a live account here");
            fail(++listed > accounts.size(), "the depleted list is longer than the account list");
        }
        fail(listed != nrDepleted, "nrDepleted " + nrDepleted + " but the list holds " + listed);
        Map<ReserveAccount, Long> tagged = new IdentityHashMap<>();
        for (Page p : memMap) {
            if (p.reserve != null) {
                fail(p.state != Page.STATE_ALLOCATED, p + " records " + p.reserve + " but is not allocated");
                tagged.merge(p.reserve, 1L << p.order, Long::sum);
            }
        }
        for (Map.Entry<ReserveAccount, Long> e : tagged.entrySet()) {
            fail(e.getKey().used[index] != e.getValue(), e.getKey() + " counts " + e.getKey().used[index]
                    + " pages used here, but " + e.getValue() + " are allocated from it");
        }
        for (ReserveAccount a : accounts) {
            fail(a.multishot() && !tagged.containsKey(a) && a.used[index] != 0, a + " counts "
                    + a.used[index] + " pages used here, but none are allocated from it");
        }
    }

    /**
     * The O(1) parts of invariants 2, 5, 6 and 7, for {@code assert} at each change; the lock is
     * held. {@code 0 <= freePages <= size}; R &lt;= F + C (C may rise meanwhile under the page
     * cache lock alone, which only loosens it; every fall of C holds this lock); the pages hidden
     * with {@link #addReservedPages} are part of R; the depleted list is empty iff
     * {@code nrDepleted} is 0. Messages are built only when one is broken.
     *
     * @return true (so that it can stand in an {@code assert})
     * @throws AssertionError naming the broken invariant
     */
    boolean invariantsHoldLocked() {
        int f = freePages;
        int r = reservedPages;
        int c = nrClean;
        if (f < 0 || f > size) {
            fail(true, "free_pages " + f + " outside [0, " + size + "]");
        }
        if ((long) r > (long) f + c) {
            fail(true, "reserved pages " + r + " exceed free " + f + " + clean " + c + ": a reservation is not backed");
        }
        if (reservedUnowned < 0 || r < reservedUnowned) {
            fail(true, "reserved pages " + r + " do not cover the " + reservedUnowned
                    + " hidden with addReservedPages");
        }
        int depleted = nrDepleted;
        if (depleted < 0 || (depletedHead == null) != (depleted == 0)) {
            fail(true, "nrDepleted " + depleted + " but the depleted list is " + (depletedHead == null ? "empty"
                    : "not empty"));
        }
        return true;
    }

    /** The per-CPU counts, checked against the lists. The caller holds every per-CPU lock. */
    private long perCpuPagesLockedSum() {
        if (pageset == null) {
            return 0;
        }
        long sum = 0;
        for (PerCpuPages[] cpu : pageset) {
            for (PerCpuPages pcp : cpu) {
                fail(pcp.count < 0 || pcp.count > pcp.mask + 1, "per-cpu count " + pcp.count + " outside its ring");
                for (int i = 0; i < pcp.count; i++) {
                    Page p = pcp.get(i);
                    fail(p.state != Page.STATE_PCP || p.listId != 0, p + " is on a per-cpu list but "
                            + Page.stateName(p.state) + (p.listId != 0 ? " and on another list" : ""));
                }
                sum += pcp.count;
            }
        }
        return sum;
    }

    private void fail(boolean broken, String what) {
        if (broken) {
            throw new AssertionError("zone " + name() + ": " + what);
        }
    }

    /** Allocated pages of this zone, counted from the page states; a quiescent-point statistic. */
    public long allocatedPages() {
        lock.lock();
        try {
            long allocated = 0;
            for (int i = 0; i < size; i++) {
                Page p = memMap[i];
                if (p.state == Page.STATE_ALLOCATED) {
                    allocated += 1L << p.order;
                }
            }
            return allocated;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "zone " + name() + " [pfn " + startPfn + ", " + (startPfn + size) + ")";
    }
}
