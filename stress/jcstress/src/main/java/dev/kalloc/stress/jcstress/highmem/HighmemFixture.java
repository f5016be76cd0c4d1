// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.highmem;

import dev.kalloc.highmem.Highmem;
import dev.kalloc.highmem.PageFault;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;

/**
 * One machine shared by every state of the highmem tests: 16 frames, pfns 0..7 in ZONE_NORMAL and
 * 8..15 in ZONE_HIGHMEM, with a distinct marker written once at offset 0 of each highmem page.
 * The states never write memory, so sharing it is safe, and its 64 KiB are touched once instead
 * of once per state. Each state builds its own {@link Highmem} (a window of its own) over it:
 * the kmap structures under test are per state, the frames only the data they lead to.
 */
final class HighmemFixture {
    static final Machine MACHINE = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.KiB)
            .zoneLimits(0, 32 * MachineConfig.KiB).maxOrder(3).cpus(2).perCpuLists(false)
            .zoneBalance(128, 0, 0).kswapd(false).oomPolicy(OomPolicy.failAfter(1)).build());
    static final Page P = MACHINE.pfnToPage(8);
    static final Page Q = MACHINE.pfnToPage(9);
    static final Page R = MACHINE.pfnToPage(10);

    /** Verdicts of an access through a mapping. */
    static final int READ_OK = 1;
    static final int READ_WRONG_PAGE = 2;
    static final int FAULTED = 3;

    static {
        for (int pfn = 8; pfn < 16; pfn++) {
            MACHINE.memory().putLong((long) pfn << 12, marker(MACHINE.pfnToPage(pfn)));
        }
    }

    private HighmemFixture() {
    }

    static long marker(Page p) {
        return 0x5A5A_0000_0000_0000L | p.pfn();
    }

    /** kmap, read the marker through the mapping, kunmap: {@link #READ_OK} or what went wrong. */
    static int kmapRead(Highmem hm, Page p) {
        long v = hm.kmap(p);
        try {
            return hm.getLong(v) == marker(p) ? READ_OK : READ_WRONG_PAGE;
        } catch (PageFault f) {
            return FAULTED;
        } finally {
            hm.kunmap(p);
        }
    }
}
