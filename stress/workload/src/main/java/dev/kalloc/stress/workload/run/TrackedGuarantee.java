// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.ElementAllocFn;
import dev.kalloc.bio.ElementFreeFn;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Elements;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.slab.SlabObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Guarantee} decorator that lets the workload see, through public APIs only, what the
 * guarantee holds and does, besides two things the guarantee itself does not report:
 *
 * <ul>
 *   <li><b>Memory held idle.</b> Each source's allocator pair ({@link Elements#alloc()},
 *       {@link Elements#free()}: the driver's own, or the bare allocator) is wrapped, and handed
 *       on with the same description ({@link Elements#allocatedBy}), to count the elements
 *       (and bytes) the underlying allocator has handed out and not taken back. For a mempool,
 *       those minus the elements its users hold ({@link ElementSource#outstanding()}) are the
 *       idle pool elements. For a reservation, the idle memory is the reserved pages not yet
 *       used ({@link Reservation#avail()}), read from the machine's {@link Reservations}. None
 *       holds nothing.</li>
 *   <li><b>Where a thread waits.</b> Around every {@code alloc} the calling thread is noted with
 *       the source's name, so a deadlock report can say "in bio (mempool-2.5.1)" rather than only
 *       quoting a stack.</li>
 * </ul>
 *
 * <p>It also gathers, for the report, the counters every source keeps
 * ({@link ElementSource#counters()}: why the guarantee did what it did) and what is in use right
 * now (elements out, or reserved pages used), which the memory time series samples
 * ({@link MemorySampler}).
 *
 * <p>Element size: a {@link Page} counts {@code PAGE_SIZE << order}, a {@link SlabObject} its
 * object size; any other element type counts as 0 bytes (and its elements are still counted).
 *
 * <p>Threads: everything may be called from any thread; counts are atomics, the per-thread notes
 * a concurrent map.
 */
final class TrackedGuarantee implements Guarantee {
    private final Guarantee inner;
    private final Reservations reservations;
    private final List<Tracked<?>> sources = new CopyOnWriteArrayList<>();
    private final Map<Thread, String> allocating = new ConcurrentHashMap<>();

    /**
     * @param reservations the registry {@code inner} takes its reservations in, if it is a
     *        reservation guarantee (read for the idle and used pages); may be null otherwise
     */
    TrackedGuarantee(Guarantee inner, Reservations reservations) {
        this.inner = inner;
        this.reservations = reservations;
    }

    @Override
    public GuaranteeKind kind() {
        return inner.kind();
    }

    /**
     * The wrapped guarantee's source for the same description, its allocator pair counted; the
     * guarantee sizes itself as it would untracked (the description's memory, counts and zones
     * are handed on unchanged).
     */
    @Override
    public <E> ElementSource<E> source(String name, Elements<E> elements) {
        Tracked<E> t = new Tracked<>(elements.alloc(), elements.free());
        t.source = inner.source(name, elements.allocatedBy(t::underlyingAlloc, t::underlyingFree));
        sources.add(t);
        return t;
    }

    /** Bytes the guarantee holds idle right now: pool elements not out, reserved pages not used. */
    long idleBytes() {
        switch (inner.kind()) {
            case MEMPOOL_2_5_1:
            case MEMPOOL_MODERN: {
                long bytes = 0;
                for (Tracked<?> t : sources) {
                    long idle = t.underlyingLive.get() - t.source.outstanding();
                    bytes += Math.max(0, idle) * t.elementBytes;
                }
                return bytes;
            }
            case RESERVATION: {
                long pages = 0;
                for (Reservation r : reservations.reservations()) {
                    pages += Math.max(0, r.avail());
                }
                return pages * PhysicalMemory.PAGE_SIZE;
            }
            default:
                return 0;
        }
    }

    /**
     * What the guarantee has in use now: for a reservation, the pages allocated from the
     * machine's reservations and not freed ({@link Reservation#used()}), the quota its users
     * hold; otherwise the elements out of every source ({@link ElementSource#outstanding()}).
     */
    long inUse() {
        long n = 0;
        if (inner.kind() == GuaranteeKind.RESERVATION) {
            for (Reservation r : reservations.reservations()) {
                n += Math.max(0, r.used());
            }
        } else {
            for (Tracked<?> t : sources) {
                n += Math.max(0, t.source.outstanding());
            }
        }
        return n;
    }

    /**
     * Every live source's counters, each name prefixed with the source's name and a dot
     * ({@code bio.served_nowait}), sources in creation order; for a reservation guarantee then
     * the machine's admission counters ({@code reservations.granted}, {@code .waited},
     * {@code .refused}, {@code .timed_out}, {@code .wait_ns}). A destroyed source's counters go
     * with it, so read them before the drivers are torn down. Two live sources with one name
     * (two bio sets called "bio") have their counters added, which keeps every name once and
     * still totals right (levels served, pages reserved).
     */
    Map<String, Long> counters() {
        Map<String, Long> all = new LinkedHashMap<>();
        for (Tracked<?> t : sources) {
            String prefix = t.name() + ".";
            for (Map.Entry<String, Long> c : t.counters().entrySet()) {
                all.merge(prefix + c.getKey(), c.getValue(), Long::sum);
            }
        }
        if (inner.kind() == GuaranteeKind.RESERVATION) {
            all.put("reservations.granted", reservations.admissionsGranted());
            all.put("reservations.waited", reservations.admissionsWaited());
            all.put("reservations.refused", reservations.admissionsRefused());
            all.put("reservations.timed_out", reservations.admissionsTimedOut());
            all.put("reservations.wait_ns", reservations.waitNanos());
        }
        return Collections.unmodifiableMap(all);
    }

    /** Allocations that returned null, over every source. */
    long failures() {
        long n = 0;
        for (Tracked<?> t : sources) {
            n += t.source.failures();
        }
        return n;
    }

    /**
     * Allocations that returned null to a caller that may sleep ({@code __GFP_WAIT}), over every
     * source: the nulls a mempool or a reservation promises never to return. {@link #failures()}
     * also counts nulls returned to atomic callers, which both designs allow (a stacked pool's
     * first, non-sleeping attempt at the pool under it is one).
     */
    long sleepingFailures() {
        long n = 0;
        for (Tracked<?> t : sources) {
            n += t.sleepingNulls.get();
        }
        return n;
    }

    /** What {@code thread} is allocating from right now, or null. */
    String allocatingIn(Thread thread) {
        return allocating.get(thread);
    }

    @Override
    public String toString() {
        return inner.kind().label();
    }

    /** One source, with its allocator pair counted and its callers noted. */
    private final class Tracked<E> implements ElementSource<E> {
        private final ElementAllocFn<E> alloc;
        private final ElementFreeFn<E> free;
        private final AtomicLong underlyingLive = new AtomicLong();
        /** Nulls returned to callers that may sleep (a stacked pool's own first probe is not one). */
        private final AtomicLong sleepingNulls = new AtomicLong();
        private volatile long elementBytes;
        private ElementSource<E> source;

        Tracked(ElementAllocFn<E> alloc, ElementFreeFn<E> free) {
            this.alloc = alloc;
            this.free = free;
        }

        E underlyingAlloc(int gfp) {
            E e = alloc.alloc(gfp);
            if (e != null) {
                underlyingLive.incrementAndGet();
                if (elementBytes == 0) {
                    elementBytes = sizeOf(e);
                }
            }
            return e;
        }

        void underlyingFree(E e) {
            free.free(e);
            underlyingLive.decrementAndGet();
        }

        @Override
        public E alloc(int gfp) {
            Thread me = Thread.currentThread();
            String previous = allocating.put(me, source.name() + " (" + inner.kind().label() + ")");
            try {
                E e = source.alloc(gfp);
                if (e == null && (gfp & Gfp.__GFP_WAIT) != 0) {
                    sleepingNulls.incrementAndGet(); // what a guarantee promises never to do
                }
                return e;
            } finally {
                if (previous == null) {
                    allocating.remove(me);
                } else {
                    allocating.put(me, previous);
                }
            }
        }

        @Override
        public void free(E element) {
            source.free(element);
        }

        @Override
        public void destroy() {
            source.destroy();
            sources.remove(this);
        }

        @Override
        public String name() {
            return source.name();
        }

        @Override
        public GuaranteeKind kind() {
            return source.kind();
        }

        @Override
        public long outstanding() {
            return source.outstanding();
        }

        @Override
        public long failures() {
            return source.failures();
        }

        @Override
        public Map<String, Long> counters() {
            return source.counters();
        }
    }

    private static long sizeOf(Object e) {
        if (e instanceof Page) {
            return (long) PhysicalMemory.PAGE_SIZE << ((Page) e).order();
        }
        if (e instanceof SlabObject) {
            return ((SlabObject) e).size();
        }
        return 0;
    }
}
