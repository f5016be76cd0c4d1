package dev.kalloc.page;

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
 * pages. One lock ({@code pagecache_lock} and {@code pagemap_lru_lock} of 2.4 in one) guards it
 * all; it is taken before any zone lock, never after.
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
        } finally {
            lock.unlock();
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

    /** {@code set_page_dirty}: the page's contents must be written back before it can be dropped. */
    public void setPageDirty(Page page) {
        lock.lock();
        try {
            checkCached(page);
            if (page.testFlag(Page.PG_writeback)) {
                throw new IllegalStateException(page + " is under writeback; wait for it before dirtying");
            }
            if (!page.setFlag(Page.PG_dirty)) {
                page.zone().nrDirty++;
            }
        } finally {
            lock.unlock();
        }
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
        mapping.ops().writepage(page);
        return true;
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
            z.nrWriteback--;
            if (!ok) {
                page.setFlag(Page.PG_error);
                page.setFlag(Page.PG_dirty);
                z.nrDirty++;
            }
        } finally {
            lock.unlock();
        }
        machine.pageAlloc().writebackCompleted();
    }

    /**
     * {@code remove_from_page_cache} + release: takes a clean page out of the cache and drops
     * the cache's reference, freeing the page if that was the last.
     *
     * @throws IllegalStateException if the page is dirty or under writeback (write it first)
     */
    public void removePage(Page page) {
        lock.lock();
        try {
            checkCached(page);
            if (page.testFlag(Page.PG_dirty) || page.testFlag(Page.PG_writeback)) {
                throw new IllegalStateException(page + " is dirty or under writeback; it cannot be removed");
            }
            unlinkLocked(page);
        } finally {
            lock.unlock();
        }
        machine.pageAlloc().putPage(page);
    }

    private static void checkCached(Page page) {
        if (page.mapping == null) {
            throw new IllegalArgumentException(page + " is not in the page cache");
        }
    }

    private static void unlinkLocked(Page page) {
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
        Page victim = null;
        lock.lock();
        try {
            for (Page p = zone.lru.last(); p != null; p = p.prev) {
                if (isDroppable(p)) {
                    unlinkLocked(p);
                    victim = p;
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (victim == null) {
            return false;
        }
        machine.pageAlloc().freePage(victim);
        return true;
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
                            mapping.ops().writepage(p);
                        } finally {
                            lock.lock();
                        }
                    }
                    continue;
                }
                unlinkLocked(p);
                lock.unlock();
                try {
                    machine.pageAlloc().freePage(p);
                } finally {
                    lock.lock();
                }
                freed++;
            }
        } finally {
            lock.unlock();
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
                for (Page p = z.lru.first(); p != null; p = p.next) {
                    if (p.mapping == null || !p.testFlag(Page.PG_lru) || !p.isAllocated() || p.zone() != z
                            || p.mapping.pages.get(p.index) != p) {
                        throw new AssertionError("page cache: " + p + " on the LRU of zone " + z.name()
                                + " is not a consistent cached page");
                    }
                    cached++;
                    dirty += p.testFlag(Page.PG_dirty) ? 1 : 0;
                    writeback += p.testFlag(Page.PG_writeback) ? 1 : 0;
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
