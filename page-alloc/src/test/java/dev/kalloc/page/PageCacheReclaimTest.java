// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The page cache and direct reclaim ({@code try_to_free_pages}, {@code shrink_caches},
 * {@code shrink_cache}). The machine has one zone (Normal, 1024 frames, per-CPU lists off), so
 * every cached page is on one LRU list and every count below is exact. Pages are added in index
 * order, so index 0 is the coldest (the LRU tail).
 *
 * <p>How much one {@code try_to_free_pages} scans: priorities 6 down to 1, each scanning
 * {@code lru_size / priority} pages (at least one) from the tail, until 32 pages are freed.
 */
class PageCacheReclaimTest {
    private static final Duration GUARD = Duration.ofSeconds(30);

    private static Machine boot() {
        return Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build());
    }

    /** An {@link AddressSpace.Ops} that records the pages it is asked to write and completes none. */
    static final class HeldIo implements AddressSpace.Ops {
        final List<Page> pending = new CopyOnWriteArrayList<>();
        int calls;

        @Override
        public void writepage(Page page) {
            calls++;
            assertThat(page.testFlag(Page.PG_writeback)).isTrue();
            assertThat(page.testFlag(Page.PG_dirty)).isFalse();
            pending.add(page);
        }

        void completeAll(PageCache pc, boolean ok) {
            for (Page p : pending) {
                pc.endPageWriteback(p, ok);
            }
            pending.clear();
        }
    }

    private static List<Page> addPages(Machine m, AddressSpace mapping, int n) {
        List<Page> pages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Page p = m.pageCache().addNewPage(mapping, i, Gfp.GFP_KERNEL);
            assertThat(p).isNotNull();
            pages.add(p);
        }
        return pages;
    }

    private static boolean cached(Machine m, AddressSpace mapping, long index) {
        Page p = m.pageCache().findGetPage(mapping, index);
        if (p == null) {
            return false;
        }
        m.pageAlloc().putPage(p);
        return true;
    }

    private static List<Long> cachedIndices(Machine m, AddressSpace mapping, int upTo) {
        List<Long> out = new ArrayList<>();
        for (long i = 0; i < upTo; i++) {
            if (cached(m, mapping, i)) {
                out.add(i);
            }
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    /** 100 clean pages: priority 6 scans 100/6 = 16 and drops them, priority 5 scans 84/5 = 16: 32. */
    @Test
    void cleanPagesAreDroppedColdestFirst() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("file", null);
            addPages(m, file, 100);
            int free0 = z.freePages();
            assertThat(z.nrCached()).isEqualTo(100);
            assertThat(m.pageCache().nrPages()).isEqualTo(100);

            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isEqualTo(Reclaim.SWAP_CLUSTER_MAX);
            assertThat(z.nrCached()).isEqualTo(68);
            assertThat(z.freePages()).isEqualTo(free0 + 32);
            assertThat(m.reclaim().calls()).isEqualTo(1);
            assertThat(m.reclaim().pagesReclaimed()).isEqualTo(32);
            assertThat(cachedIndices(m, file, 100)).isEqualTo(range(32, 100));
            m.checkInvariants();
        }
    }

    /**
     * 40 pages, the coldest (index 0) referenced. Priority 6 scans 6: index 0 loses its
     * reference and goes to the head (second chance), 1-5 are dropped; then 35/5 = 7 (6-12),
     * 28/4 = 7 (13-19), 21/3 = 7 (20-26), and priority 2 drops 27-32 to reach 32. Index 0
     * survives with the seven youngest.
     */
    @Test
    void referencedPagesGetASecondChance() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("file", null);
            List<Page> pages = addPages(m, file, 40);
            assertThat(cached(m, file, 0)).isTrue(); // find_get_page marks it referenced
            assertThat(pages.get(0).testFlag(Page.PG_referenced)).isTrue();

            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isEqualTo(32);
            assertThat(pages.get(0).testFlag(Page.PG_referenced)).as("the second chance used it up").isFalse();
            List<Long> expected = new ArrayList<>(List.of(0L));
            expected.addAll(range(33, 40));
            assertThat(cachedIndices(m, file, 40)).isEqualTo(expected);
            m.checkInvariants();
        }
    }

    @Test
    void dirtyPagesAreWrittenBackOnlyWithGfpFs() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            HeldIo io = new HeldIo();
            AddressSpace file = new AddressSpace("file", io);
            for (Page p : addPages(m, file, 40)) {
                pc.setPageDirty(p);
            }
            assertThat(z.nrDirty()).isEqualTo(40);
            assertThat(z.nrCleanReclaimable()).isZero();

            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOFS, 0)).isZero();
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0)).isZero();
            assertThat(io.calls).isZero();
            assertThat(z.nrDirty()).isEqualTo(40);
            assertThat(z.nrWriteback()).isZero();

            // GFP_KERNEL may call the filesystem: every dirty page is sent to writepage, none is
            // freed yet (they are under writeback).
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isZero();
            assertThat(io.calls).isEqualTo(40);
            assertThat(z.nrDirty()).isZero();
            assertThat(z.nrWriteback()).isEqualTo(40);
            assertThat(z.nrCleanReclaimable()).isZero();
            assertThat(z.nrCached()).isEqualTo(40);
            m.checkInvariants();

            // Under writeback pages are untouchable, whatever the mask.
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isZero();
            assertThat(io.calls).isEqualTo(40);

            io.completeAll(pc, true);
            assertThat(z.nrWriteback()).isZero();
            assertThat(z.nrCleanReclaimable()).isEqualTo(40);
            // Clean pages need no I/O: even a GFP_NOIO reclaimer drops them now.
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0)).isEqualTo(32);
            assertThat(z.nrCached()).isEqualTo(8);
            m.checkInvariants();
        }
    }

    /**
     * A writepage that completes at once: the page turns clean while it is rotated to the head,
     * and a later, deeper scan drops it. Priorities 6, 5, 4, 3 write 6 + 8 + 10 + 13 = 37
     * pages; priority 2 writes the last 3 and drops 17; priority 1 drops 15 more.
     */
    @Test
    void synchronousWritebackMakesPagesReclaimableInTheSameCall() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            List<Page> written = new ArrayList<>();
            AddressSpace file = new AddressSpace("ramdisk", page -> {
                written.add(page);
                pc.endPageWriteback(page, true);
            });
            for (Page p : addPages(m, file, 40)) {
                pc.setPageDirty(p);
            }
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isEqualTo(32);
            assertThat(written).hasSize(40);
            assertThat(z.nrDirty()).isZero();
            assertThat(z.nrWriteback()).isZero();
            assertThat(z.nrCached()).isEqualTo(8);
            assertThat(cachedIndices(m, file, 40)).isEqualTo(range(32, 40));
            m.checkInvariants();
        }
    }

    @Test
    @SuppressWarnings("try") // the irq scope is opened for its effect
    void asynchronousWritebackCompletesOnAnotherThread() throws Exception {
        ExecutorService disk = Executors.newSingleThreadExecutor();
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("disk", page -> disk.execute(() -> {
                try (Task.IrqScope irq = m.current().irqEnter()) {
                    pc.endPageWriteback(page, true);
                }
            }));
            for (Page p : addPages(m, file, 40)) {
                pc.setPageDirty(p);
            }
            m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0);
            disk.shutdown();
            assertThat(disk.awaitTermination(GUARD.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(z.nrDirty()).isZero();
            assertThat(z.nrWriteback()).isZero();
            assertThat(z.nrCleanReclaimable()).isEqualTo(z.nrCached());
            int left = z.nrCached();
            assertThat(left).isPositive();
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0)).isEqualTo(Math.min(32, left));
            m.checkInvariants();
        } finally {
            disk.shutdownNow();
        }
    }

    @Test
    void failedWritebackLeavesThePageDirtyWithAnError() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            HeldIo io = new HeldIo();
            Page p = pc.addNewPage(new AddressSpace("file", io), 0, Gfp.GFP_KERNEL);
            pc.setPageDirty(p);
            assertThat(pc.writePage(p)).isTrue();
            io.completeAll(pc, false);
            assertThat(p.testFlag(Page.PG_dirty)).isTrue();
            assertThat(p.testFlag(Page.PG_error)).isTrue();
            assertThat(z.nrDirty()).isEqualTo(1);
            assertThat(z.nrWriteback()).isZero();
            m.checkInvariants();
        }
    }

    /**
     * A sleeping allocation on a machine full of dirty pages whose I/O has not completed: reclaim
     * starts writeback and frees nothing, so (under waitForFree) it sleeps. The writeback
     * completion wakes it; reclaim then drops the now clean pages and it succeeds.
     */
    @Test
    void writebackCompletionWakesSleepingAllocators() throws Exception {
        MachineConfig config = TinyMachines.normalOnly(1024).perCpuLists(false)
                .oomPolicy(OomPolicy.waitForFree()).build();
        try (Machine m = Machine.boot(config); MemoryHog hog = new MemoryHog(m, "dirty")) {
            hog.holdWriteback(true);
            int dirty = hog.fillDirty(Integer.MAX_VALUE);
            Zone z = m.zone(Zone.ZONE_NORMAL);
            assertThat(z.nrDirty()).isEqualTo(dirty);

            AtomicReference<Page> got = new AtomicReference<>();
            Thread t = new Thread(() -> got.set(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)), "allocator");
            t.start();
            AllocPassesTest.awaitWaiters(m, 1);
            assertThat(got.get()).isNull();
            assertThat(hog.heldWriteback()).isPositive();
            assertThat(z.nrWriteback()).isEqualTo(hog.heldWriteback());

            hog.completeWriteback();
            t.join(GUARD.toMillis());
            assertThat(t.isAlive()).as("woken by the writeback completion").isFalse();
            assertThat(got.get()).isNotNull();
            assertThat(m.pageAlloc().oomRounds()).isGreaterThanOrEqualTo(1);
            m.pageAlloc().freePage(got.get());
            m.checkInvariants();
        }
    }

    // -------------------------------------------------------------------------------------------
    // Shrinkers
    // -------------------------------------------------------------------------------------------

    /** A cache of allocated pages that gives back up to {@code perCall} pages when asked. */
    static final class PageHoard implements Shrinker {
        final Machine m;
        final int perCall;
        final List<Page> pages = new ArrayList<>();
        final List<String> calls = new ArrayList<>();

        PageHoard(Machine m, int n, int perCall) {
            this.m = m;
            this.perCall = perCall;
            for (int i = 0; i < n; i++) {
                pages.add(m.pageAlloc().allocPage(Gfp.GFP_KERNEL));
            }
        }

        @Override
        public int shrink(int gfp, int priority) {
            calls.add(Gfp.toString(gfp) + "@" + priority + " cached=" + m.pageCache().nrPages()
                    + " memalloc=" + ((m.current().flags() & Task.PF_MEMALLOC) != 0));
            int n = 0;
            while (n < perCall && !pages.isEmpty()) {
                m.pageAlloc().freePage(pages.remove(pages.size() - 1));
                n++;
            }
            return n;
        }
    }

    @Test
    void shrinkersAreAskedFirstAndWhatTheyFreeCounts() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("file", null);
            PageHoard hoard = new PageHoard(m, 40, 40);
            m.reclaim().registerShrinker(hoard);
            addPages(m, file, 100);

            // The shrinker alone frees 40 >= 32: the page cache is not touched.
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isEqualTo(40);
            assertThat(hoard.calls).containsExactly("GFP_KERNEL@6 cached=100 memalloc=false");
            assertThat(z.nrCached()).isEqualTo(100);
            assertThat(m.reclaim().pagesReclaimed()).isEqualTo(40);
            m.checkInvariants();
        }
    }

    /**
     * Ten pages per call: priority 6 gets 10 from the shrinker and 100/6 = 16 from the cache
     * (26); priority 5 asks for 6 more and the shrinker's 10 end it: 36.
     */
    @Test
    void shrinkersAndThePageCacheShareTheWork() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("file", null);
            PageHoard hoard = new PageHoard(m, 100, 10);
            m.reclaim().registerShrinker(hoard);
            addPages(m, file, 100);

            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0)).isEqualTo(36);
            assertThat(hoard.calls).containsExactly("GFP_NOIO@6 cached=100 memalloc=false",
                    "GFP_NOIO@5 cached=84 memalloc=false");
            assertThat(z.nrCached()).isEqualTo(84);
            assertThat(hoard.pages).hasSize(80);

            assertThat(m.reclaim().unregisterShrinker(hoard)).isTrue();
            assertThat(m.reclaim().unregisterShrinker(hoard)).isFalse();
            m.reclaim().tryToFreePages(z, Gfp.GFP_NOIO, 0);
            assertThat(hoard.calls).hasSize(2);
            assertThatThrownBy(() -> m.reclaim().registerShrinker(null)).isInstanceOf(IllegalArgumentException.class);
            m.checkInvariants();
        }
    }

    /** Direct reclaim runs the shrinkers with PF_MEMALLOC set, so their own allocations pass. */
    @Test
    void directReclaimRunsShrinkersWithMemalloc() {
        try (Machine m = boot(); MemoryHog hog = new MemoryHog(m, "hog")) {
            PageHoard hoard = new PageHoard(m, 40, 40);
            m.reclaim().registerShrinker(hoard);
            hog.fillClean(Integer.MAX_VALUE);
            assertThat(m.pageAlloc().allocPage(Gfp.GFP_KERNEL)).isNotNull();
            assertThat(hoard.calls).hasSize(1);
            assertThat(hoard.calls.get(0)).startsWith("GFP_KERNEL@6").endsWith("memalloc=true");
            assertThat(m.current().flags()).as("restored afterwards").isZero();
        }
    }

    // -------------------------------------------------------------------------------------------
    // reclaimCleanPage and the page-cache API
    // -------------------------------------------------------------------------------------------

    @Test
    void reclaimCleanPageDropsTheColdestCleanUnusedPage() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            HeldIo io = new HeldIo();
            AddressSpace file = new AddressSpace("file", io);
            List<Page> pages = addPages(m, file, 6);
            pc.setPageDirty(pages.get(0));                   // dirty
            Page inUse = pc.findGetPage(file, 1);             // someone holds it
            pc.setPageDirty(pages.get(2));
            pc.writePage(pages.get(2));                        // under writeback
            pages.get(3).setFlag(Page.PG_locked);              // locked
            assertThat(cached(m, file, 5)).isTrue();           // referenced, but clean and unused
            int free0 = z.freePages();

            assertThat(pc.reclaimCleanPage(z)).isTrue();
            assertThat(cachedIndices(m, file, 6)).containsExactly(0L, 1L, 2L, 3L, 5L);
            assertThat(z.freePages()).isEqualTo(free0 + 1);
            assertThat(pc.reclaimCleanPage(z)).isTrue();
            assertThat(cachedIndices(m, file, 6)).containsExactly(0L, 1L, 2L, 3L);
            assertThat(pc.reclaimCleanPage(z)).isFalse();
            assertThat(z.nrCached()).isEqualTo(4);

            pages.get(3).clearFlag(Page.PG_locked);
            m.pageAlloc().putPage(inUse);
            assertThat(pc.reclaimCleanPage(z)).isTrue();
            assertThat(pc.reclaimCleanPage(z)).isTrue();
            assertThat(cachedIndices(m, file, 6)).containsExactly(0L, 2L);
            m.checkInvariants();
        }
        try (Machine m = boot()) {
            assertThat(m.pageCache().reclaimCleanPage(m.zone(Zone.ZONE_NORMAL))).isFalse();
        }
    }

    @Test
    void zoneCountersFollowAPageThroughItsStates() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            PageCache pc = m.pageCache();
            HeldIo io = new HeldIo();
            AddressSpace file = new AddressSpace("file", io);
            Page p = pc.addNewPage(file, 3, Gfp.GFP_KERNEL);
            assertThat(p.mapping()).isSameAs(file);
            assertThat(p.index()).isEqualTo(3);
            assertThat(p.count()).isEqualTo(1);
            assertThat(p.testFlag(Page.PG_lru)).isTrue();
            assertThat(p.testFlag(Page.PG_uptodate)).isTrue();
            assertCounters(z, 1, 0, 0, 1);

            pc.setPageDirty(p);
            pc.setPageDirty(p); // already dirty: counted once
            assertCounters(z, 1, 1, 0, 0);
            assertThat(pc.writePage(p)).isTrue();
            assertCounters(z, 1, 0, 1, 0);
            assertThatThrownBy(() -> pc.setPageDirty(p)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> pc.removePage(p)).isInstanceOf(IllegalStateException.class);
            assertThat(pc.writePage(p)).as("not dirty").isFalse();
            io.completeAll(pc, true);
            assertCounters(z, 1, 0, 0, 1);
            assertThatThrownBy(() -> pc.endPageWriteback(p, true)).isInstanceOf(KernelBug.class);
            assertCounters(z, 1, 0, 0, 1);

            pc.setPageDirty(p);
            assertThatThrownBy(() -> pc.removePage(p)).isInstanceOf(IllegalStateException.class);
            assertCounters(z, 1, 1, 0, 0);
            pc.writePage(p);
            io.completeAll(pc, true);
            int free0 = z.freePages();
            pc.removePage(p);
            assertCounters(z, 0, 0, 0, 0);
            assertThat(p.isAllocated()).isFalse();
            assertThat(p.mapping()).isNull();
            assertThat(z.freePages()).isEqualTo(free0 + 1);
            m.checkInvariants();
        }
    }

    private static void assertCounters(Zone z, int cached, int dirty, int writeback, int clean) {
        assertThat(List.of(z.nrCached(), z.nrDirty(), z.nrWriteback(), z.nrCleanReclaimable()))
                .as("cached/dirty/writeback/clean").containsExactly(cached, dirty, writeback, clean);
    }

    @Test
    void aMappingWithoutWritepageKeepsItsDirtyPages() {
        try (Machine m = boot()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            AddressSpace file = new AddressSpace("nowrite", null);
            for (Page p : addPages(m, file, 10)) {
                m.pageCache().setPageDirty(p);
            }
            assertThat(m.pageCache().writePage(m.pageCache().findGetPage(file, 0))).isFalse();
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isZero();
            assertThat(z.nrDirty()).isEqualTo(10);
        }
    }

    @Test
    void pageCacheMisuse() {
        try (Machine m = boot()) {
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("file", null);
            Page p = pc.addNewPage(file, 0, Gfp.GFP_KERNEL);
            MachineState before = MachineState.of(m);
            assertThatThrownBy(() -> pc.addNewPage(file, 0, Gfp.GFP_KERNEL))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already caches index 0");
            assertThatThrownBy(() -> pc.addToPageCache(p, file, 1)).isInstanceOf(IllegalArgumentException.class);
            Page loose = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            MachineState withLoose = MachineState.of(m);
            assertThatThrownBy(() -> pc.addToPageCache(loose, file, 0)).isInstanceOf(IllegalArgumentException.class);
            loose.get();
            assertThatThrownBy(() -> pc.addToPageCache(loose, file, 5)).isInstanceOf(IllegalArgumentException.class);
            m.pageAlloc().putPage(loose);
            assertThatThrownBy(() -> pc.setPageDirty(loose)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pc.removePage(loose)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pc.writePage(loose)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pc.endPageWriteback(loose, true)).isInstanceOf(KernelBug.class);
            assertThat(MachineState.of(m)).isEqualTo(withLoose);
            m.pageAlloc().freePage(loose);
            assertThat(MachineState.of(m)).isEqualTo(before);

            Page order1 = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 1);
            assertThatThrownBy(() -> pc.addToPageCache(order1, file, 9)).isInstanceOf(IllegalArgumentException.class);
            m.pageAlloc().freePages(order1, 1);
            assertThat(MachineState.of(m)).isEqualTo(before);
            m.checkInvariants();
        }
    }

    @Test
    void addToPageCacheTakesOverTheCallersReference() {
        try (Machine m = boot()) {
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("file", null);
            Page p = m.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            p.setFlag(Page.PG_dirty);
            pc.addToPageCache(p, file, 42);
            assertThat(p.testFlag(Page.PG_dirty)).isFalse();
            assertThat(m.zone(Zone.ZONE_NORMAL).nrDirty()).isZero();
            Page found = pc.findGetPage(file, 42);
            assertThat(found).isSameAs(p);
            assertThat(p.count()).isEqualTo(2);
            assertThat(p.testFlag(Page.PG_referenced)).isTrue();
            assertThat(pc.findGetPage(file, 43)).isNull();

            // removed while in use: it leaves the cache, the user's reference keeps it allocated
            pc.removePage(p);
            assertThat(p.mapping()).isNull();
            assertThat(p.isAllocated()).isTrue();
            assertThat(pc.findGetPage(file, 42)).isNull();
            m.pageAlloc().putPage(p);
            assertThat(p.isAllocated()).isFalse();
            m.checkInvariants();
        }
    }

    @Test
    void addNewPageReturnsNullWhenAllocationFails() {
        try (Machine m = boot()) {
            AddressSpace file = new AddressSpace("file", null);
            Zone z = m.zone(Zone.ZONE_NORMAL);
            z.addReservedPages(z.freePages());
            assertThat(m.pageCache().addNewPage(file, 0, Gfp.GFP_ATOMIC)).isNull();
            assertThat(m.pageCache().findGetPage(file, 0)).isNull();
            assertThat(z.nrCached()).isZero();
        }
    }

    /** Reclaim for a zone scans that zone and the zones below it, never the ones above. */
    @Test
    void reclaimCoversTheClasszoneAndTheZonesBelow() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("file", null);
            long index = 0;
            for (int zi = 0; zi < 3; zi++) {
                int gfp = zi == 0 ? Gfp.GFP_DMA : zi == 1 ? Gfp.GFP_KERNEL : Gfp.GFP_HIGHUSER;
                for (int i = 0; i < 20; i++) {
                    Page p = pc.addNewPage(file, index++, gfp);
                    assertThat(p.zone().index()).isEqualTo(zi);
                }
            }
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Zone high = m.zone(Zone.ZONE_HIGHMEM);
            assertThat(m.reclaim().tryToFreePages(dma, Gfp.GFP_KERNEL, 0)).isEqualTo(20);
            assertThat(List.of(dma.nrCached(), normal.nrCached(), high.nrCached())).containsExactly(0, 20, 20);
            assertThat(m.reclaim().tryToFreePages(normal, Gfp.GFP_KERNEL, 0)).isEqualTo(20);
            assertThat(high.nrCached()).isEqualTo(20);
            assertThat(m.reclaim().tryToFreePages(high, Gfp.GFP_KERNEL, 0)).isEqualTo(20);
            assertThat(m.pageCache().nrPages()).isZero();
            m.checkInvariants();
        }
    }
}
