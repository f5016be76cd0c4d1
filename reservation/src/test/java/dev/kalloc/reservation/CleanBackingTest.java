// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * LaHaise's December 2001 refinement: clean page-cache pages occupy reserved memory, and the
 * invariant {@code reserved <= free + clean} survives every transition that could break it: an
 * ordinary allocation, a clean page becoming dirty, a clean page leaving the cache (dropped,
 * or removed while pinned), a reservation taken.
 */
class CleanBackingTest {

    /** A zone where every free and clean page backs a reservation: F + C == R. */
    private static final class Full implements AutoCloseable {
        final Machine m = Rsv.normalOnly();
        final MemoryHog hog = new MemoryHog(m, "hog");
        final Reservations rs = Reservations.boot(m);
        final Zone z = Rsv.normal(m);
        final Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
        final List<Page> others;

        Full(int cleanPages) {
            hog.fillClean(cleanPages);
            check(r.reserve(ATOMIC, z.freePages() + z.nrCleanReclaimable() - z.pagesMin()));
            others = Rsv.grabAll(m, KERNEL);
            check(z.freePages() + z.nrCleanReclaimable() == z.reservedPages());
        }

        private static void check(boolean ok) {
            if (!ok) {
                throw new IllegalStateException("fixture did not reach F + C == R");
            }
        }

        @Override
        public void close() {
            Rsv.freeAll(m, others);
            hog.close();
            m.close();
        }
    }

    @Test
    void anOrdinaryAllocationNeverTakesAReservedPage() {
        try (Full f = new Full(600)) {
            assertThat(f.z.freePages()).isEqualTo(1023 - 600 - 16);
            assertThat(Rsv.grab(f.m, KERNEL, 1)).isEmpty();
            assertThat(f.m.pageCache().addNewPage(new AddressSpace("x", null), 0, KERNEL)).isNull();
            f.rs.checkInvariants();
        }
    }

    @Test
    void dirtyingIsRefusedToCallersThatMayNotSleep() {
        try (Full f = new Full(600)) {
            PageCache pc = f.m.pageCache();
            Page p = f.hog.cachedPages().get(0);
            Rsv.Snapshot before = Rsv.Snapshot.of(f.rs);
            assertThat(pc.setPageDirty(p, Gfp.GFP_ATOMIC)).isFalse();
            assertThatThrownBy(() -> pc.setPageDirty(p)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("unbacked");
            assertThat(Rsv.Snapshot.of(f.rs)).isEqualTo(before);
            assertThat(p.testFlag(Page.PG_dirty)).isFalse();
            f.m.pageAlloc().freePage(f.others.remove(0));
            assertThat(pc.setPageDirty(p, Gfp.GFP_ATOMIC)).as("one free page makes room for one").isTrue();
            assertThat(pc.setPageDirty(f.hog.cachedPages().get(1), Gfp.GFP_ATOMIC)).isFalse();
            f.rs.checkInvariants();
        }
    }

    /** A dirtier that may sleep (and may not write) is throttled until a free makes room. */
    @Test
    void aSleepingDirtierIsWokenByAFree() throws Exception {
        try (Full f = new Full(600)) {
            Page p = f.hog.cachedPages().get(0);
            AtomicBoolean done = new AtomicBoolean();
            Thread dirtier = new Thread(() -> done.set(f.m.pageCache().setPageDirty(p, Gfp.GFP_NOIO)));
            dirtier.start();
            assertThat(Rsv.eventually(() -> f.m.pageAlloc().waiters() == 1)).isTrue();
            assertThat(done.get()).isFalse();
            f.m.pageAlloc().freePage(f.others.remove(0));
            dirtier.join(10_000);
            assertThat(done.get()).isTrue();
            assertThat(p.testFlag(Page.PG_dirty)).isTrue();
            f.rs.checkInvariants();
        }
    }

    /**
     * A dirtier that may write starts writeback of a dirty page of the zone itself, as
     * balance_dirty_pages does, and waits for its completion, which makes the page clean again.
     */
    @Test
    void aDirtierThatMayWriteCleansAPageItself() throws Exception {
        try (Full f = new Full(600)) {
            f.m.pageAlloc().freePage(f.others.remove(0));
            List<Page> cached = f.hog.cachedPages();
            assertThat(f.m.pageCache().setPageDirty(cached.get(0), Gfp.GFP_ATOMIC)).isTrue();
            f.hog.holdWriteback(true);
            AtomicBoolean done = new AtomicBoolean();
            Thread dirtier = new Thread(() -> done.set(f.m.pageCache().setPageDirty(cached.get(1), Gfp.GFP_KERNEL)));
            dirtier.start();
            assertThat(Rsv.eventually(() -> f.hog.heldWriteback() == 1 && f.m.pageAlloc().waiters() == 1)).isTrue();
            assertThat(done.get()).isFalse();
            f.hog.completeWriteback();
            dirtier.join(10_000);
            assertThat(done.get()).isTrue();
            assertThat(cached.get(0).testFlag(Page.PG_dirty)).isFalse();
            assertThat(cached.get(1).testFlag(Page.PG_dirty)).isTrue();
            f.rs.checkInvariants();
        }
    }

    /**
     * A clean page removed from the cache while someone holds it cannot be freed yet; it stays
     * counted clean (an orphan) until its last reference goes, and then turns into a free page.
     */
    @Test
    void aPinnedCleanPageRemovedFromTheCacheKeepsBackingUntilFreed() {
        try (Full f = new Full(600)) {
            PageCache pc = f.m.pageCache();
            Page p = f.hog.cachedPages().get(0);
            Page ref = pc.findGetPage(f.hog.mapping(), p.index());
            int free = f.z.freePages();
            int clean = f.z.nrCleanReclaimable();
            pc.removePage(p);
            assertThat(p.mapping()).isNull();
            assertThat(f.z.nrCached()).isEqualTo(599);
            assertThat(f.z.nrCleanReclaimable()).as("the orphan still backs the reservation").isEqualTo(clean);
            f.rs.checkInvariants();
            f.m.pageAlloc().putPage(ref);
            assertThat(f.z.freePages()).isEqualTo(free + 1);
            assertThat(f.z.nrCleanReclaimable()).isEqualTo(clean - 1);
            f.rs.checkInvariants();
        }
    }

    @Test
    void anOrphanPutBackInTheCacheIsNotCountedTwice() {
        try (Full f = new Full(600)) {
            PageCache pc = f.m.pageCache();
            Page p = f.hog.cachedPages().get(0);
            Page ref = pc.findGetPage(f.hog.mapping(), p.index());
            int clean = f.z.nrCleanReclaimable();
            pc.removePage(p);
            AddressSpace other = new AddressSpace("other", null);
            pc.addToPageCache(ref, other, 0);
            assertThat(f.z.nrCleanReclaimable()).isEqualTo(clean);
            f.rs.checkInvariants();
            pc.removePage(ref);
            assertThat(f.z.nrCleanReclaimable()).isEqualTo(clean - 1);
            f.rs.checkInvariants();
        }
    }

    /**
     * Every clean page left is pinned and no page is free: a reservation allocation that may
     * sleep waits for an unpin (no I/O involved) and then drops that page; one that may not
     * returns null.
     */
    @Test
    void onlyPinnedCleanPagesLeftMakesASleeperWaitForAnUnpin() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            PageCache pc = m.pageCache();
            AddressSpace file = new AddressSpace("file", null);
            Rsv.addClean(m, file, 0, 10, KERNEL);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 10)).isTrue();
            List<Page> others = Rsv.grabAll(m, KERNEL);
            assertThat(z.freePages()).isZero();
            List<Page> pins = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pins.add(pc.findGetPage(file, i));
            }
            try (ReservationScope scope = r.enter()) {
                assertThat(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0)).isNull();
            }
            assertThat(r.account().failures()).isEqualTo(1);

            AtomicReference<Page> got = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try (ReservationScope scope = r.enter()) {
                    got.set(m.pageAlloc().allocPages(Gfp.GFP_NOIO, 0));
                }
            });
            t.start();
            assertThat(Rsv.eventually(() -> r.account().pinnedWaits() > 0 && m.pageAlloc().waiters() == 1)).isTrue();
            m.pageAlloc().putPage(pins.remove(3));
            t.join(10_000);
            assertThat(got.get()).isNotNull();
            assertThat(r.account().droppedClean()).isEqualTo(1);
            assertThat(pc.findGetPage(file, 3)).as("the unpinned page was the one dropped").isNull();
            rs.checkInvariants();
            m.pageAlloc().freePage(got.get());
            for (Page p : pins) {
                m.pageAlloc().putPage(p);
            }
            Rsv.freeAll(m, others);
            rs.checkInvariants();
        }
    }

    /**
     * In a zone with reservations, a clean page reclaim drops goes straight to the buddy lists
     * under the zone lock (clean - 1, free + 1 at once), not to a per-CPU list.
     */
    @Test
    void reclaimedCleanPagesStayCountedAsFreePages() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(true).build());
                MemoryHog hog = new MemoryHog(m, "hog")) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            hog.fillClean(300);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 10)).isTrue();
            int pcp = z.perCpuPages();
            int sum = z.freePages() + z.nrCleanReclaimable();
            assertThat(m.pageCache().reclaimCleanPage(z)).isTrue();
            assertThat(m.reclaim().tryToFreePages(z, Gfp.GFP_KERNEL, 0)).isPositive();
            assertThat(z.freePages() + z.nrCleanReclaimable()).isEqualTo(sum);
            assertThat(z.perCpuPages()).isEqualTo(pcp);
            rs.checkInvariants();
        }
    }
}
