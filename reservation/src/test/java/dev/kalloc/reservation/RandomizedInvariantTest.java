// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.MemoryHog;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random sequences of everything that touches reserved, free and clean pages (admission,
 * put, destroy, allocation from a reservation and ordinary allocation, frees, page-cache fills,
 * dirtying, writeback, reclaim, pinned removals) with a page-cache hog, checking after every step
 * that each zone keeps {@code reserved <= free + clean} and that the accounting adds up, and that
 * an order-0 allocation within a reservation's quota never fails. A failure names the seed and
 * step; rerun with that seed to reproduce.
 *
 * <p>Two drivers: the hog in lockstep with the operations (deterministic: the full machine check
 * after every step), and the hog in its own thread (the zones' checks, which take the zone locks
 * and are exact while others run, after every step; the full check at the end).
 */
class RandomizedInvariantTest {
    private static final int STEPS = 1200;
    /** The concurrent driver's steps: each also waits for the hog's locks. */
    private static final int CONCURRENT_STEPS = 600;
    private static final int[] ZONE_GFPS = {Gfp.GFP_KERNEL, Gfp.GFP_HIGHUSER, Gfp.GFP_DMA};
    private static final int[] FLAGS = {Reservation.RSV_MULTISHOT, Reservation.RSV_MULTISHOT, Reservation.RSV_ONESHOT};
    private static final int[] ALLOC_GFPS = {Gfp.GFP_KERNEL, Gfp.GFP_NOIO, Gfp.GFP_HIGHUSER, Gfp.GFP_ATOMIC,
        Gfp.GFP_NOIO | Gfp.__GFP_DMA, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM};

    /** The state one run drives. */
    private static final class World {
        final Machine m;
        final PageAllocator pa;
        final Reservations rs;
        final MemoryHog hog;
        final Random rnd;
        final Reservation[] rsv = new Reservation[3];
        final List<Page> ordinary = new ArrayList<>();
        final List<Page> fromRsv = new ArrayList<>();
        int created;
        /** Counts of retired reservations plus live ones, to show which paths a run exercised. */
        long servedFree;
        long servedAfterDrop;
        long dropped;

        World(long seed) {
            m = Machine.boot(TinyMachines.threeZones().build());
            pa = m.pageAlloc();
            rs = Reservations.boot(m);
            hog = new MemoryHog(m, "hog");
            rnd = new Random(seed);
            for (int i = 0; i < rsv.length; i++) {
                rsv[i] = newReservation(i);
            }
        }

        Reservation newReservation(int i) {
            return rs.create("r" + i + "." + created++, ZONE_GFPS[i], FLAGS[i]);
        }

        /** One random operation of the reservation side; the hog is driven by the caller. */
        void step(boolean lockstepHog) {
            int op = rnd.nextInt(lockstepHog ? 17 : 13);
            Reservation r = rsv[rnd.nextInt(rsv.length)];
            switch (op) {
                case 0, 1 -> r.reserve(Gfp.GFP_ATOMIC, rnd.nextInt(40));
                case 2 -> r.put(rnd.nextInt(r.avail() + 1));
                case 3, 4, 5 -> allocFromScope(r);
                case 6 -> freeOne(fromRsv);
                case 7 -> ordinary.addAll(Rsv.grab(m, ALLOC_GFPS[rnd.nextInt(ALLOC_GFPS.length)] & ~Gfp.__GFP_WAIT,
                        rnd.nextInt(60)));
                case 8 -> {
                    for (int n = rnd.nextInt(ordinary.size() / 2 + 2); n >= 0; n--) {
                        freeOne(ordinary);
                    }
                }
                case 9 -> dirtyOne();
                case 10 -> m.reclaim().tryToFreePages(m.zones().get(rnd.nextInt(m.zones().size())),
                        rnd.nextBoolean() ? Gfp.GFP_NOIO : Gfp.GFP_KERNEL, 0);
                case 11 -> recreate();
                case 12 -> {
                    // Squeeze: ordinary allocations take every page they may, then the
                    // reservation must find its pages among the clean ones.
                    ordinary.addAll(Rsv.grabAll(m, Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM));
                    allocFromScope(r);
                }
                case 13 -> hog.fillClean(rnd.nextInt(40));
                case 14 -> hog.fillDirty(rnd.nextInt(10));
                case 15 -> removePinned();
                default -> {
                    if (rnd.nextInt(8) == 0) {
                        hog.release();
                    } else {
                        m.pageCache().reclaimCleanPage(m.zones().get(rnd.nextInt(m.zones().size())));
                    }
                }
            }
        }

        void allocFromScope(Reservation r) {
            int gfp = ALLOC_GFPS[rnd.nextInt(ALLOC_GFPS.length)];
            int order = rnd.nextInt(6) == 0 ? 1 : 0;
            boolean inject = rnd.nextBoolean();
            boolean withinQuota = order == 0 && hasQuota(r, gfp);
            if (inject) {
                pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, rnd.nextLong());
            }
            Page p;
            try (ReservationScope scope = r.enter()) {
                p = pa.allocPages(gfp, order);
            } finally {
                pa.failPageAlloc().attr().disable();
            }
            if (withinQuota) {
                assertThat(p).as("order-0 %s within the quota of %s", Gfp.toString(gfp), r).isNotNull();
            }
            if (p != null) {
                fromRsv.add(p);
            }
        }

        boolean hasQuota(Reservation r, int gfp) {
            for (Zone z : pa.zonelist(gfp)) {
                if (r.account().avail(z) > 0) {
                    return true;
                }
            }
            return false;
        }

        void freeOne(List<Page> pages) {
            if (!pages.isEmpty()) {
                Page p = pages.remove(rnd.nextInt(pages.size()));
                pa.freePages(p, p.order());
            }
        }

        void dirtyOne() {
            List<Page> cached = hog.cachedPages();
            if (!cached.isEmpty()) {
                Page p = cached.get(rnd.nextInt(cached.size()));
                Page ref = m.pageCache().findGetPage(hog.mapping(), p.index());
                if (ref != null) {
                    try {
                        if (!ref.testFlag(Page.PG_writeback)) {
                            m.pageCache().setPageDirty(ref, Gfp.GFP_ATOMIC);
                        }
                    } finally {
                        pa.putPage(ref);
                    }
                }
            }
        }

        /** A clean page removed while pinned (an orphan), then unpinned: all in one step. */
        void removePinned() {
            List<Page> cached = hog.cachedPages();
            PageCache pc = m.pageCache();
            if (!cached.isEmpty()) {
                Page p = cached.get(rnd.nextInt(cached.size()));
                Page ref = pc.findGetPage(hog.mapping(), p.index());
                if (ref != null) {
                    if (!ref.testFlag(Page.PG_dirty) && !ref.testFlag(Page.PG_writeback)) {
                        pc.removePage(ref);
                    }
                    pa.putPage(ref);
                }
            }
        }

        void retire(Reservation r) {
            servedFree += r.account().servedFree();
            servedAfterDrop += r.account().servedAfterDrop();
            dropped += r.account().droppedClean();
            r.destroy();
        }

        void recreate() {
            int i = rnd.nextInt(rsv.length);
            retire(rsv[i]);
            rsv[i] = newReservation(i);
        }

        void close() {
            Rsv.freeAll(m, ordinary);
            for (Page p : fromRsv) {
                pa.freePages(p, p.order());
            }
            fromRsv.clear();
            hog.release();
            rs.checkInvariants();
            for (Reservation r : rsv) {
                retire(r);
            }
            m.checkInvariants();
            for (Zone z : m.zones()) {
                assertThat(z.reservedPages()).isZero();
            }
            m.close();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2001, 424242})
    void lockstepWithAHog(long seed) {
        World w = new World(seed);
        try {
            for (int step = 0; step < STEPS; step++) {
                w.step(true);
                try {
                    w.rs.checkInvariants();
                } catch (AssertionError e) {
                    throw new AssertionError("seed " + seed + ", step " + step + ": " + e.getMessage(), e);
                }
            }
        } finally {
            w.close();
        }
        assertThat(w.servedFree).as("allocations served from free reserved pages").isPositive();
        assertThat(w.servedAfterDrop).as("allocations served by dropping clean pages").isPositive();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {7, 99})
    void withAHogRunningConcurrently(long seed) throws Exception {
        World w = new World(seed);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> hogFailure = new AtomicReference<>();
        Thread hogThread = new Thread(() -> {
            Random hr = new Random(seed * 31);
            MemoryHog hog = new MemoryHog(w.m, "hog2");
            try {
                while (!stop.get()) {
                    if (hr.nextInt(10) == 0) {
                        hog.release();
                    } else if (hog.fillClean(hr.nextInt(30)) == 0) {
                        LockSupport.parkNanos(50_000); // memory is full: let the operations run
                    }
                }
            } catch (Throwable t) {
                hogFailure.set(t);
            } finally {
                hog.release();
                hog.release();
            }
        }, "hog");
        hogThread.start();
        try {
            for (int step = 0; step < CONCURRENT_STEPS; step++) {
                w.step(false);
                for (Zone z : w.m.zones()) {
                    try {
                        z.checkInvariants();
                    } catch (AssertionError e) {
                        throw new AssertionError("seed " + seed + ", step " + step + ": " + e.getMessage(), e);
                    }
                }
            }
        } finally {
            stop.set(true);
            hogThread.join(10_000);
        }
        assertThat(hogFailure.get()).isNull();
        w.close();
    }
}
