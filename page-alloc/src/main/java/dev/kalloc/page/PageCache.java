// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.WaitQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A minimal page cache (mm/filemap.c) and its LRU (the shrink side of mm/vmscan.c): pages of
 * {@link AddressSpace}s, each clean, dirty, or under writeback, kept on per-zone LRU lists that
 * reclaim scans from the cold end.
 *
 * <h2>States of a cached page</h2>
 * <ul>
 *   <li>clean ({@code !PG_dirty && !PG_writeback}): reclaim drops it at once, no I/O;</li>
 *   <li>dirty ({@code PG_dirty}): reclaim may start writeback, only with {@code __GFP_FS}, as
 *       2.4's {@code shrink_cache} does; a {@code GFP_NOIO}/{@code GFP_NOFS} reclaimer skips it;</li>
 *   <li>writeback ({@code PG_writeback}): I/O in flight; untouchable until
 *       {@link #endPageWriteback(Page, boolean)}, which makes it clean (or dirty again on error)
 *       and wakes sleeping allocators.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * A page is in the cache iff {@code mapping != null} iff {@code PG_lru} is set iff it is on its
 * zone's LRU list. The cache holds one reference; a page with more (someone is using it) is
 * never dropped. Per zone, {@code nrCached}, {@code nrDirty} and {@code nrWriteback} count those
 * pages, and the zone's clean count C counts the clean ones plus pinned orphans (below). One lock
 * ({@code pagecache_lock} and {@code pagemap_lru_lock} of 2.4 in one) guards it all; it is taken
 * before any zone lock, never after.
 *
 * <h2>Clean pages back reservations (LaHaise, December 2001)</h2>
 * A zone keeps {@code reserved <= free + clean} (see {@link Zone}). The page cache owns the
 * transitions that lower the clean count, and makes each of them under the zone's lock as well:
 * <ul>
 *   <li>Dirtying a clean page is throttled: {@link #setPageDirty(Page, int)} lets it happen only
 *       while {@code free + clean - 1 >= reserved}. A caller that may sleep waits (first
 *       starting writeback of one dirty page of the zone if it may do I/O, as
 *       {@code balance_dirty_pages} does) until frees, writeback completions or released
 *       reservations make room; one that may not is refused ({@code false}, or an
 *       {@link IllegalStateException} from {@link #setPageDirty(Page)}).</li>
 *   <li>Dropping a clean page (reclaim, {@link #reclaimCleanPage}, {@link #removePage}) frees it
 *       under the same zone-lock hold when the zone has reservations, straight to the buddy
 *       lists, so C falls as F rises. Without reservations it is freed the ordinary way (per-CPU
 *       lists), after the locks are dropped, as before.</li>
 *   <li>A clean page removed while someone still holds a reference cannot be freed yet. In a zone
 *       with reservations it becomes an orphan ({@link Page#PG_orphan}): still counted clean,
 *       since it will be free without I/O when its last reference goes, and that free moves it
 *       from C to F under the zone lock. Put back in the cache, it stops being an orphan and is
 *       not counted twice.</li>
 *   <li>Pinned pages (count &gt; 1) and locked pages stay counted in C, as the kernel counts them,
 *       but are not droppable. A reservation that finds only such pages waits for an unpin (which
 *       {@link PageAllocator#putPage} reports while anyone waits), a free or a writeback
 *       completion if it may sleep; see {@link PageAllocator#allocFromReserve}.</li>
 * </ul>
 * Raising C needs no zone lock (it cannot break the invariant), but repays admissions waiting for
 * pages when the zone has any.
 */
public final class PageCache {
    private final Machine machine;
    final ReentrantLock lock = new ReentrantLock();

    PageCache(Machine machine) {
        this.machine = machine;
    }

    /**
     * {@code page_cache_alloc} + {@code add_to_page_cache}: allocates a page with {@code gfp}
     * and inserts it clean at {@code index}.
     *
     * @return the page (its contents are whatever the frame held), or null if allocation failed
     * @throws IllegalArgumentException if {@code index} is already cached in {@code mapping}
     */
    public Page addNewPage(AddressSpace mapping, long index, int gfp) {
        lock.lock();
        try {
            checkAbsent(mapping, index);
        } finally {
            lock.unlock();
        }
        Page page = machine.pageAlloc().allocPages(gfp, 0);
        if (page == null) {
            return null;
        }
        try {
            addToPageCache(page, mapping, index);
        } catch (IllegalArgumentException raced) {
            machine.pageAlloc().freePage(page);
            throw raced;
        }
        return page;
    }

    /**
     * {@code add_to_page_cache}: inserts an order-0 page the caller allocated; the caller's
     * reference becomes the cache's.
     */
    public void addToPageCache(Page page, AddressSpace mapping, long index) {
        if (!page.isAllocated() || page.order() != 0 || page.count() != 1) {
            throw new IllegalArgumentException("add_to_page_cache needs an allocated order-0 page with one "
                    + "reference; " + page + " has order " + page.order() + ", count " + page.count());
        }
        boolean repaid = false;
        lock.lock();
        try {
            if (page.mapping != null) {
                throw new IllegalArgumentException(page + " is already in " + page.mapping);
            }
            checkAbsent(mapping, index);
            page.mapping = mapping;
            page.index = index;
            page.clearFlag(Page.PG_dirty);
            page.setFlag(Page.PG_uptodate);
            page.setFlag(Page.PG_lru);
            mapping.pages.put(index, page);
            Zone z = page.zone();
            z.lru.addFirst(page);
            z.nrCached++;
            if (!page.clearFlag(Page.PG_orphan)) {
                z.addClean(1); // an orphan was counted clean all along
            }
            repaid = z.nrDepleted != 0 && repay(z);
        } finally {
            lock.unlock();
        }
        PageAllocator pa = machine.pageAlloc();
        if (repaid) {
            pa.wakeAllocWaiters();
        }
        pa.backingChanged();
    }

    /** Repays admissions waiting on {@code z} from its margin; page cache lock held. */
    private static boolean repay(Zone z) {
        z.lock.lock();
        try {
            return z.repayDebtLocked() > 0;
        } finally {
            z.lock.unlock();
        }
    }

    private static void checkAbsent(AddressSpace mapping, long index) {
        if (mapping.pages.containsKey(index)) {
            throw new IllegalArgumentException(mapping + " already caches index " + index);
        }
    }

    /**
     * {@code find_get_page}: the cached page at {@code index} with an extra reference the caller
     * must drop with {@link PageAllocator#putPage(Page)}, or null.
     */
    public Page findGetPage(AddressSpace mapping, long index) {
        lock.lock();
        try {
            Page page = mapping.pages.get(index);
            if (page != null) {
                page.get();
                page.setFlag(Page.PG_referenced);
            }
            return page;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code set_page_dirty} for a caller that may not sleep: as
     * {@link #setPageDirty(Page, int)} with {@code GFP_ATOMIC}, but a refusal is an exception.
     * Without reservations in the page's zone it is never refused.
     *
     * @throws IllegalStateException if the page is under writeback, or if dirtying it would leave
     *         the zone's reserved pages unbacked (nothing changes; use
     *         {@link #setPageDirty(Page, int)} with a sleeping mask to wait instead)
     * @throws IllegalArgumentException if the page is not in the page cache
     */
    public void setPageDirty(Page page) {
        if (!setPageDirty(page, Gfp.GFP_ATOMIC)) {
            Zone z = page.zone();
            throw new IllegalStateException("set_page_dirty(" + page + "): zone " + z.name() + " has "
                    + z.reservedPages() + " reserved pages and only " + z.freePages() + " free + "
                    + z.nrCleanReclaimable() + " clean to back them; dirtying a clean page would leave a "
                    + "reservation unbacked (pass a sleeping gfp to wait for writeback or frees)");
        }
    }

    /**
     * {@code set_page_dirty} with the reservations' throttle: marks a cached page dirty, so it
     * must be written back before it can be dropped. A clean page becoming dirty leaves the
     * zone's clean count, so it may only do so while {@code free + clean - 1 >= reserved} (under
     * the zone lock). Otherwise, with {@code __GFP_WAIT}, the caller is throttled: if the mask
     * allows filesystem I/O ({@code __GFP_FS}) it starts writeback of one dirty page of the zone,
     * then it sleeps on the allocator's wait queue until a free, a writeback completion or a
     * released reservation makes room, and tries again. The caller holds a reference to the
     * page, as the kernel's callers do.
     *
     * <p>Context: may sleep iff {@code gfp} has {@code __GFP_WAIT}, then not from interrupt
     * context.
     *
     * @return true if the page is dirty (it may already have been); false if it was clean, the
     *         zone's reservations need it, and {@code gfp} may not sleep (nothing changed)
     * @throws IllegalStateException if the page is under writeback
     * @throws IllegalArgumentException if the page is not in the page cache, or for unknown gfp bits
     * @throws KernelBug for a sleeping call from interrupt context
     */
    public boolean setPageDirty(Page page, int gfp) {
        Gfp.check(gfp);
        boolean mayWait = (gfp & Gfp.__GFP_WAIT) != 0;
        if (mayWait && machine.current().inInterrupt()) {
            throw new KernelBug("sleeping set_page_dirty (" + Gfp.toString(gfp) + ") from interrupt context");
        }
        PageAllocator pa = machine.pageAlloc();
        boolean registered = false;
        try {
            for (;;) {
                if (tryDirty(page)) {
                    return true;
                }
                if (!mayWait) {
                    return false;
                }
                if (!registered) {
                    registered = true;
                    pa.backingWaiters.incrementAndGet(); // page-cache additions now wake us too
                    continue;
                }
                if ((gfp & Gfp.__GFP_FS) != 0 && writebackOneDirty(page.zone())) {
                    continue; // a synchronous writepage may have made room already
                }
                throttle(pa, page.zone());
            }
        } finally {
            if (registered) {
                pa.backingWaiters.decrementAndGet();
            }
        }
    }

    /** One attempt, under the page cache and zone locks: true if the page is dirty now. */
    private boolean tryDirty(Page page) {
        lock.lock();
        try {
            checkCached(page);
            if (page.testFlag(Page.PG_writeback)) {
                throw new IllegalStateException(page + " is under writeback; wait for it before dirtying");
            }
            if (page.testFlag(Page.PG_dirty)) {
                return true;
            }
            Zone z = page.zone();
            z.lock.lock();
            try {
                if ((long) z.freePages + z.nrCleanReclaimable() - 1 < z.reservedPages) {
                    return false;
                }
                page.setFlag(Page.PG_dirty);
                z.nrDirty++;
                z.addClean(-1);
                return true;
            } finally {
                z.lock.unlock();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sleeps until the zone may have room: queue, re-test the volatile counts, sleep. */
    private static void throttle(PageAllocator pa, Zone z) {
        WaitQueue wq = pa.allocWait();
        WaitQueue.Entry wait = wq.prepareToWait(false);
        try {
            if ((long) z.freePages() + z.nrCleanReclaimable() - 1 < z.reservedPages()) {
                wq.schedule(wait);
            }
        } finally {
            wq.finishWait(wait);
        }
    }

    /**
     * Starts writeback of the coldest dirty page of {@code z} whose mapping can write, as
     * {@code balance_dirty_pages} makes a heavy dirtier write some pages itself.
     *
     * @return true if writeback was started
     */
    private boolean writebackOneDirty(Zone z) {
        Page victim = null;
        AddressSpace mapping = null;
        lock.lock();
        try {
            for (Page p = z.lru.last(); p != null; p = z.lru.prev(p)) {
                if (p.testFlag(Page.PG_dirty) && !p.testFlag(Page.PG_locked) && p.mapping.ops() != null) {
                    victim = p;
                    mapping = p.mapping;
                    startWritebackLocked(p);
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (victim == null) {
            return false;
        }
        callWritepage(mapping, victim);
        return true;
    }

    /**
     * Starts writeback of a dirty page, as {@code writepage} callers do: clears {@code PG_dirty},
     * sets {@code PG_writeback}, then calls the mapping's {@code writepage} outside the lock.
     *
     * @return true if writeback was started, false if the page was not dirty or its mapping
     *         cannot write
     */
    public boolean writePage(Page page) {
        AddressSpace mapping;
        lock.lock();
        try {
            checkCached(page);
            mapping = page.mapping;
            if (!page.testFlag(Page.PG_dirty) || mapping.ops() == null) {
                return false;
            }
            startWritebackLocked(page);
        } finally {
            lock.unlock();
        }
        callWritepage(mapping, page);
        return true;
    }

    /**
     * Calls {@code writepage} with the page already under writeback. If it throws before it
     * completed the write, the writeback is ended as failed (the page is dirty again, with
     * {@code PG_error}), so an exception never leaves a page stuck under writeback with the
     * counters off; the exception still reaches the caller.
     */
    private void callWritepage(AddressSpace mapping, Page page) {
        try {
            mapping.ops().writepage(page);
        } catch (RuntimeException | Error e) {
            if (page.testFlag(Page.PG_writeback)) {
                endPageWriteback(page, false);
            }
            throw e;
        }
    }

    private static void startWritebackLocked(Page page) {
        page.clearFlag(Page.PG_dirty);
        page.setFlag(Page.PG_writeback);
        Zone z = page.zone();
        z.nrDirty--;
        z.nrWriteback++;
    }

    /**
     * {@code end_page_writeback}: the I/O for {@code page} finished. On success the page is
     * clean; on failure it is dirty again with {@code PG_error} set. Wakes sleeping allocators.
     * Any context.
     */
    public void endPageWriteback(Page page, boolean ok) {
        lock.lock();
        try {
            if (!page.testFlag(Page.PG_writeback)) {
                throw new KernelBug("end_page_writeback on " + page + ", which is not under writeback");
            }
            page.clearFlag(Page.PG_writeback);
            Zone z = page.zone();
            if (!ok) {
                page.setFlag(Page.PG_error);
                page.setFlag(Page.PG_dirty);
                z.nrDirty++; // before nrWriteback falls: an unlocked reader never sees a phantom clean page
                z.nrWriteback--;
            } else {
                z.nrWriteback--;
                z.addClean(1);
                if (z.nrDepleted != 0) {
                    repay(z);
                }
            }
        } finally {
            lock.unlock();
        }
        machine.pageAlloc().writebackCompleted();
    }

    /**
     * {@code remove_from_page_cache} + release: takes a clean page out of the cache and drops
     * the cache's reference, freeing the page if that was the last (see the class comment for
     * where it goes, and for a page someone still holds).
     *
     * @throws IllegalStateException if the page is dirty, under writeback or locked (write or
     *         unlock it first); nothing changes
     * @throws IllegalArgumentException if the page is not in the page cache
     * @throws KernelBug for a null page, where the kernel's {@code remove_inode_page(NULL)}
     *         oopses; nothing changes
     */
    public void removePage(Page page) {
        if (page == null) {
            throw new KernelBug("remove_inode_page(NULL): no page to take out of the page cache");
        }
        int outcome;
        lock.lock();
        try {
            checkCached(page);
            if (page.testFlag(Page.PG_dirty) || page.testFlag(Page.PG_writeback)) {
                throw new IllegalStateException(page + " is dirty or under writeback; it cannot be removed");
            }
            if (page.testFlag(Page.PG_locked)) {
                throw new IllegalStateException(page + " is locked; it cannot be removed");
            }
            outcome = dropClean(page);
        } finally {
            lock.unlock();
        }
        finishDrop(page, outcome);
    }

    /** {@link #dropCleanLocked}: nothing more to do (the page is still held by someone). */
    private static final int DROP_HELD = 0;
    /** {@link #dropCleanLocked}: the page was freed under the locks. */
    private static final int DROP_FREED = 1;
    /** {@link #dropCleanLocked}: the cache's was the last reference; free it once unlocked. */
    private static final int DROP_FREE_LATER = 2;

    private int dropClean(Page page) {
        Zone z = page.zone();
        z.lock.lock();
        try {
            return dropCleanLocked(page);
        } finally {
            z.lock.unlock();
        }
    }

    private void finishDrop(Page page, int outcome) {
        if (outcome == DROP_FREE_LATER) {
            machine.pageAlloc().freeDroppedPage(page);
        } else if (outcome == DROP_FREED) {
            machine.pageAlloc().wakeAllocWaiters();
        }
    }

    /**
     * Takes a clean page out of the cache and drops the cache's reference, with the page cache
     * lock and the page's zone lock held: the one place the clean count falls for a drop. In a
     * zone with reservations the page is freed here, to the buddy lists, if that was the last
     * reference (C - 1 and F + 1 in one hold), or else becomes a pinned orphan that stays
     * counted. Without reservations C falls here and the page is freed the ordinary way later.
     */
    private int dropCleanLocked(Page page) {
        Zone z = page.zone();
        unlinkLocked(page);
        if (z.hasReservesLocked()) {
            // Marked before the reference goes, so whoever drops the last one sees the mark
            // (paired with the flag clear in PageAllocator.freePagesOk).
            page.setFlag(Page.PG_orphan);
            if (page.putTestZero()) {
                z.freeAccountedLocked(page, 0, page.clearFlag(Page.PG_orphan));
                return DROP_FREED;
            }
            return DROP_HELD;
        }
        z.addClean(-1);
        return page.putTestZero() ? DROP_FREE_LATER : DROP_HELD;
    }

    /**
     * For an allocation from a reservation in {@code z}: drops the coldest droppable clean page
     * of {@code z} and frees it to the buddy lists. The page cache lock and {@code z}'s lock are
     * held, and {@code z} has reservations.
     *
     * @return false if no clean page of {@code z} could be dropped
     */
    boolean dropCleanForReserveLocked(Zone z) {
        Page victim = coldestDroppableLocked(z);
        if (victim == null) {
            return false;
        }
        int outcome = dropCleanLocked(victim);
        assert outcome == DROP_FREED : victim + " was droppable but not freed in a zone with reservations";
        return true;
    }

    private static void checkCached(Page page) {
        if (page.mapping == null) {
            throw new IllegalArgumentException(page + " is not in the page cache");
        }
    }

    private static void unlinkLocked(Page page) {
        // The clean count is the caller's to adjust: dropCleanLocked does, under the zone lock.
        Zone z = page.zone();
        page.mapping.pages.remove(page.index);
        page.mapping = null;
        page.clearFlag(Page.PG_lru);
        page.clearFlag(Page.PG_referenced);
        z.lru.remove(page);
        z.nrCached--;
    }

    /**
     * Drops one clean, unused page of {@code zone} right now, coldest first: the synchronous
     * reclaim a reservation does when it must turn an occupied reserved page into a free one.
     *
     * @return true if a page was freed
     */
    public boolean reclaimCleanPage(Zone zone) {
        Page victim;
        int outcome;
        lock.lock();
        try {
            victim = coldestDroppableLocked(zone);
            if (victim == null) {
                return false;
            }
            outcome = dropClean(victim);
        } finally {
            lock.unlock();
        }
        finishDrop(victim, outcome);
        return true;
    }

    private static Page coldestDroppableLocked(Zone zone) {
        for (Page p = zone.lru.last(); p != null; p = zone.lru.prev(p)) {
            if (isDroppable(p)) {
                return p;
            }
        }
        return null;
    }

    private static boolean isDroppable(Page p) {
        return !p.testFlag(Page.PG_dirty) && !p.testFlag(Page.PG_writeback) && !p.testFlag(Page.PG_locked)
                && p.count() == 1;
    }

    /**
     * {@code shrink_cache}: scans the LRU lists of {@code classzone} and the zones below it from
     * the cold end, {@code lru/priority} pages in all at most, giving referenced pages a second
     * chance, dropping clean unused pages and, with {@code __GFP_FS}, starting writeback of dirty
     * ones.
     *
     * @return pages freed
     */
    int shrinkCache(Zone classzone, int priority, int gfp, int nrPages) {
        int freed = 0;
        for (int zi = classzone.index(); zi >= 0 && freed < nrPages; zi--) {
            Zone z = machine.zone(zi);
            if (z != null) {
                freed += shrinkZone(z, priority, gfp, nrPages - freed);
            }
        }
        return freed;
    }

    private int shrinkZone(Zone z, int priority, int gfp, int nrPages) {
        int freed = 0;
        boolean freedLocked = false;
        int maxScan = Math.max(1, z.lru.size() / priority);
        lock.lock();
        try {
            while (maxScan-- > 0 && freed < nrPages) {
                Page p = z.lru.last();
                if (p == null) {
                    break;
                }
                z.lru.remove(p);
                z.lru.addFirst(p); // rotate: every page is looked at once per scan
                if (p.testFlag(Page.PG_writeback) || p.testFlag(Page.PG_locked) || p.count() > 1) {
                    continue;
                }
                if (p.clearFlag(Page.PG_referenced)) {
                    continue; // second chance
                }
                if (p.testFlag(Page.PG_dirty)) {
                    AddressSpace mapping = p.mapping;
                    if ((gfp & Gfp.__GFP_FS) != 0 && mapping.ops() != null) {
                        startWritebackLocked(p);
                        lock.unlock();
                        try {
                            callWritepage(mapping, p);
                        } finally {
                            lock.lock();
                        }
                    }
                    continue;
                }
                int outcome = dropClean(p);
                if (outcome == DROP_FREE_LATER) {
                    lock.unlock();
                    try {
                        machine.pageAlloc().freeDroppedPage(p);
                    } finally {
                        lock.lock();
                    }
                } else if (outcome == DROP_FREED) {
                    freedLocked = true;
                }
                freed++;
            }
        } finally {
            lock.unlock();
        }
        if (freedLocked) {
            machine.pageAlloc().wakeAllocWaiters();
        }
        return freed;
    }

    /** Page-cache pages in all zones ({@code Cached:} in meminfo). */
    public long nrPages() {
        long sum = 0;
        for (Zone z : machine.zones()) {
            sum += z.nrCached;
        }
        return sum;
    }

    /** Checks the invariants in the class comment; quiescent points only. */
    void checkInvariants() {
        lock.lock();
        try {
            for (Zone z : machine.zones()) {
                int cached = 0;
                int dirty = 0;
                int writeback = 0;
                int clean = 0;
                for (Page p : z.memMap) {
                    if (p.testFlag(Page.PG_orphan)) {
                        if (!p.isAllocated() || p.mapping != null) {
                            throw new AssertionError("page cache: orphan " + p + " is free or still cached");
                        }
                        clean++;
                    }
                }
                for (Page p = z.lru.first(); p != null; p = z.lru.next(p)) {
                    if (p.mapping == null || !p.testFlag(Page.PG_lru) || !p.isAllocated() || p.zone() != z
                            || p.mapping.pages.get(p.index) != p) {
                        throw new AssertionError("page cache: " + p + " on the LRU of zone " + z.name()
                                + " is not a consistent cached page");
                    }
                    cached++;
                    dirty += p.testFlag(Page.PG_dirty) ? 1 : 0;
                    writeback += p.testFlag(Page.PG_writeback) ? 1 : 0;
                    clean += p.testFlag(Page.PG_dirty) || p.testFlag(Page.PG_writeback) ? 0 : 1;
                }
                if (clean != z.nrCleanReclaimable()) {
                    throw new AssertionError("page cache: zone " + z.name() + " counts " + z.nrCleanReclaimable()
                            + " clean pages but holds " + clean + " (clean cached pages and pinned orphans)");
                }
                if (cached != z.nrCached || dirty != z.nrDirty || writeback != z.nrWriteback) {
                    throw new AssertionError(String.format("page cache: zone %s counts cached/dirty/writeback "
                            + "%d/%d/%d but its LRU holds %d/%d/%d", z.name(), z.nrCached, z.nrDirty,
                            z.nrWriteback, cached, dirty, writeback));
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
