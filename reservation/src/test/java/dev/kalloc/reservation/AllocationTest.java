// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static dev.kalloc.reservation.Rsv.NORMAL_RESERVABLE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Allocation from a reservation: never fails within the quota (fault injection at 100% for
 * ordinary allocations), takes a free page or drops a clean one, gives the quota back on free
 * (multishot) or consumes it (oneshot), and is tried only after the normal passes fail.
 */
class AllocationTest {

    @ParameterizedTest(name = "gfp {0}")
    @ValueSource(ints = {Gfp.GFP_KERNEL, Gfp.GFP_NOIO, Gfp.GFP_ATOMIC})
    void neverFailsUnderFaultInjectionAtHundredPercent(int gfp) {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 64)).isTrue();
            PageAllocator pa = m.pageAlloc();
            pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 42);
            assertThat(pa.allocPages(gfp, 0)).as("outside the reservation every allocation fails").isNull();
            List<Page> pages = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 64; i++) {
                    Page p = pa.allocPages(gfp, 0);
                    assertThat(p).as("allocation %d from the reservation", i).isNotNull();
                    assertThat(p.reserveAccount()).isSameAs(r.account());
                    pages.add(p);
                }
                assertThat(pa.allocPages(gfp, 0)).as("the quota is spent").isNull();
            }
            assertThat(r.avail()).isZero();
            assertThat(r.used()).isEqualTo(64);
            assertThat(Rsv.normal(m).reservedPages()).isZero();
            rs.checkInvariants();
            Rsv.freeAll(m, pages);
            assertThat(r.avail()).as("multishot: every free gives its quota back").isEqualTo(64);
            assertThat(r.used()).isZero();
            assertThat(Rsv.normal(m).reservedPages()).isEqualTo(64);
            try (ReservationScope scope = r.enter()) {
                pages.add(pa.allocPages(gfp, 0));
            }
            assertThat(pages.get(0)).isNotNull();
            assertThat(r.account().servedFree()).isEqualTo(65);
            assertThat(r.account().failures()).isEqualTo(1);
            pa.failPageAlloc().attr().disable();
            Rsv.freeAll(m, pages);
            rs.checkInvariants();
        }
    }

    @Test
    void oneshotQuotaIsConsumed() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("once", KERNEL, Reservation.RSV_ONESHOT);
            assertThat(r.reserve(ATOMIC, 8)).isTrue();
            PageAllocator pa = m.pageAlloc();
            pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            List<Page> pages = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 8; i++) {
                    pages.add(pa.allocPages(KERNEL, 0));
                }
            }
            assertThat(pages).doesNotContainNull();
            assertThat(pages.get(0).reserveAccount()).as("oneshot pages are not tagged").isNull();
            pa.failPageAlloc().attr().disable();
            Rsv.freeAll(m, pages);
            assertThat(r.avail()).isZero();
            assertThat(r.used()).isEqualTo(8);
            rs.checkInvariants();
        }
    }

    /** Reserved pages are hidden from ordinary allocations, PF_MEMALLOC ones included. */
    @Test
    void reservedPagesAreHiddenFromOthersAndServedToTheReservation() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 500)).isTrue();
            List<Page> others = Rsv.grabAll(m, KERNEL);
            assertThat(others).hasSize(1023 - 500);
            assertThat(m.pageAlloc().allocPages(KERNEL, 0)).isNull();
            List<Page> mine = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 500; i++) {
                    mine.add(m.pageAlloc().allocPages(KERNEL, 0));
                }
            }
            assertThat(mine).doesNotContainNull().doesNotHaveDuplicates();
            assertThat(Rsv.normal(m).freePages()).isZero();
            rs.checkInvariants();
            Rsv.freeAll(m, mine);
            Rsv.freeAll(m, others);
            rs.checkInvariants();
        }
    }

    /**
     * The reservation is tried only after the normal passes fail: while memory is plentiful an
     * allocation inside a scope is an ordinary one and leaves the quota alone.
     */
    @Test
    void plentifulMemoryLeavesTheQuotaAlone() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 100)).isTrue();
            try (ReservationScope scope = r.enter()) {
                Page p = m.pageAlloc().allocPages(KERNEL, 0);
                assertThat(p.reserveAccount()).isNull();
                m.pageAlloc().freePage(p);
            }
            assertThat(r.avail()).isEqualTo(100);
            assertThat(r.account().servedFree() + r.account().servedAfterDrop()).isZero();
        }
    }

    /**
     * With no free page left, an allocation from the reservation drops a clean page-cache page
     * synchronously and takes it; ordinary allocations had been using the free pages the clean
     * pages stood in for.
     */
    @Test
    void cleanPagesAreDroppedToServeTheReservation() {
        try (Machine m = Rsv.normalOnly(); MemoryHog hog = new MemoryHog(m, "hog")) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            hog.fillClean(600);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 300)).isTrue();
            assertThat(z.reservedBackedByClean()).isEqualTo(300);
            assertThat(z.freeUnreserved()).as("clean pages back the reservation").isEqualTo(z.freePages());
            List<Page> others = Rsv.grabAll(m, KERNEL);
            assertThat(others).as("ordinary allocations take every free page").hasSize(1023 - 600);
            assertThat(z.freePages()).isZero();
            m.checkInvariants();

            List<Page> mine = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 300; i++) {
                    mine.add(m.pageAlloc().allocPages(Gfp.GFP_NOIO, 0));
                    assertThat(z.reservedPages()).isLessThanOrEqualTo(z.freePages() + z.nrCleanReclaimable());
                }
            }
            assertThat(mine).doesNotContainNull();
            assertThat(r.account().droppedClean()).isEqualTo(300);
            assertThat(r.account().servedAfterDrop()).isEqualTo(300);
            assertThat(hog.pages()).isEqualTo(300);
            assertThat(hog.writepageCalls()).as("no I/O").isZero();
            rs.checkInvariants();
            Rsv.freeAll(m, mine);
            assertThat(r.avail()).isEqualTo(300);
            assertThat(z.freePages()).as("the freed quota is free pages now").isEqualTo(300);
            Rsv.freeAll(m, others);
            rs.checkInvariants();
        }
    }

    /** Free pages parked on per-CPU lists are found (drained) before any clean page is dropped. */
    @Test
    void perCpuListsAreDrainedBeforeCleanPagesAreDropped() {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(true).cpus(1).build());
                MemoryHog hog = new MemoryHog(m, "hog")) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            hog.fillClean(600);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 100)).isTrue();
            List<Page> others = Rsv.grabAll(m, KERNEL);
            m.pageAlloc().freePage(others.remove(0));
            m.pageAlloc().freePage(others.remove(0));
            assertThat(z.perCpuPages()).isEqualTo(2);
            try (ReservationScope scope = r.enter()) {
                Page p = m.pageAlloc().allocPages(KERNEL, 0);
                assertThat(p).isNotNull();
                m.pageAlloc().freePage(p);
            }
            assertThat(r.account().droppedClean()).isZero();
            assertThat(r.account().servedFree()).isEqualTo(1);
            Rsv.freeAll(m, others);
            rs.checkInvariants();
        }
    }

    /** A block of order 2 moves 4 pages from reserved to used (quirk 2 of the patch fixed). */
    @Test
    void higherOrdersMoveTheirWholeSize() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, ReservationSizing.pages(4, 2))).isTrue();
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 7);
            List<Page> blocks = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 4; i++) {
                    blocks.add(m.pageAlloc().allocPages(KERNEL, 2));
                    assertThat(z.reservedPages()).isEqualTo(16 - 4 * (i + 1));
                }
                assertThat(m.pageAlloc().allocPages(KERNEL, 0)).isNull();
            }
            m.pageAlloc().failPageAlloc().attr().disable();
            assertThat(r.used()).isEqualTo(16);
            for (Page b : blocks) {
                m.pageAlloc().freePages(b, 2);
            }
            assertThat(r.avail()).isEqualTo(16);
            assertThat(z.reservedPages()).isEqualTo(16);
            rs.checkInvariants();
        }
    }

    /**
     * Only zones both the allocation and the reservation cover are used: a HighMem reservation
     * cannot serve a GFP_KERNEL allocation, which then carries on as if there were none.
     */
    @Test
    void onlyTheAllocationsZonesAreUsed() {
        try (Machine m = Rsv.threeZones()) {
            Reservations rs = Reservations.boot(m);
            Reservation high = rs.create("high", Gfp.GFP_HIGHUSER, Reservation.RSV_MULTISHOT);
            assertThat(high.reserve(ATOMIC, 100)).isTrue();
            assertThat(high.account().avail(m.zone(Zone.ZONE_HIGHMEM))).isEqualTo(100);
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 7);
            try (ReservationScope scope = high.enter()) {
                assertThat(m.pageAlloc().allocPages(KERNEL, 0)).isNull();
                Page p = m.pageAlloc().allocPages(Gfp.GFP_HIGHUSER, 0);
                assertThat(p.zone().index()).isEqualTo(Zone.ZONE_HIGHMEM);
                m.pageAlloc().freePage(p);
            }
            m.pageAlloc().failPageAlloc().attr().disable();
            assertThat(high.account().failures()).isEqualTo(1);
            rs.checkInvariants();
        }
    }

    /** A page of a destroyed reservation stays valid; freeing it returns no quota. */
    @Test
    void pagesOutliveTheirReservation() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, NORMAL_RESERVABLE)).isTrue();
            List<Page> others = Rsv.grabAll(m, KERNEL);
            Page p;
            try (ReservationScope scope = r.enter()) {
                p = m.pageAlloc().allocPages(KERNEL, 0);
            }
            r.destroy();
            assertThat(Rsv.normal(m).reservedPages()).isZero();
            assertThat(rs.outstanding()).isZero();
            m.checkInvariants();
            m.pageAlloc().freePage(p);
            assertThat(Rsv.normal(m).reservedPages()).isZero();
            assertThat(r.account().used()).isZero();
            Rsv.freeAll(m, others);
            m.checkInvariants();
        }
    }
}
