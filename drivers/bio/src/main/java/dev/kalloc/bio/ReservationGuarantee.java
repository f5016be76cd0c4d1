// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.ReservationScope;
import dev.kalloc.reservation.ReservationSizing;
import dev.kalloc.reservation.ReservationStats;
import dev.kalloc.reservation.Reservations;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Ben LaHaise's guarantee ({@link Guarantees#reservation}): each source takes a multishot
 * reservation at creation, waiting for admission, and enters it around every allocation of the
 * elements' allocator.
 *
 * <p>Sizing, owned here so that no driver turns its worst case into pages: the in-flight limit
 * is {@link Elements#count()}; the reservation holds the pages that {@code count * perElement}
 * objects of the elements' cache need ({@link ReservationSizing#slabObjects}, per-CPU headroom
 * and off-slab descriptors included) or that many blocks of their order
 * ({@link ReservationSizing#pages}), in the zonelist of {@code GFP_NOIO} with the elements' zones
 * ORed in (Normal then DMA by default; DMA only for {@code __GFP_DMA}), so that the quota lies
 * where the allocations fall. A pre-allocation count means nothing here: nothing is allocated
 * ahead.
 */
final class ReservationGuarantee implements Guarantee {
    private final Reservations reservations;
    private final Machine machine;

    ReservationGuarantee(Reservations reservations) {
        this.reservations = reservations;
        this.machine = reservations.machine();
    }

    @Override
    public GuaranteeKind kind() {
        return GuaranteeKind.RESERVATION;
    }

    @Override
    public <E> ElementSource<E> source(String name, Elements<E> elements) {
        if (elements.machine() != null && elements.machine() != machine) {
            throw new IllegalArgumentException("reservation " + name + ": elements of " + elements.machine()
                    + ", guarantee of " + machine);
        }
        int pages = pagesFor(elements);
        Reservation rsv = reservations.create(name, Gfp.GFP_NOIO | elements.zones(), Reservation.RSV_MULTISHOT);
        if (!rsv.reserve(Gfp.GFP_KERNEL, pages)) {
            rsv.destroy();
            throw new IllegalStateException("reservation " + name + ": " + pages + " pages refused");
        }
        return new ReservedSource<>(name, rsv, elements.count(), elements.alloc(), elements.free());
    }

    /** The pages {@code elements} need at once, at worst. */
    private int pagesFor(Elements<?> elements) {
        if (elements.cache() != null) {
            return ReservationSizing.slabObjects(machine, elements.cache(), elements.units());
        }
        return ReservationSizing.pages(elements.units(), elements.order());
    }

    @Override
    public String toString() {
        return "reservation";
    }

    /**
     * Allocation under an entered reservation, with the in-flight limit the reservation was
     * sized for: at most {@code limit} elements are out at once; a sleeping allocation beyond it
     * waits (exclusively, on {@code wq}) for a free, an atomic one fails. Without the limit a
     * fast submitter would take elements faster than a slow device gives them back, and use the
     * reservation up. The slot is claimed by CAS on {@code outstanding} before allocating, and
     * given back (with a wake-up) if the allocation fails; a waiter queues before it re-reads
     * {@code outstanding}, so a free between the test and the sleep wakes it (no lost wake-up).
     * Those sleeps are this guarantee's counterpart of a pool's level-5 wait (Molnar's "elements
     * come back after the I/O latency" holds here too), so they are counted and timed, as
     * {@code mempool_alloc}'s are.
     */
    private static final class ReservedSource<E> extends CountedSource<E> {
        private final Reservation rsv;
        private final int limit;
        private final ElementAllocFn<E> alloc;
        private final ElementFreeFn<E> free;
        private final WaitQueue wq = new WaitQueue();
        private final LongAdder limitWaits = new LongAdder();
        private final LongAdder limitWaitNanos = new LongAdder();

        ReservedSource(String name, Reservation rsv, int limit, ElementAllocFn<E> alloc, ElementFreeFn<E> free) {
            super(name, GuaranteeKind.RESERVATION);
            this.rsv = rsv;
            this.limit = limit;
            this.alloc = alloc;
            this.free = free;
        }

        @Override
        public E alloc(int gfp) {
            for (;;) {
                long o = outstanding.get();
                if (o < limit) {
                    if (outstanding.compareAndSet(o, o + 1)) {
                        break;
                    }
                    continue;
                }
                if ((gfp & Gfp.__GFP_WAIT) == 0) {
                    failures.incrementAndGet();
                    return null;
                }
                if (rsv.machine().current().inInterrupt()) {
                    throw new KernelBug("sleeping allocation from " + name + " (" + Gfp.toString(gfp)
                            + ") in interrupt context");
                }
                WaitQueue.Entry w = wq.prepareToWait(true);
                try {
                    if (outstanding.get() >= limit) {
                        long start = System.nanoTime();
                        wq.schedule(w);
                        limitWaits.increment();
                        limitWaitNanos.add(System.nanoTime() - start);
                    }
                } finally {
                    wq.finishWait(w);
                }
            }
            E e;
            try (ReservationScope scope = rsv.enter()) {
                e = alloc.alloc(gfp);
            }
            if (e == null) {
                outstanding.decrementAndGet();
                failures.incrementAndGet();
                wq.wakeUp();
            }
            return e;
        }

        @Override
        public void free(E element) {
            if (element != null) {
                free.free(element);
                outstanding.decrementAndGet();
                wq.wakeUp();
            }
        }

        @Override
        public void destroy() {
            checkIdle("reservation source");
            rsv.destroy();
        }

        /**
         * How the reservation served the allocations the normal passes refused:
         * {@code served_free} (a free reserved page), {@code served_after_drop} (after dropping
         * clean page-cache pages, {@code dropped_clean} of them), {@code pinned_waits} (sleeps
         * because every clean page left was pinned), {@code reserve_failures} (requests it could
         * not serve, which then went on as ordinary allocations); then the source's own
         * {@code limit_waits} and {@code limit_wait_ns} (sleeps at the in-flight limit) and
         * {@code failures} (nulls returned to the driver); and the reservation now:
         * {@code avail} (reserved, unused) and {@code used}.
         */
        @Override
        public Map<String, Long> counters() {
            ReservationStats s = rsv.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            c.put("served_free", s.servedFree());
            c.put("served_after_drop", s.servedAfterDrop());
            c.put("dropped_clean", s.droppedClean());
            c.put("pinned_waits", s.pinnedWaits());
            c.put("reserve_failures", s.failures());
            c.put("limit_waits", limitWaits.sum());
            c.put("limit_wait_ns", limitWaitNanos.sum());
            c.put("failures", failures.get());
            c.put("avail", (long) s.avail());
            c.put("used", (long) s.used());
            return Collections.unmodifiableMap(c);
        }
    }
}
