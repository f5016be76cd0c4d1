// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.ProcFs;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.TinyMachines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Shared fixtures of the reservation tests.
 *
 * <h2>The machines</h2>
 * <ul>
 *   <li>{@link #normalOnly()}: {@code TinyMachines.normalOnly(1024)} with per-CPU lists off: one
 *       zone, Normal, 1024 frames, 1023 free after boot (pfn 0 is reserved), watermarks
 *       16/32/48. A reservation of {@code GFP_KERNEL} may hold at most
 *       {@value #NORMAL_RESERVABLE} pages there (free - pages_min).</li>
 *   <li>{@link #threeZones()}: {@code TinyMachines.threeZones()} with per-CPU lists off: DMA 255
 *       free (min 8), Normal 512 (min 16), HighMem 256 (min 8).</li>
 * </ul>
 * Both have kswapd off and {@code OomPolicy.failAfter(1)}.
 */
final class Rsv {
    /** Reservable pages of {@link #normalOnly()} right after boot: 1023 free - 16 pages_min. */
    static final int NORMAL_RESERVABLE = 1007;

    private Rsv() {
    }

    static Machine normalOnly() {
        return Machine.boot(TinyMachines.normalOnly(1024).perCpuLists(false).build());
    }

    static Machine threeZones() {
        return Machine.boot(TinyMachines.threeZones().perCpuLists(false).build());
    }

    static Zone normal(Machine m) {
        return m.zone(Zone.ZONE_NORMAL);
    }

    /**
     * Allocates order-0 pages as a PF_MEMALLOC task (watermarks ignored; only the reserved-page
     * test under the zone lock applies) until {@code max} pages or none is left.
     */
    static List<Page> grab(Machine m, int gfp, int max) {
        List<Page> pages = new ArrayList<>();
        Task t = m.current();
        int saved = t.setFlags(Task.PF_MEMALLOC);
        try {
            while (pages.size() < max) {
                Page p = m.pageAlloc().allocPages(gfp, 0);
                if (p == null) {
                    break;
                }
                pages.add(p);
            }
        } finally {
            t.restoreFlags(saved);
        }
        return pages;
    }

    static List<Page> grabAll(Machine m, int gfp) {
        return grab(m, gfp, Integer.MAX_VALUE);
    }

    static void freeAll(Machine m, List<Page> pages) {
        for (Page p : pages) {
            m.pageAlloc().freePage(p);
        }
        pages.clear();
    }

    /** Adds {@code n} clean pages to {@code file} from its zone(s) with {@code gfp}, as PF_MEMALLOC. */
    static List<Page> addClean(Machine m, AddressSpace file, long firstIndex, int n, int gfp) {
        List<Page> pages = grab(m, gfp, n);
        for (int i = 0; i < pages.size(); i++) {
            m.pageCache().addToPageCache(pages.get(i), file, firstIndex + i);
        }
        return pages;
    }

    /**
     * Everything a misuse must leave as it was: per zone the free blocks of each order, free,
     * reserved, clean, cached, dirty, writeback and depleted counts; per reservation its counts.
     */
    record Snapshot(String buddyinfo, List<List<Integer>> zones, List<ReservationStats> reservations) {
        static Snapshot of(Reservations rs) {
            Machine m = rs.machine();
            List<List<Integer>> zones = new ArrayList<>();
            for (Zone z : m.zones()) {
                zones.add(List.of(z.freePages(), z.reservedPages(), z.nrCleanReclaimable(), z.nrCached(), z.nrDirty(),
                        z.nrWriteback(), z.nrDepleted()));
            }
            List<ReservationStats> stats = new ArrayList<>();
            for (Reservation r : rs.reservations()) {
                stats.add(r.stats());
            }
            return new Snapshot(ProcFs.buddyinfo(m), zones, stats);
        }
    }

    /** Waits (polling, tests only) up to 10 s for {@code condition}; false if it never held. */
    static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Waits until {@code t} is parked (sleeping on a wait queue) or dead; false on timeout. */
    static boolean parked(Thread t) throws InterruptedException {
        return eventually(() -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING
                || !t.isAlive());
    }

    static final int KERNEL = Gfp.GFP_KERNEL;
    static final int ATOMIC = Gfp.GFP_ATOMIC;
}
