// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.stress.workload.run.Rig;

/**
 * Memory pressure for the scenarios that do not bring their own: page-cache pages of a mapping
 * that cannot write back, allocated without sleeping ({@link WritebackScenario#HOG_GFP}) until
 * the allocator refuses or a page budget is spent. Clean pages are what a big file read leaves
 * behind, and reclaim drops them at once; dirty ones stand for memory nothing can free (anonymous
 * memory on a machine without swap): reclaim skips them, so the only free memory left is the
 * allocator's reserve and whatever a guarantee set aside. A zone whose reservations need a clean
 * page as backing keeps it clean ({@code set_page_dirty} refuses), so reservations stay honoured.
 *
 * <p>A fill stops at the run's pressure floor ({@link Rig#startPressure()}, {@code --free}): the
 * free pages it must leave, so that a sweep can step the pressure from plenty to none.
 *
 * <p>The pages stay until the machine is discarded; the run never frees them.
 */
public final class PressureFill {
    private PressureFill() {
    }

    /**
     * Adds up to {@code maxPages} pages, leaving at least the rig's pressure floor free; returns how
     * many were added.
     *
     * @param dirty mark each page dirty (unreclaimable), if the zone allows
     */
    static long fill(Rig rig, String name, long maxPages, boolean dirty) {
        return fill(rig.machine, name, maxPages, dirty, rig.pressureFloor());
    }

    /** Adds up to {@code maxPages} pages, as many as the allocator gives; returns how many. */
    public static long fill(Machine m, String name, long maxPages, boolean dirty) {
        return fill(m, name, maxPages, dirty, 0);
    }

    private static long fill(Machine m, String name, long maxPages, boolean dirty, long floor) {
        PageCache cache = m.pageCache();
        AddressSpace mapping = new AddressSpace(name, null);
        long n = 0;
        while (n < maxPages && freePages(m) > floor) {
            Page p = cache.addNewPage(mapping, n, WritebackScenario.HOG_GFP);
            if (p == null) {
                break;
            }
            n++;
            if (dirty) {
                Page ref = cache.findGetPage(mapping, n - 1);
                if (ref != null) {
                    cache.setPageDirty(ref, Gfp.GFP_ATOMIC);
                    m.pageAlloc().putPage(ref);
                }
            }
        }
        return n;
    }

    /** Free pages in every zone now. */
    public static long freePages(Machine m) {
        return m.pageAlloc().nrFreePages();
    }

    /**
     * The pressure a scenario applies: all the memory it can get down to the floor, or, when it
     * shares the machine with others (the mixed scenario), half of what is free above the floor.
     */
    static long fillShare(Rig rig, String name, boolean takeAll) {
        long above = Math.max(0, freePages(rig.machine) - rig.pressureFloor());
        return fill(rig, name, takeAll ? Long.MAX_VALUE : above / 2, true);
    }

    /** Whether the free pages are down to the rig's pressure floor: a fill of its own stops there. */
    static boolean atFloor(Rig rig) {
        return freePages(rig.machine) <= rig.pressureFloor();
    }
}
