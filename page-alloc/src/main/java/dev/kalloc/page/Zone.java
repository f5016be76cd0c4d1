package dev.kalloc.page;

import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code zone_t} and the binary buddy allocator that runs inside it ({@code rmqueue},
 * {@code expand}, the merge loop of {@code __free_pages_ok}), as in mm/page_alloc.c of 2.4.15,
 * which 2.5.1 carries unchanged.
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
 * <h2>Invariants (checked by {@link #checkInvariants()})</h2>
 * <ol>
 *   <li>Every block on {@code freeArea[k]} heads {@code 2^k} pages inside the zone, is aligned to
 *       {@code 2^k}, and overlaps no other free block.</li>
 *   <li>{@code freePages} equals the pages on the free lists.</li>
 *   <li>The bitmap bit of every pair at order {@code k < MAX_ORDER-1} equals
 *       {@code free(A) XOR free(B)}, and no pair has both blocks free (they would have merged).</li>
 *   <li>Per zone: free + per-CPU cached + allocated = present pages (page-cache pages are
 *       allocated pages).</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * {@code lock} ({@code zone->lock}) guards the free areas, {@code freePages} and the page states
 * of free blocks. {@code freePages}, the watermarks and {@code reservedPages} are volatile so that
 * {@code __alloc_pages} can read them without the lock, as the kernel does.
 */
public final class Zone {
    public static final int ZONE_DMA = 0;
    public static final int ZONE_NORMAL = 1;
    public static final int ZONE_HIGHMEM = 2;
    public static final int MAX_NR_ZONES = 3;
    static final String[] ZONE_NAMES = {"DMA", "Normal", "HighMem"};

    private final Machine machine;
    private final int index;
    private final int startPfn;
    private final int size;
    private final int maxOrder;
    final Page[] memMap;
    final FreeArea[] freeArea;
    final ReentrantLock lock = new ReentrantLock();

    /** {@code zone->free_pages}: pages on the buddy free lists. Written under {@code lock}. */
    volatile int freePages;
    volatile int pagesMin;
    volatile int pagesLow;
    volatile int pagesHigh;
    /** {@code zone->need_balance}: set by allocators that fell under the low watermark. */
    volatile boolean needBalance;
    /**
     * Pages promised to reservations: ordinary allocations see {@code freePages - reservedPages}.
     * Written under {@code lock}.
     */
    volatile int reservedPages;

    /** {@code zone->pageset[cpu].pcp[hot=0|cold=1]}; null when per-CPU lists are off. */
    final PerCpuPages[][] pageset;

    /* Page-cache accounting, written under the page cache's lock, read anywhere. */
    volatile int nrCached;
    volatile int nrDirty;
    volatile int nrWriteback;
    /** LRU list of this zone's page-cache pages, head = most recently added. Page cache lock. */
    final PageList lru = new PageList();

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
            freeArea[k] = new FreeArea(size, k, k == maxOrder - 1);
        }
        int mask = size / config.zoneBalanceRatio();
        mask = Math.max(config.zoneBalanceMin(), Math.min(config.zoneBalanceMax(), mask));
        this.pagesMin = mask;
        this.pagesLow = mask * 2;
        this.pagesHigh = mask * 3;
        this.pageset = config.perCpuLists() ? buildPagesets(config.nrCpus(), size) : null;
    }

    private static PerCpuPages[][] buildPagesets(int nrCpus, int size) {
        int batch = size / 1024;
        if ((long) batch * PhysicalMemory.PAGE_SIZE > 256 * 1024) {
            batch = (256 * 1024) / PhysicalMemory.PAGE_SIZE;
        }
        batch = Math.max(1, batch / 4);
        PerCpuPages[][] sets = new PerCpuPages[nrCpus][2];
        for (int cpu = 0; cpu < nrCpus; cpu++) {
            sets[cpu][0] = new PerCpuPages(2 * batch, 6 * batch, batch);
            sets[cpu][1] = new PerCpuPages(0, 2 * batch, batch);
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

    /** Clean page-cache pages: what reclaim can drop at once, with no I/O. */
    public int nrCleanReclaimable() {
        return Math.max(0, nrCached - nrDirty - nrWriteback);
    }

    /** Free pages ordinary allocations may use: {@code free_pages - reserved_pages}. */
    public int freeUnreserved() {
        return freePages - reservedPages;
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

    boolean contains(int pfn) {
        return pfn >= startPfn && pfn < startPfn + size;
    }

    /**
     * Changes the zone's reserved-page count by {@code delta} under the zone lock, for the
     * reservation layer. The result may not be negative.
     */
    public void addReservedPages(int delta) {
        lock.lock();
        try {
            int next = reservedPages + delta;
            if (next < 0) {
                throw new IllegalArgumentException("zone " + name() + ": reserved pages would go to "
                        + next + " (was " + reservedPages + ", delta " + delta + ")");
            }
            reservedPages = next;
        } finally {
            lock.unlock();
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
                pcp.lock.lock();
                try {
                    sum += pcp.count;
                } finally {
                    pcp.lock.unlock();
                }
            }
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------
    // The buddy allocator proper. Every method below runs with `lock` held.
    // ---------------------------------------------------------------------------------------

    /**
     * {@code rmqueue} without the lock handling: takes a block of {@code order} from the free
     * lists, splitting a larger block if needed, or returns null if no order {@code >= order} has
     * a free block or taking one would eat into the reserved pages. The caller holds {@code lock}
     * and marks the block allocated.
     */
    Page rmqueueLocked(int order) {
        // LaHaise's rmqueue: pages promised to reservations are not there for anyone else. The
        // unlocked watermark checks may race; this test under the lock is the one that holds.
        if (freePages - reservedPages < 1 << order) {
            return null;
        }
        for (int current = order; current < maxOrder; current++) {
            FreeArea area = freeArea[current];
            Page page = area.freeList.removeFirst();
            if (page != null) {
                int idx = page.pfn() - startPfn;
                if (area.hasMap()) {
                    area.testAndChangeBit(idx >> (1 + current));
                }
                // Only the requested order leaves the free count: expand() hands the rest back.
                freePages -= 1 << order;
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
        freePages += 1 << order;
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
    }

    /**
     * {@code rmqueue_bulk}: moves up to {@code count} order-0 pages onto {@code list}'s tail.
     *
     * @return pages moved
     */
    int rmqueueBulk(int count, PageList list) {
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
     * {@code list} to the buddy lists.
     *
     * @return pages freed
     */
    int freePagesBulk(int count, PageList list) {
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
        } finally {
            lock.unlock();
        }
        return freed;
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
                        pcp.lock.lock();
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
            pageset[i / 2][i % 2].lock.unlock();
        }
    }

    private void checkInvariantsLocked() {
        boolean[] covered = new boolean[size];
        boolean[][] freeHead = new boolean[maxOrder][];
        long onLists = 0;
        for (int k = 0; k < maxOrder; k++) {
            freeHead[k] = new boolean[size];
            for (Page p = freeArea[k].freeList.first(); p != null; p = p.next) {
                int idx = p.pfn() - startPfn;
                fail(idx < 0 || idx + (1 << k) > size, p + " on order-" + k + " list runs past the zone");
                fail((idx & ((1 << k) - 1)) != 0, p + " on order-" + k + " list is not aligned");
                fail(p.state != Page.STATE_BUDDY || p.order != k, p + " on order-" + k + " list is "
                        + Page.stateName(p.state) + " order " + p.order);
                for (int i = idx; i < idx + (1 << k); i++) {
                    fail(covered[i], "free blocks overlap at pfn " + (startPfn + i));
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
                fail(fa && fb, "buddies at pfn " + (startPfn + a) + " and " + (startPfn + b)
                        + " are both free at order " + k + " but were not merged");
                fail(freeArea[k].testBit(a >> (1 + k)) != (fa ^ fb), "order-" + k
                        + " bitmap bit of pair at pfn " + (startPfn + a) + " disagrees with the free lists");
            }
        }
        long pcp = 0;
        long allocated = 0;
        for (int i = 0; i < size; i++) {
            Page p = memMap[i];
            if (p.state == Page.STATE_PCP) {
                fail(covered[i], p + " is on a per-cpu list and in a free block");
                covered[i] = true;
                pcp++;
            } else if (p.state == Page.STATE_ALLOCATED) {
                for (int j = i; j < i + (1 << p.order); j++) {
                    fail(j >= size || covered[j], "allocated block at " + p + " order " + p.order
                            + " overlaps another block or runs past the zone");
                    covered[j] = true;
                }
                allocated += 1L << p.order;
            }
        }
        long pcpCounted = perCpuPagesUnlockedSum();
        fail(pcp != pcpCounted, "per-cpu counts say " + pcpCounted + " pages, " + pcp + " pages are marked");
        fail(onLists + pcp + allocated != size, "conservation: free " + onLists + " + per-cpu " + pcp
                + " + allocated " + allocated + " != present " + size);
    }

    private long perCpuPagesUnlockedSum() {
        if (pageset == null) {
            return 0;
        }
        long sum = 0;
        for (PerCpuPages[] cpu : pageset) {
            for (PerCpuPages pcp : cpu) {
                pcp.lock.lock();
                try {
                    fail(pcp.count != pcp.list.size(), "per-cpu count " + pcp.count + " != list size "
                            + pcp.list.size());
                    sum += pcp.count;
                } finally {
                    pcp.lock.unlock();
                }
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
