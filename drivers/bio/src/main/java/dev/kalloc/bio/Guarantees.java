package dev.kalloc.bio;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.mempool.MempoolLevel;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.MempoolStats;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.KernelBug;
import dev.kalloc.page.Machine;
import dev.kalloc.page.WaitQueue;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.ReservationScope;
import dev.kalloc.reservation.ReservationStats;
import dev.kalloc.reservation.Reservations;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The three {@link Guarantee} implementations.
 *
 * <p>Counters: every source counts its outstanding elements and its failures with atomics; they
 * are statistics, read without locks. {@link ElementSource#counters()} adds the guarantee's own
 * account of why: a pool's per-level counters (Molnar's five levels, as
 * {@link Mempool#stats()} keeps them), a reservation's (LaHaise's free page or dropped clean
 * page, as {@link ReservationStats} keeps them, plus the source's waits at its in-flight limit).
 * The bare allocator has nothing to explain beyond its failures. No counter is added to a fast
 * path for this: each name maps to a count the pool or the page allocator already keeps, except
 * the limit waits, which are counted only when a caller sleeps.
 */
public final class Guarantees {
    private Guarantees() {
    }

    /**
     * The kernel's guarantee: each source is a {@link Mempool} of {@code minNr} elements with
     * {@code policy}, prefilled at creation.
     */
    public static Guarantee mempool(Machine machine, MempoolPolicy policy) {
        if (machine == null || policy == null) {
            throw new IllegalArgumentException("a mempool guarantee needs a machine and a policy");
        }
        return new Guarantee() {
            @Override
            public Kind kind() {
                return Kind.MEMPOOL;
            }

            @Override
            public <E> ElementSource<E> source(String name, int minNr, int reservePages, MempoolAllocFn<E> alloc,
                    MempoolFreeFn<E> free) {
                Mempool<E> pool = Mempool.builder(name, minNr, alloc, free).machine(machine).policy(policy).create();
                if (pool == null) {
                    throw new IllegalStateException("mempool " + name + ": could not prefill " + minNr + " elements");
                }
                return new PoolSource<>(pool);
            }

            @Override
            public String toString() {
                return "mempool(" + policy.label() + ")";
            }
        };
    }

    /**
     * LaHaise's guarantee: each source takes a multishot reservation of {@code reservePages}
     * pages (zones of {@code GFP_NOIO}: Normal, then DMA; or of the {@code zoneGfp} the source
     * is created with) at creation, waiting for admission,
     * and enters it around every allocation; {@code minNr} is the source's in-flight limit,
     * beyond which sleeping allocations wait for a free and atomic ones fail.
     */
    public static Guarantee reservation(Reservations reservations) {
        if (reservations == null) {
            throw new IllegalArgumentException("a reservation guarantee needs the machine's Reservations");
        }
        return new Guarantee() {
            @Override
            public Kind kind() {
                return Kind.RESERVATION;
            }

            @Override
            public <E> ElementSource<E> source(String name, int minNr, int reservePages, MempoolAllocFn<E> alloc,
                    MempoolFreeFn<E> free) {
                return source(name, minNr, reservePages, Gfp.GFP_NOIO, alloc, free);
            }

            /** The reservation spans {@code zoneGfp}'s zonelist (DMA only for {@code GFP_DMA}). */
            @Override
            public <E> ElementSource<E> source(String name, int minNr, int reservePages, int zoneGfp,
                    MempoolAllocFn<E> alloc, MempoolFreeFn<E> free) {
                if (minNr < 1) {
                    throw new IllegalArgumentException("reservation source " + name + ": in-flight limit " + minNr);
                }
                Reservation rsv = reservations.create(name, zoneGfp, Reservation.RSV_MULTISHOT);
                if (!rsv.reserve(Gfp.GFP_KERNEL, reservePages)) {
                    rsv.destroy();
                    throw new IllegalStateException("reservation " + name + ": " + reservePages + " pages refused");
                }
                return new ReservedSource<>(name, rsv, minNr, alloc, free);
            }

            @Override
            public String toString() {
                return "reservation";
            }
        };
    }

    /** The baseline: each source is the bare allocator. */
    public static Guarantee none() {
        return new Guarantee() {
            @Override
            public Kind kind() {
                return Kind.NONE;
            }

            @Override
            public <E> ElementSource<E> source(String name, int minNr, int reservePages, MempoolAllocFn<E> alloc,
                    MempoolFreeFn<E> free) {
                return new PlainSource<>(name, alloc, free);
            }

            @Override
            public String toString() {
                return "none";
            }
        };
    }

    /** Counting shared by the three sources. */
    private abstract static class Counted<E> implements ElementSource<E> {
        final String name;
        final AtomicLong outstanding = new AtomicLong();
        final AtomicLong failures = new AtomicLong();

        Counted(String name) {
            this.name = name;
        }

        final E counted(E e) {
            if (e == null) {
                failures.incrementAndGet();
            } else {
                outstanding.incrementAndGet();
            }
            return e;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long outstanding() {
            return outstanding.get();
        }

        @Override
        public long failures() {
            return failures.get();
        }

        final void checkIdle(String what) {
            if (outstanding.get() != 0) {
                throw new IllegalStateException(what + " " + name + ": " + outstanding.get()
                        + " elements are still out; free them before destroying it");
            }
        }

        @Override
        public String toString() {
            return kind().label() + " source " + name;
        }
    }

    private static final class PoolSource<E> extends Counted<E> {
        private final Mempool<E> pool;

        PoolSource(Mempool<E> pool) {
            super(pool.name());
            this.pool = pool;
        }

        @Override
        public E alloc(int gfp) {
            return counted(pool.alloc(gfp));
        }

        @Override
        public void free(E element) {
            if (element != null) {
                pool.free(element);
                outstanding.decrementAndGet();
            }
        }

        @Override
        public void destroy() {
            pool.destroy();
        }

        @Override
        public Guarantee.Kind kind() {
            return Guarantee.Kind.MEMPOOL;
        }

        /** The pool behind this source, for views and tests. */
        Mempool<E> pool() {
            return pool;
        }

        /**
         * {@code served_<level>} for the five levels of {@code mempool_alloc} (the column names
         * of the mempoolinfo view: nowait, half_full, full_gfp, nonempty, waited), then
         * {@code freed_to_pool}, {@code freed_to_alloc}, {@code waits}, {@code wait_ns},
         * {@code wait_timeouts} (modern sleeps ended by their 5 s timeout rather than a free: a
         * stall, or a lost wake-up), {@code failures}, and the pool's size now: {@code min_nr},
         * {@code curr_nr}.
         */
        @Override
        public Map<String, Long> counters() {
            MempoolStats s = pool.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            for (MempoolLevel level : MempoolLevel.values()) {
                c.put("served_" + level.column(), s.served(level));
            }
            c.put("freed_to_pool", s.freedToPool());
            c.put("freed_to_alloc", s.freedToAllocator());
            c.put("waits", s.waits());
            c.put("wait_ns", s.waitNanos());
            c.put("wait_timeouts", pool.waitTimeouts());
            c.put("failures", s.failures());
            c.put("min_nr", (long) s.minNr());
            c.put("curr_nr", (long) s.currNr());
            return Collections.unmodifiableMap(c);
        }
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
    private static final class ReservedSource<E> extends Counted<E> {
        private final Reservation rsv;
        private final int limit;
        private final MempoolAllocFn<E> alloc;
        private final MempoolFreeFn<E> free;
        private final WaitQueue wq = new WaitQueue();
        private final LongAdder limitWaits = new LongAdder();
        private final LongAdder limitWaitNanos = new LongAdder();

        ReservedSource(String name, Reservation rsv, int limit, MempoolAllocFn<E> alloc, MempoolFreeFn<E> free) {
            super(name);
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

        @Override
        public Guarantee.Kind kind() {
            return Guarantee.Kind.RESERVATION;
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

    private static final class PlainSource<E> extends Counted<E> {
        private final MempoolAllocFn<E> alloc;
        private final MempoolFreeFn<E> free;

        PlainSource(String name, MempoolAllocFn<E> alloc, MempoolFreeFn<E> free) {
            super(name);
            this.alloc = alloc;
            this.free = free;
        }

        @Override
        public E alloc(int gfp) {
            return counted(alloc.alloc(gfp));
        }

        @Override
        public void free(E element) {
            if (element != null) {
                free.free(element);
                outstanding.decrementAndGet();
            }
        }

        @Override
        public void destroy() {
            checkIdle("source");
        }

        @Override
        public Guarantee.Kind kind() {
            return Guarantee.Kind.NONE;
        }

        /**
         * {@code failures} only: the bare allocator has no levels and no reserve, and its
         * successful allocations are not counted (a counter on the baseline's fast path would
         * tax exactly the cost the comparison measures against).
         */
        @Override
        public Map<String, Long> counters() {
            return Map.of("failures", failures.get());
        }
    }
}
