// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.reservation;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Zone;
import dev.kalloc.page.testing.HeldPages;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.Reservations;

/**
 * The machine every reservation test builds, and the steps that bring it to an exact state:
 * 16 frames (64 KiB) in one zone, cheap enough for jcstress to boot one per state object (the
 * physical memory is never touched, so never allocated).
 *
 * <h2>The machine</h2>
 * <ul>
 *   <li>One zone, ZONE_NORMAL, pfns 0..15; every mask without {@code __GFP_DMA} uses it.</li>
 *   <li>{@code MAX_ORDER} 3, per-CPU lists off (frees go straight to the buddy lists), no
 *       kswapd.</li>
 *   <li>Watermarks all 0: {@code pages_min} 0, so every free or clean page is reservable, and an
 *       ordinary order-0 allocation passes the watermark passes while {@code free_pages > 1}; only
 *       a {@code PF_MEMALLOC} task takes the very last free page.</li>
 * </ul>
 *
 * <h2>Setup</h2>
 * {@link #takeAll()} allocates every free page ({@code PF_MEMALLOC}, order 0); the test then frees
 * exactly the pfns it wants free ({@link #release}) and turns others into clean page-cache pages
 * ({@link #cache}), all through the shared test kit's {@link HeldPages}. Setup runs in the thread
 * constructing the state, before the actors.
 */
final class RsvMachine {
    static final int FRAMES = 16;

    static final MachineConfig CONFIG;

    static {
        long memory = FRAMES * 4 * MachineConfig.KiB;
        CONFIG = MachineConfig.builder().memory(memory).zoneLimits(0, memory).maxOrder(3).cpus(1)
                .perCpuLists(false).zoneBalance(128, 0, 0).kswapd(false).build();
    }

    final Machine machine = Machine.boot(CONFIG);
    final Zone zone = machine.zone(Zone.ZONE_NORMAL);
    final Reservations reservations = Reservations.boot(machine);
    private final AddressSpace file = new AddressSpace("jcstress", null);
    private final HeldPages held = new HeldPages(machine);

    /** Allocates every free page ({@code PF_MEMALLOC}, order 0), as {@link HeldPages#takeAll()}. */
    RsvMachine takeAll() {
        held.takeAll();
        return this;
    }

    /** Frees the held pages at {@code pfns}. */
    RsvMachine release(int... pfns) {
        held.release(pfns);
        return this;
    }

    /** Puts the held pages at {@code pfns} in the page cache, clean and unused. */
    RsvMachine cache(int... pfns) {
        for (int pfn : pfns) {
            machine.pageCache().addToPageCache(held.take(pfn), file, pfn);
        }
        return this;
    }

    /** A reservation of {@code pages} pages, reserved now (GFP_ATOMIC). */
    Reservation reservation(String name, int pages) {
        Reservation r = reservations.create(name, Gfp.GFP_KERNEL, Reservation.RSV_MULTISHOT);
        check(pages == 0 || r.reserve(Gfp.GFP_ATOMIC, pages), "could not reserve " + pages + " pages");
        return r;
    }

    /** Asserts a setup step reached the state the test was written for. */
    void expect(int free, int clean, int reserved) {
        check(zone.freePages() == free && zone.nrCleanReclaimable() == clean && zone.reservedPages() == reserved,
                "setup reached free=" + zone.freePages() + " clean=" + zone.nrCleanReclaimable() + " reserved="
                        + zone.reservedPages() + ", expected " + free + "/" + clean + "/" + reserved);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("RsvMachine setup: " + what);
        }
    }
}
