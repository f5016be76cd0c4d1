// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.PageReservation;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A thread that ends inside a scope, the patch's {@code do_exit} dropping
 * {@code current->page_reservations}: its scopes end with it (seen by destroy, scopes() and
 * reapExited, from whichever thread asks after the dead one was joined), the reservation stays
 * destroyable and its counts do not stay raised, and the pages it held stay allocated and
 * counted as used. No sleeps: every step is ordered by join or a latch.
 */
class ScopeLifecycleTest {

    /** What a thread that died in a scope left behind. */
    private record Died(Thread thread, Task task, ReservationScope scope, Page page, Throwable uncaught) {
    }

    /**
     * Runs a thread that enters {@code r}, allocates one page (from the reservation: the page
     * allocator's ordinary passes all fail), and then throws or returns, never closing the scope;
     * returns once the thread is joined.
     */
    private static Died dieInside(Machine m, Reservation r, boolean throwing) throws InterruptedException {
        AtomicReference<Task> task = new AtomicReference<>();
        AtomicReference<ReservationScope> scope = new AtomicReference<>();
        AtomicReference<Page> page = new AtomicReference<>();
        AtomicReference<Throwable> uncaught = new AtomicReference<>();
        Thread t = new Thread(() -> {
            task.set(m.current());
            scope.set(r.enter());
            page.set(m.pageAlloc().allocPages(KERNEL, 0));
            if (throwing) {
                throw new IllegalStateException("died inside the scope of " + r.name());
            }
        }, "dies-in-" + r.name());
        t.setUncaughtExceptionHandler((th, e) -> uncaught.set(e));
        m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 3);
        try {
            t.start();
            t.join();
        } finally {
            m.pageAlloc().failPageAlloc().attr().disable();
        }
        assertThat(page.get()).as("the page came from the reservation").isNotNull();
        assertThat(page.get().reserveAccount()).isSameAs(r.account());
        assertThat(uncaught.get() != null).isEqualTo(throwing);
        return new Died(t, task.get(), scope.get(), page.get(), uncaught.get());
    }

    @Test
    void aThreadKilledByAnExceptionInsideAScopeDoesNotKeepTheReservationFromBeingDestroyed() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation keep = rs.create("keep", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(keep.reserve(ATOMIC, 4)).isTrue();
            assertThat(r.reserve(ATOMIC, 8)).isTrue();
            int reservedBefore = Rsv.normal(m).reservedPages();

            Died d = dieInside(m, r, true);

            r.destroy();
            assertThat(r.isDestroyed()).isTrue();
            assertThat(rs.outstanding()).isEqualTo(1);
            assertThat(rs.reservations()).containsExactly(keep);
            assertThat(d.scope().endedWithThread()).isTrue();
            assertThat(d.task().get(PageReservation.SLOT)).as("do_exit's page_reservations = NULL").isNull();
            assertThat(r.scopesEndedWithThread()).isEqualTo(1);
            // The 7 unused pages went back; the one the dead thread held did not.
            assertThat(Rsv.normal(m).reservedPages()).isEqualTo(reservedBefore - 8);
            assertThat(d.page().isAllocated()).as("its page stays allocated").isTrue();
            rs.checkInvariants();

            m.pageAlloc().freePage(d.page());
            assertThat(Rsv.normal(m).reservedPages()).as("a destroyed reservation's page returns no quota")
                    .isEqualTo(reservedBefore - 8);
            assertThat(keep.avail()).isEqualTo(4);
            rs.checkInvariants();
        }
    }

    /**
     * A thread that returns without closing: scopes() no longer counts it, and the page it
     * allocated is still used until someone frees it, which gives the quota back.
     */
    @Test
    void aThreadThatReturnsWithoutClosingEndsItsScopeAndItsPageStaysUsed() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 8)).isTrue();

            Died d = dieInside(m, r, false);

            assertThat(d.scope().endedWithThread()).as("nobody has looked yet").isFalse();
            assertThat(r.scopes()).isZero();
            assertThat(d.scope().endedWithThread()).isTrue();
            assertThat(d.task().get(PageReservation.SLOT)).isNull();
            assertThat(r.stats().scopes()).isZero();
            assertThat(r.reapExited()).as("already ended").isZero();
            assertThat(List.of(r.avail(), r.used())).containsExactly(7, 1);
            rs.checkInvariants();

            r.freePages(d.page(), 0);
            assertThat(List.of(r.avail(), r.used())).containsExactly(8, 0);
            r.destroy();
            assertThat(rs.outstanding()).isZero();
            rs.checkInvariants();
        }
    }

    /** Nested scopes on two reservations: one reap over the registry ends both. */
    @Test
    void nestedScopesOfADeadThreadEndTogether() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation outer = rs.create("outer", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation inner = rs.create("inner", KERNEL, Reservation.RSV_MULTISHOT);
            AtomicReference<Task> task = new AtomicReference<>();
            Thread t = new Thread(() -> {
                task.set(m.current());
                outer.enter();
                inner.enter();
            });
            t.start();
            t.join();

            assertThat(rs.reapExited()).isEqualTo(2);
            assertThat(rs.reapExited()).isZero();
            assertThat(task.get().get(PageReservation.SLOT)).isNull();
            assertThat(List.of(outer.scopes(), inner.scopes())).containsExactly(0, 0);
            inner.destroy();
            outer.destroy();
            assertThat(rs.outstanding()).isZero();
        }
    }

    /** An ended scope cannot be closed by anyone, and the refusal changes nothing. */
    @Test
    void closingAScopeThatEndedWithItsThreadIsRefused() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 2)).isTrue();
            Died d = dieInside(m, r, true);
            assertThat(r.reapExited()).isEqualTo(1);
            try (ReservationScope mine = r.enter()) {
                Rsv.Snapshot before = Rsv.Snapshot.of(rs);
                assertThatThrownBy(d.scope()::close).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("ended when its thread terminated");
                assertThat(Rsv.Snapshot.of(rs)).isEqualTo(before);
                assertThat(m.current().get(PageReservation.SLOT)).isSameAs(r);
                assertThat(r.scopes()).isEqualTo(1);
            }
            m.pageAlloc().freePage(d.page()); // a multishot page freed with the page allocator: quota back
            assertThat(r.avail()).isEqualTo(2);
            r.destroy();
            rs.checkInvariants();
        }
    }

    /**
     * A live thread's scope is its own: nobody ends it, destroy is refused and names the thread,
     * and once the thread closes it the reservation goes.
     */
    @Test
    void aLiveThreadsScopeIsNeverEndedFromOutside() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch mayClose = new CountDownLatch(1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try (ReservationScope scope = r.enter()) {
                    entered.countDown();
                    mayClose.await();
                } catch (InterruptedException | RuntimeException e) {
                    failed.set(e);
                }
            }, "holds-r");
            t.start();
            entered.await();

            assertThat(r.reapExited()).isZero();
            assertThat(r.scopes()).isEqualTo(1);
            assertThatThrownBy(r::destroy).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("live threads").hasMessageContaining("holds-r");
            assertThat(r.isDestroyed()).isFalse();

            mayClose.countDown();
            t.join();
            assertThat(failed.get()).isNull();
            assertThat(r.scopesEndedWithThread()).as("closed, not ended").isZero();
            r.destroy();
            rs.checkInvariants();
        }
    }

    /**
     * One thread dead in a scope and one alive in another scope of the same reservation: only
     * the dead one's ends; the live one's close still works afterwards.
     */
    @Test
    void onlyTheDeadThreadsScopeEnds() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 4)).isTrue();
            try (ReservationScope mine = r.enter()) {
                Died d = dieInside(m, r, true);
                assertThat(r.scopes()).isEqualTo(1);
                assertThat(mine.endedWithThread()).isFalse();
                assertThatThrownBy(r::destroy).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining(Thread.currentThread().getName());
                r.freePages(d.page(), 0);
            }
            assertThat(r.scopes()).isZero();
            assertThat(r.scopesEndedWithThread()).isEqualTo(1);
            r.destroy();
            rs.checkInvariants();
        }
    }
}
