// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.reservation;

import static dev.kalloc.stress.schedules.Threads.check;
import static dev.kalloc.stress.schedules.Threads.runAll;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.Reservations;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bodies the reservation schedule tests explore, shared by the Fray tests
 * ({@link ReservationScheduleTest}) and the injected-bug tests.
 *
 * <p>The machine: 16 frames in one zone (ZONE_NORMAL), {@code MAX_ORDER} 3, per-CPU lists off,
 * no kswapd, watermarks 0 ({@code pages_min} 0, so every free page is reservable). Setup
 * allocates every page and frees back the few a scenario wants free, so admission sees an exact
 * margin; physical memory is never touched, so a boot per schedule is cheap.
 *
 * <p>The admissions may sleep ({@code GFP_KERNEL}) and have no timeout: a lost wake-up leaves the
 * admission parked forever, which Fray reports as a deadlock.
 */
public final class ReservationScenarios {
    private static final int FRAMES = 16;
    private static final MachineConfig CONFIG = MachineConfig.builder().memory(FRAMES * 4 * MachineConfig.KiB)
            .zoneLimits(0, FRAMES * 4 * MachineConfig.KiB).maxOrder(3).cpus(1).perCpuLists(false)
            .zoneBalance(128, 0, 0).kswapd(false).build();

    private ReservationScenarios() {
    }

    /** A booted machine with every page allocated except {@code free} of them. */
    private static final class Fixture {
        final Machine machine = Machine.boot(CONFIG);
        final Zone zone = machine.zone(Zone.ZONE_NORMAL);
        final Reservations reservations = Reservations.boot(machine);
        /** Pages setup holds: the scenario frees some of them as its actors' "frees". */
        final ArrayDeque<Page> held = new ArrayDeque<>();

        Fixture(int free) {
            Task task = machine.current();
            int saved = task.setFlags(Task.PF_MEMALLOC); // so the watermarks keep no page back
            try {
                for (Page p = machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0); p != null;
                        p = machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0)) {
                    held.push(p);
                }
            } finally {
                task.restoreFlags(saved);
            }
            for (int i = 0; i < free; i++) {
                machine.pageAlloc().freePage(held.pop());
            }
            check(zone.freePages() == free, "setup: " + zone.freePages() + " free pages, expected " + free);
        }

        Reservation reservation(String name, int pages) {
            Reservation r = reservations.create(name, Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
            check(pages == 0 || r.reserve(Gfp.GFP_ATOMIC, pages), "setup: could not reserve " + pages + " pages");
            return r;
        }
    }

    /**
     * An admission woken by a release. Three pages are free and reservation "holder" has all
     * three; "waiter" asks for two ({@code GFP_KERNEL}: it owes two and sleeps) while another
     * thread destroys "holder", whose release repays the debt and wakes the allocator's queue.
     * Invariant: the admission is granted, holding exactly two pages with no debt and nothing
     * pending, and the machine's invariants hold (per zone, reserved &lt;= free + clean).
     */
    public static void admissionWokenByRelease() {
        Fixture f = new Fixture(3);
        Reservation holder = f.reservation("holder", 3);
        Reservation waiter = f.reservation("waiter", 0);
        AtomicBoolean granted = new AtomicBoolean();
        runAll(() -> granted.set(waiter.reserve(Gfp.GFP_KERNEL, 2)), holder::destroy);
        check(granted.get(), "a sleeping reserve_pages was refused");
        checkGranted(f, waiter, 2);
        check(f.zone.reservedPages() == 2, "zone reserves " + f.zone.reservedPages() + " pages, expected 2");
    }

    /**
     * Debt repaid page by page, by a release and by a free. Two pages are free and "holder" has
     * both; "waiter" asks for two and sleeps owing two, while one thread puts one of "holder"'s
     * pages back ({@code put_reserved_pages}) and another frees a page the setup held. Invariant:
     * the admission is granted with both pages, no debt and nothing pending, "holder" keeps its
     * other page, and the zone reserves exactly three.
     */
    public static void debtRepaidByReleaseAndFree() {
        Fixture f = new Fixture(2);
        Reservation holder = f.reservation("holder", 2);
        Reservation waiter = f.reservation("waiter", 0);
        Page page = f.held.pop();
        AtomicBoolean granted = new AtomicBoolean();
        runAll(() -> granted.set(waiter.reserve(Gfp.GFP_KERNEL, 2)), () -> holder.put(1),
                () -> f.machine.pageAlloc().freePage(page));
        check(granted.get(), "a sleeping reserve_pages was refused");
        checkGranted(f, waiter, 2);
        check(holder.avail() == 1, "holder has " + holder.avail() + " pages, expected 1");
        check(f.zone.reservedPages() == 3, "zone reserves " + f.zone.reservedPages() + " pages, expected 3");
    }

    private static void checkGranted(Fixture f, Reservation waiter, int pages) {
        check(waiter.avail() == pages && waiter.debt() == 0 && waiter.pending() == 0, "after the admission: avail "
                + waiter.avail() + ", debt " + waiter.debt() + ", pending " + waiter.pending());
        f.reservations.checkInvariants();
    }
}
