// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static dev.kalloc.reservation.Rsv.NORMAL_RESERVABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.PageReservation;
import dev.kalloc.page.ReserveAccount;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Misuse: a released reservation, freeing more than was allocated from it or reserved in it,
 * negative or oversized requests, wrong masks. Each is a clear exception and changes nothing,
 * checked with a before/after snapshot of the zones' free lists and counts and every
 * reservation's counts.
 */
class BadInputTest {

    private static void assertRejectedUnchanged(Reservations rs, Class<? extends Throwable> type, String message,
            ThrowingCallable misuse) {
        Rsv.Snapshot before = Rsv.Snapshot.of(rs);
        assertThatThrownBy(misuse).isInstanceOf(type).hasMessageContaining(message);
        assertThat(Rsv.Snapshot.of(rs)).isEqualTo(before);
        rs.checkInvariants();
    }

    @Test
    void aDestroyedReservationCannotBeUsed() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation keep = rs.create("keep", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(keep.reserve(ATOMIC, 10)).isTrue();
            Reservation r = rs.create("gone", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 10)).isTrue();
            r.destroy();
            assertThat(r.isDestroyed()).isTrue();
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed", () -> r.reserve(ATOMIC, 1));
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed", () -> r.reserve(KERNEL, 0));
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed", () -> r.put(0));
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed", r::enter);
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed", r::destroy);
            assertRejectedUnchanged(rs, IllegalStateException.class, "destroyed",
                    () -> m.pageAlloc().putReservedPages(r.account(), 1));
            assertThat(m.current().get(PageReservation.SLOT)).isNull();
        }
    }

    /**
     * freePages after destroy refuses as every other use does: the block stays allocated, and
     * the page allocator then frees it with no quota returned.
     */
    @Test
    void freeingToADestroyedReservationIsRefusedAndTheBlockStaysAllocated() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("gone", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 4)).isTrue();
            PageAllocator pa = m.pageAlloc();
            pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 5);
            Page p;
            try (ReservationScope scope = r.enter()) {
                p = pa.allocPages(KERNEL, 0);
            }
            pa.failPageAlloc().attr().disable();
            assertThat(p.reserveAccount()).isSameAs(r.account());
            r.destroy();
            int reserved = Rsv.normal(m).reservedPages();
            assertRejectedUnchanged(rs, IllegalStateException.class, "which has been destroyed",
                    () -> r.freePages(p, 0));
            assertThat(p.isAllocated()).isTrue();
            assertRejectedUnchanged(rs, KernelBug.class, "NULL", () -> r.freePages(null, 0));
            pa.freePage(p);
            assertThat(Rsv.normal(m).reservedPages()).isEqualTo(reserved);
            rs.checkInvariants();
        }
    }

    @Test
    void puttingBackMoreThanIsUnusedIsRefused() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 10)).isTrue();
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 5);
            Page p;
            try (ReservationScope scope = r.enter()) {
                p = m.pageAlloc().allocPages(KERNEL, 0);
            }
            m.pageAlloc().failPageAlloc().attr().disable();
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "holds 9 unused", () -> r.put(10));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "holds 9 unused", () -> r.put(-1));
            r.put(9);
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "holds 0 unused", () -> r.put(1));
            r.freePages(p, 0);
            assertThat(r.avail()).isEqualTo(1);
        }
    }

    @Test
    void freeingWhatWasNotAllocatedFromTheReservationIsRefused() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation b = rs.create("b", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation once = rs.create("once", KERNEL, Reservation.RSV_ONESHOT);
            assertThat(a.reserve(ATOMIC, 4)).isTrue();
            assertThat(b.reserve(ATOMIC, 4)).isTrue();
            PageAllocator pa = m.pageAlloc();
            Page ordinary = pa.allocPages(KERNEL, 0);
            pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 5);
            Page fromB;
            Page fromA;
            try (ReservationScope scope = b.enter()) {
                fromB = pa.allocPages(KERNEL, 0);
            }
            try (ReservationScope scope = a.enter()) {
                fromA = pa.allocPages(KERNEL, 1);
            }
            pa.failPageAlloc().attr().disable();
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "not allocated from it",
                    () -> a.freePages(ordinary, 0));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "belongs to reservation b",
                    () -> a.freePages(fromB, 0));
            assertRejectedUnchanged(rs, IllegalStateException.class, "oneshot", () -> once.freePages(ordinary, 0));
            assertRejectedUnchanged(rs, KernelBug.class, "freeing NULL to reservation a", () -> a.freePages(null, 0));
            assertRejectedUnchanged(rs, KernelBug.class, "order", () -> a.freePages(fromA, 0));
            a.freePages(fromA, 1);
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "not allocated from it",
                    () -> a.freePages(fromA, 1));
            assertThat(a.avail()).isEqualTo(4);
            b.freePages(fromB, 0);
            pa.freePage(ordinary);
            rs.checkInvariants();
        }
    }

    @Test
    void negativeOversizedAndMalformedRequestsAreRefused() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(ATOMIC, 3)).isTrue();
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "negative", () -> r.reserve(ATOMIC, -1));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "could never hold",
                    () -> r.reserve(KERNEL, NORMAL_RESERVABLE + 2));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "could never hold",
                    () -> r.reserve(KERNEL, Integer.MAX_VALUE));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "zone bits",
                    () -> r.reserve(Gfp.GFP_KERNEL | Gfp.__GFP_DMA, 1));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "unknown bits", () -> r.reserve(0x8000, 1));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "flags",
                    () -> rs.create("x", KERNEL, 7));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "name", () -> rs.create("", KERNEL, 0));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "no populated zone",
                    () -> rs.create("dma", Gfp.GFP_DMA, 0));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "count >= 0",
                    () -> ReservationSizing.pages(-1, 0));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "too many",
                    () -> ReservationSizing.pages(Integer.MAX_VALUE, 2));
            assertThat(rs.outstanding()).isEqualTo(1);
            assertThat(r.reserve(KERNEL, 0)).isTrue();
        }
    }

    @Test
    void aSleepingAdmissionFromInterruptContextIsABug() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            try (Task.IrqScope irq = m.current().irqEnter()) {
                assertRejectedUnchanged(rs, KernelBug.class, "interrupt context", () -> r.reserve(KERNEL, 1));
                assertThat(r.reserve(ATOMIC, 1)).as("an atomic admission is fine there").isTrue();
            }
        }
    }

    /** A reservation whose admission is still waiting cannot be destroyed. */
    @Test
    void destroyingDuringAWaitingAdmissionIsRefused() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation filler = rs.create("filler", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(filler.reserve(ATOMIC, NORMAL_RESERVABLE)).isTrue();
            Reservation r = rs.create("r", KERNEL, Reservation.RSV_MULTISHOT);
            Thread waiter = new Thread(() -> r.reserve(KERNEL, 5));
            waiter.start();
            assertThat(Rsv.eventually(() -> r.debt() == 5 && m.pageAlloc().waiters() == 1)).isTrue();
            assertThatThrownBy(r::destroy).isInstanceOf(IllegalStateException.class).hasMessageContaining("waiting");
            assertThat(r.isDestroyed()).isFalse();
            assertThatThrownBy(() -> m.pageAlloc().reservePages(r.account(), KERNEL, 1, 0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("still waiting");
            filler.destroy();
            waiter.join(10_000);
            assertThat(r.avail()).isEqualTo(5);
            r.destroy();
            rs.checkInvariants();
        }
    }

    @Test
    void anAccountOfAnotherMachineIsRefused() {
        try (Machine m = Rsv.normalOnly(); Machine other = Rsv.normalOnly()) {
            ReserveAccount foreign = new ReserveAccount(other, "foreign", KERNEL, true);
            Reservations rs = Reservations.boot(m);
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "another machine",
                    () -> m.pageAlloc().reservePages(foreign, ATOMIC, 1, 0));
            assertRejectedUnchanged(rs, IllegalArgumentException.class, "another machine",
                    () -> m.pageAlloc().allocFromReserve(foreign, ATOMIC, 0, m.pageAlloc().zonelist(KERNEL)));
        }
    }
}
