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
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.slab.SlabObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The scoped per-task context ({@code current->page_reservations}): nesting, restoring, misuse,
 * and allocations made below it (slab growth) drawing on the reservation unchanged.
 */
class ScopeTest {

    @Test
    void scopesNestAndRestore() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation b = rs.create("b", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(a.reserve(ATOMIC, 4)).isTrue();
            assertThat(b.reserve(ATOMIC, 4)).isTrue();
            Task t = m.current();
            PageAllocator pa = m.pageAlloc();
            pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 3);
            List<Page> pages = new ArrayList<>();
            try (ReservationScope outer = a.enter()) {
                assertThat(t.get(PageReservation.SLOT)).isSameAs(a);
                pages.add(pa.allocPages(KERNEL, 0));
                try (ReservationScope inner = b.enter()) {
                    assertThat(t.get(PageReservation.SLOT)).isSameAs(b);
                    pages.add(pa.allocPages(KERNEL, 0));
                    pages.add(pa.allocPages(KERNEL, 0));
                    try (ReservationScope again = a.enter()) {
                        pages.add(pa.allocPages(KERNEL, 0));
                        assertThat(a.scopes()).isEqualTo(2);
                    }
                    assertThat(t.get(PageReservation.SLOT)).isSameAs(b);
                }
                assertThat(t.get(PageReservation.SLOT)).isSameAs(a);
            }
            assertThat(t.get(PageReservation.SLOT)).isNull();
            pa.failPageAlloc().attr().disable();
            assertThat(pages).doesNotContainNull();
            assertThat(List.of(a.used(), b.used())).containsExactly(2, 2);
            assertThat(List.of(a.scopes(), b.scopes())).containsExactly(0, 0);
            Rsv.freeAll(m, pages);
            rs.checkInvariants();
        }
    }

    @Test
    void theInnermostReservationAloneIsTried() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation outer = rs.create("outer", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation empty = rs.create("empty", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(outer.reserve(ATOMIC, 4)).isTrue();
            m.pageAlloc().failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 3);
            try (ReservationScope o = outer.enter(); ReservationScope i = empty.enter()) {
                assertThat(m.pageAlloc().allocPages(KERNEL, 0)).isNull();
            }
            m.pageAlloc().failPageAlloc().attr().disable();
            assertThat(outer.avail()).isEqualTo(4);
        }
    }

    @Test
    void aScopeIsTheOpeningTasksAlone() throws Exception {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            try (ReservationScope scope = a.enter()) {
                AtomicReference<Object> seen = new AtomicReference<>("unset");
                AtomicReference<Throwable> closing = new AtomicReference<>();
                Thread other = new Thread(() -> {
                    seen.set(m.current().get(PageReservation.SLOT));
                    try {
                        scope.close();
                    } catch (IllegalStateException e) {
                        closing.set(e);
                    }
                });
                other.start();
                other.join();
                assertThat(seen.get()).isNull();
                assertThat(closing.get()).hasMessageContaining("another thread");
                assertThat(m.current().get(PageReservation.SLOT)).isSameAs(a);
            }
        }
    }

    @Test
    void misuseOfScopesIsRefusedAndChangesNothing() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation a = rs.create("a", KERNEL, Reservation.RSV_MULTISHOT);
            Reservation b = rs.create("b", KERNEL, Reservation.RSV_MULTISHOT);
            Task t = m.current();
            ReservationScope outer = a.enter();
            ReservationScope inner = b.enter();
            assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("out of order");
            assertThat(t.get(PageReservation.SLOT)).isSameAs(b);
            assertThatThrownBy(a::destroy).isInstanceOf(IllegalStateException.class).hasMessageContaining("scope");
            assertThat(a.isDestroyed()).isFalse();
            inner.close();
            assertThatThrownBy(inner::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
            outer.close();
            assertThat(t.get(PageReservation.SLOT)).isNull();
            a.destroy();
            assertThatThrownBy(a::enter).isInstanceOf(IllegalStateException.class).hasMessageContaining("destroyed");
            assertThat(t.get(PageReservation.SLOT)).isNull();
            assertThat(a.scopes()).isZero();
        }
    }

    /**
     * A slab cache grows inside the scope with its own unchanged code: when the page allocator's
     * passes fail, the slab pages come from the reservation, and shrinking the cache gives the
     * quota back.
     */
    @Test
    void slabAllocationsBelowTheScopeDrawOnTheReservation() {
        try (Machine m = Rsv.normalOnly()) {
            m.bindCurrentThread(0);
            SlabAllocator slab = SlabAllocator.boot(m);
            KmemCache<SlabObject> cache = slab.kmemCacheCreate("rsv_obj", 256, 0, 0, null, null);
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("objs", KERNEL, Reservation.RSV_MULTISHOT);
            int pages = ReservationSizing.slabObjects(m, cache, 40);
            assertThat(r.reserve(ATOMIC, pages)).isTrue();
            List<Page> others = Rsv.grabAll(m, KERNEL);
            assertThat(cache.alloc(SlabFlags.SLAB_NOIO)).as("no memory outside the reservation").isZero();

            List<Long> objs = new ArrayList<>();
            try (ReservationScope scope = r.enter()) {
                for (int i = 0; i < 40; i++) {
                    long obj = cache.alloc(SlabFlags.SLAB_NOIO);
                    assertThat(obj).as("object %d", i).isNotZero();
                    objs.add(obj);
                }
            }
            assertThat(r.used()).isPositive().isLessThanOrEqualTo(pages);
            slab.checkInvariants();
            rs.checkInvariants();
            for (long obj : objs) {
                cache.free(obj);
            }
            cache.shrink();
            assertThat(r.used()).isZero();
            assertThat(r.avail()).isEqualTo(pages);
            Rsv.freeAll(m, others);
            slab.checkInvariants();
            rs.checkInvariants();
        }
    }
}
