// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.tests;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test fixture that occupies a machine's memory with page-cache pages of its own
 * {@link AddressSpace}, the way a big file read (clean pages) or written (dirty pages) would, so
 * that allocations run under memory pressure and reclaim has something to take.
 *
 * <p>Usage:
 * <pre>{@code
 * try (Machine m = Machine.boot(TinyMachines.threeZones().build());
 *      MemoryHog hog = new MemoryHog(m, "hog")) {
 *     hog.fillClean(Integer.MAX_VALUE);      // until allocation fails
 *     Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);   // direct reclaim drops hog pages
 *     ...
 * }                                          // close() releases what is left
 * }</pre>
 *
 * <h2>Allocation</h2>
 * {@link #fillClean(int)} and {@link #fillDirty(int)} allocate with {@link #HOG_GFP}: every zone
 * (HighMem first), but without {@code __GFP_WAIT}, so filling never sleeps and never enters
 * direct reclaim (which would only drop the hog's own pages): it stops where an atomic
 * allocation stops, a little above a quarter of each zone's {@code pages_min}. The slow path it
 * ends in does set {@code need_balance} and wake kswapd, as any allocation under the low
 * watermark does. {@link #fill(int, int, boolean)} takes any gfp mask instead.
 *
 * <h2>Writeback</h2>
 * Dirty pages are written by the hog's own {@code writepage}. By default it completes at once
 * ({@code end_page_writeback} inside {@code writepage}), like a RAM disk. With
 * {@link #holdWriteback(boolean) holdWriteback(true)} the I/O stays in flight until
 * {@link #completeWriteback()}, like a device that has not answered yet: the state in which
 * sleeping allocators must wait for writeback rather than spin.
 *
 * <h2>Threads</h2>
 * One thread drives the hog ({@code fill*}, {@link #release()}, {@link #pages()}); reclaim and
 * kswapd may run meanwhile and take its clean pages, and {@code writepage} may be called from
 * any thread. {@link #pages()} and {@link #cachedPages()} are exact at quiescent points only.
 */
public final class MemoryHog implements AutoCloseable {
    /** {@code GFP_HIGHUSER} without {@code __GFP_WAIT}: any zone, never sleeps, never reclaims. */
    public static final int HOG_GFP = Gfp.GFP_HIGHUSER & ~Gfp.__GFP_WAIT;

    private final Machine machine;
    private final PageCache cache;
    private final AddressSpace mapping;
    /** Every page the hog added, by index; an entry is stale once reclaim dropped the page. */
    private final Map<Long, Page> added = new LinkedHashMap<>();
    private long nextIndex;

    private final Object writebackLock = new Object();
    private boolean hold;
    private final List<Page> held = new ArrayList<>();
    private long writepageCalls;

    /** A hog with its own mapping called {@code name}, writing back synchronously. */
    public MemoryHog(Machine machine, String name) {
        this.machine = machine;
        this.cache = machine.pageCache();
        this.mapping = new AddressSpace(name, this::writepage);
    }

    /** The hog's mapping. */
    public AddressSpace mapping() {
        return mapping;
    }

    private void writepage(Page page) {
        synchronized (writebackLock) {
            writepageCalls++;
            if (hold) {
                held.add(page);
                return;
            }
        }
        cache.endPageWriteback(page, true);
    }

    /**
     * Adds clean pages with {@link #HOG_GFP} until {@code maxPages} were added or an allocation
     * returned null.
     *
     * @return pages added
     */
    public int fillClean(int maxPages) {
        return fill(maxPages, HOG_GFP, false);
    }

    /** Like {@link #fillClean(int)}, but every page is dirtied right after it is added. */
    public int fillDirty(int maxPages) {
        return fill(maxPages, HOG_GFP, true);
    }

    /**
     * Adds pages allocated with {@code gfp} until {@code maxPages} were added or an allocation
     * returned null; with {@code dirty}, each is marked dirty once added. Each page's first
     * eight bytes hold its index, so a test can check data survives.
     *
     * <p>May sleep if {@code gfp} has {@code __GFP_WAIT} (and then reclaim may drop earlier hog
     * pages to make room for later ones).
     *
     * @return pages added (some may have been reclaimed again since, if reclaim ran meanwhile)
     */
    public int fill(int maxPages, int gfp, boolean dirty) {
        int n = 0;
        while (n < maxPages) {
            long index = nextIndex;
            Page page = cache.addNewPage(mapping, index, gfp);
            if (page == null) {
                break;
            }
            nextIndex++;
            added.put(index, page);
            n++;
            // Take a reference before touching the page: reclaim skips pages in use, so it cannot
            // drop (and someone reuse) the page while we write it.
            Page ref = cache.findGetPage(mapping, index);
            if (ref == null) {
                continue; // reclaim already took it
            }
            ref.clearFlag(Page.PG_referenced); // findGetPage marked it; the hog is not a user
            machine.memory().putLong(ref.physAddr(), index);
            if (dirty) {
                cache.setPageDirty(ref);
            }
            machine.pageAlloc().putPage(ref);
        }
        return n;
    }

    /**
     * While {@code hold} is true, {@code writepage} leaves the I/O in flight ({@code PG_writeback}
     * set) until {@link #completeWriteback()}. Turning it off does not complete held pages.
     */
    public void holdWriteback(boolean hold) {
        synchronized (writebackLock) {
            this.hold = hold;
        }
    }

    /**
     * Completes every held writeback successfully ({@code end_page_writeback}), which makes the
     * pages clean and wakes allocators sleeping for memory.
     *
     * @return pages completed
     */
    public int completeWriteback() {
        List<Page> done;
        synchronized (writebackLock) {
            done = new ArrayList<>(held);
            held.clear();
        }
        for (Page p : done) {
            cache.endPageWriteback(p, true);
        }
        return done.size();
    }

    /** Writebacks started and not yet completed because of {@link #holdWriteback(boolean)}. */
    public int heldWriteback() {
        synchronized (writebackLock) {
            return held.size();
        }
    }

    /** Calls of the hog's {@code writepage} so far (by reclaim, kswapd or {@link #release()}). */
    public long writepageCalls() {
        synchronized (writebackLock) {
            return writepageCalls;
        }
    }

    /** The hog's pages still in the page cache (reclaim may have dropped others). */
    public List<Page> cachedPages() {
        List<Page> live = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Page>> it = added.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Page> e = it.next();
            Page p = e.getValue();
            if (p.mapping() == mapping && p.index() == e.getKey()) {
                live.add(p);
            } else {
                it.remove(); // indices are never reused, so a page found elsewhere is gone for good
            }
        }
        return live;
    }

    /** Number of {@link #cachedPages()}. */
    public int pages() {
        return cachedPages().size();
    }

    /**
     * Removes every hog page still cached and frees it: held writebacks are completed first and
     * dirty pages written back (synchronously) before removal. A page whose writeback another
     * thread is completing at this instant is left; call again to get it.
     *
     * @return pages freed
     */
    public int release() {
        holdWriteback(false);
        completeWriteback();
        int freed = 0;
        for (Iterator<Map.Entry<Long, Page>> it = added.entrySet().iterator(); it.hasNext();) {
            long index = it.next().getKey();
            Page p = cache.findGetPage(mapping, index);
            if (p == null) {
                it.remove();
                continue;
            }
            try {
                if (p.testFlag(Page.PG_writeback)) {
                    continue;
                }
                if (p.testFlag(Page.PG_dirty)) {
                    cache.writePage(p);
                }
                cache.removePage(p);
                it.remove();
                freed++;
            } finally {
                machine.pageAlloc().putPage(p);
            }
        }
        return freed;
    }

    /** {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "MemoryHog[" + mapping + ", " + added.size() + " pages added]";
    }
}
