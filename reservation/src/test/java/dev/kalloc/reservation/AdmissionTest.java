// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static dev.kalloc.reservation.Rsv.NORMAL_RESERVABLE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.MemoryHog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Admission ({@code reserve_pages}): granted now, wait then granted, refused; counted from free
 * pages, clean page-cache pages, pages already reserved and {@code pages_min}.
 */
class AdmissionTest {

    @Test
    void grantedAtOnceUpToFreeMinusPagesMin() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            Zone z = Rsv.normal(m);
            assertThat(a.reserve(ATOMIC, 1000)).isTrue();
            assertThat(a.avail()).isEqualTo(1000);
            assertThat(z.reservedPages()).isEqualTo(1000);
            assertThat(z.freePages()).as("reserved pages stay on the free lists").isEqualTo(1023);
            assertThat(a.reserve(ATOMIC, NORMAL_RESERVABLE - 1000)).isTrue();
            assertThat(a.reserve(ATOMIC, 1)).as("pages_min stays for atomic callers").isFalse();
            assertThat(a.avail()).isEqualTo(NORMAL_RESERVABLE);
            assertThat(rs.admissionsGranted()).isEqualTo(2);
            assertThat(rs.admissionsRefused()).isEqualTo(1);
            rs.checkInvariants();
        }
    }

    @Test
    void refusedAtOnceForAnAtomicMaskAndNothingChanges() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation b = rs.create("b", KERNEL, Reservation.RSV_ONESHOT);
            assertThat(a.reserve(KERNEL, 900)).isTrue();
            Rsv.Snapshot before = Rsv.Snapshot.of(rs);
            assertThat(b.reserve(ATOMIC, NORMAL_RESERVABLE - 900 + 1)).isFalse();
            assertThat(Rsv.Snapshot.of(rs)).isEqualTo(before);
            assertThat(b.reserve(ATOMIC, NORMAL_RESERVABLE - 900)).isTrue();
            rs.checkInvariants();
        }
    }

    /** Clean page-cache pages count: they can be dropped without I/O. Dirty ones do not. */
    @Test
    void cleanPagesAreReservableDirtyOnesAreNot() {
        try (Machine m = Rsv.normalOnly(); MemoryHog clean = new MemoryHog(m, "clean");
                MemoryHog dirty = new MemoryHog(m, "dirty")) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            clean.fill(300, MemoryHog.HOG_GFP, false);
            dirty.fill(200, MemoryHog.HOG_GFP, true);
            assertThat(z.nrCleanReclaimable()).isEqualTo(300);
            assertThat(z.nrDirty()).isEqualTo(200);
            int reservable = z.freePages() + 300 - z.pagesMin();
            assertThat(reservable).isEqualTo(1023 - 200 - 16);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, reservable + 1)).isFalse();
            assertThat(r.reserve(ATOMIC, reservable)).isTrue();
            assertThat(z.reservedBackedByClean()).isEqualTo(300);
            rs.checkInvariants();
        }
    }

    @Test
    void aSleepingAdmissionWaitsForFreesThenIsGranted() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Zone z = Rsv.normal(m);
            List<Page> held = Rsv.grab(m, KERNEL, 100);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            AtomicBoolean granted = new AtomicBoolean();
            Thread waiter = new Thread(() -> granted.set(r.reserve(KERNEL, NORMAL_RESERVABLE - 40)));
            waiter.start();
            assertThat(Rsv.eventually(() -> r.debt() == 60 && m.pageAlloc().waiters() == 1)).isTrue();
            assertThat(r.avail()).as("what was found is pending, not usable").isZero();
            assertThat(r.pending()).isEqualTo(NORMAL_RESERVABLE - 100);
            assertThat(z.nrDepleted()).isEqualTo(1);
            for (int i = 0; i < 59; i++) {
                m.pageAlloc().freePage(held.remove(0));
            }
            assertThat(r.debt()).as("each free repays one page at once").isEqualTo(1);
            assertThat(waiter.isAlive()).isTrue();
            m.pageAlloc().freePage(held.remove(0));
            waiter.join(10_000);
            assertThat(waiter.isAlive()).isFalse();
            assertThat(granted.get()).isTrue();
            assertThat(r.avail()).isEqualTo(NORMAL_RESERVABLE - 40);
            assertThat(z.nrDepleted()).isZero();
            assertThat(rs.admissionsWaited()).isEqualTo(1);
            assertThat(rs.waitNanos()).isPositive();
            Rsv.freeAll(m, held);
            rs.checkInvariants();
        }
    }

    @Test
    void aReleaseWakesAWaitingAdmission() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation big = rs.create("big", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation late = rs.create("late", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(big.reserve(ATOMIC, NORMAL_RESERVABLE)).isTrue();
            AtomicBoolean granted = new AtomicBoolean();
            Thread waiter = new Thread(() -> granted.set(late.reserve(KERNEL, 10)));
            waiter.start();
            assertThat(Rsv.eventually(() -> late.debt() == 10 && m.pageAlloc().waiters() == 1)).isTrue();
            big.put(4);
            assertThat(late.debt()).isEqualTo(6);
            big.destroy();
            waiter.join(10_000);
            assertThat(granted.get()).isTrue();
            assertThat(late.avail()).isEqualTo(10);
            rs.checkInvariants();
        }
    }

    @Test
    void aTimedOutAdmissionGivesBackWhatItFoundAndChangesNothing() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            Rsv.Snapshot before = Rsv.Snapshot.of(rs);
            assertThat(r.reserve(KERNEL, NORMAL_RESERVABLE + 1, Duration.ofMillis(50))).isFalse();
            assertThat(Rsv.Snapshot.of(rs)).isEqualTo(before);
            assertThat(rs.admissionsTimedOut()).isEqualTo(1);
            assertThat(rs.waitNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
            rs.checkInvariants();
        }
    }

    /** Waiting admissions are repaid page by page, round robin in arrival order. */
    @Test
    void waitingAdmissionsAreRepaidFifoRoundRobin() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            List<Page> held = Rsv.grab(m, KERNEL, 50);
            Reservation filler = rs.create("filler", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(filler.reserve(ATOMIC, NORMAL_RESERVABLE - 50)).isTrue();
            Reservation first = rs.create("first", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation second = rs.create("second", KERNEL, Reservation.RSV_MULTISHOT);
            Thread t1 = new Thread(() -> first.reserve(KERNEL, 3));
            t1.start();
            assertThat(Rsv.eventually(() -> first.debt() == 3 && m.pageAlloc().waiters() == 1)).isTrue();
            Thread t2 = new Thread(() -> second.reserve(KERNEL, 3));
            t2.start();
            assertThat(Rsv.eventually(() -> second.debt() == 3 && m.pageAlloc().waiters() == 2)).isTrue();
            m.pageAlloc().freePage(held.remove(0));
            assertThat(List.of(first.debt(), second.debt())).containsExactly(2, 3);
            m.pageAlloc().freePage(held.remove(0));
            assertThat(List.of(first.debt(), second.debt())).containsExactly(2, 2);
            Rsv.freeAll(m, held);
            t1.join(10_000);
            t2.join(10_000);
            assertThat(first.avail()).isEqualTo(3);
            assertThat(second.avail()).isEqualTo(3);
            rs.checkInvariants();
        }
    }

    /** A reservation over GFP_KERNEL takes Normal first, then DMA; pages_min of each is kept. */
    @Test
    void grantsFollowTheZonelist() {
        try (Machine m = Rsv.threeZones()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Zone high = m.zone(Zone.ZONE_HIGHMEM);
            assertThat(r.zoneNames()).isEqualTo("Normal,DMA");
            assertThat(r.reserve(KERNEL, 600)).isTrue();
            assertThat(r.account().avail(normal)).isEqualTo(512 - 16);
            assertThat(r.account().avail(dma)).isEqualTo(600 - 496);
            assertThat(high.reservedPages()).isZero();
            assertThat(r.reserve(ATOMIC, 496 + 247 - 600 + 1)).isFalse();
            assertThat(r.reserve(ATOMIC, 496 + 247 - 600)).isTrue();
            Reservation dmaOnly = rs.create("dma", Gfp.GFP_DMA, Reservation.RSV_ONESHOT);
            assertThat(dmaOnly.reserve(ATOMIC, 1)).isFalse();
            r.put(200);
            assertThat(r.account().avail(dma)).as("lowest zone given back first").isEqualTo(47);
            assertThat(r.account().avail(normal)).isEqualTo(496);
            assertThat(dmaOnly.reserve(ATOMIC | Gfp.__GFP_DMA, 201)).isFalse();
            assertThat(dmaOnly.reserve(ATOMIC | Gfp.__GFP_DMA, 200)).isTrue();
            rs.checkInvariants();
        }
    }

    /** A sleeping admission's reclaim rounds write back dirty pages; their completion repays it. */
    @Test
    void aSleepingAdmissionReclaimsAndWritesBack() {
        try (Machine m = Rsv.normalOnly(); MemoryHog hog = new MemoryHog(m, "dirty")) {
            Reservations rs = Reservations.boot(m);
            hog.fillDirty(Integer.MAX_VALUE);
            Zone z = Rsv.normal(m);
            int reservable = z.freePages() + z.nrCleanReclaimable() - z.pagesMin();
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, reservable + 50)).isFalse();
            assertThat(r.reserve(KERNEL, reservable + 50, Duration.ofSeconds(10))).isTrue();
            assertThat(hog.writepageCalls()).isPositive();
            assertThat(rs.admissionsWaited()).isEqualTo(1);
            rs.checkInvariants();
        }
    }

    @Test
    void addingCleanPagesRepaysAWaitingAdmission() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation filler = rs.create("filler", KERNEL, Reservation.RSV_MULTISHOT);
            List<Page> held = Rsv.grab(m, KERNEL, 20);
            assertThat(filler.reserve(ATOMIC, NORMAL_RESERVABLE - 20)).isTrue();
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            Thread waiter = new Thread(() -> r.reserve(KERNEL, 5));
            waiter.start();
            assertThat(Rsv.eventually(() -> r.debt() == 5 && m.pageAlloc().waiters() == 1)).isTrue();
            AddressSpace file = new AddressSpace("file", null);
            for (int i = 0; i < 5; i++) {
                m.pageCache().addToPageCache(held.remove(0), file, i);
            }
            waiter.join(10_000);
            assertThat(r.avail()).isEqualTo(5);
            assertThat(Rsv.normal(m).reservedBackedByClean()).isEqualTo(5);
            rs.checkInvariants();
            Rsv.freeAll(m, held);
        }
    }
}
