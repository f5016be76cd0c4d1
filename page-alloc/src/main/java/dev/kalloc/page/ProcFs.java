// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.Locale;

/**
 * The /proc views of the page allocator, in the formats a kernel developer reads every day:
 * {@code /proc/buddyinfo} (2.5.39+), {@code /proc/zoneinfo} (2.6.13-style layout) and
 * {@code /proc/meminfo} (2.6 layout). Each call takes the locks it needs one at a time, so a
 * view of a busy machine is a consistent snapshot per zone, not across zones, as in the kernel.
 *
 * <p>Fields that have no counterpart in the simulation (swap, mapped pages, vmalloc, commit
 * accounting) are left out rather than printed as fake zeros, except {@code SwapTotal}/{@code
 * SwapFree}, which are truthfully 0: the machine has no swap. kalloc-specific counters appear
 * where the modern kernel prints its per-zone vm stats, under the kernel's names where one
 * exists ({@code nr_free_pages}, {@code nr_file_pages}, {@code nr_dirty}, {@code nr_writeback})
 * and as {@code nr_reserved} for LaHaise's reserved pages.
 */
public final class ProcFs {
    private ProcFs() {
    }

    /**
     * {@code /proc/buddyinfo}: per populated zone, "Node 0, zone %8s " then the number of free
     * blocks of each order 0..MAX_ORDER-1 as "%6lu ".
     */
    public static String buddyinfo(Machine m) {
        StringBuilder sb = new StringBuilder();
        for (Zone z : m.zones()) {
            sb.append(String.format(Locale.ROOT, "Node %d, zone %8s ", 0, z.name()));
            z.lock.lock();
            try {
                for (int order = 0; order < z.maxOrder(); order++) {
                    sb.append(String.format(Locale.ROOT, "%6d ", z.freeArea[order].nrFree()));
                }
            } finally {
                z.lock.unlock();
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** {@code /proc/zoneinfo}: watermarks, sizes, page-cache counts and per-CPU pagesets per zone. */
    public static String zoneinfo(Machine m) {
        StringBuilder sb = new StringBuilder();
        for (Zone z : m.zones()) {
            sb.append(String.format(Locale.ROOT, "Node %d, zone %8s\n", 0, z.name()));
            line(sb, "  pages free     %d", z.freePages());
            line(sb, "        min      %d", z.pagesMin());
            line(sb, "        low      %d", z.pagesLow());
            line(sb, "        high     %d", z.pagesHigh());
            line(sb, "        spanned  %d", z.size());
            line(sb, "        present  %d", z.size());
            line(sb, "      nr_free_pages %d", z.freePages());
            line(sb, "      nr_reserved %d", z.reservedPages());
            line(sb, "      nr_file_pages %d", z.nrCached());
            line(sb, "      nr_dirty %d", z.nrDirty());
            line(sb, "      nr_writeback %d", z.nrWriteback());
            sb.append("  pagesets\n");
            if (z.pageset != null) {
                for (int cpu = 0; cpu < z.pageset.length; cpu++) {
                    for (int hotCold = 0; hotCold < 2; hotCold++) {
                        PerCpuPages pcp = z.pageset[cpu][hotCold];
                        int count;
                        pcp.lock();
                        try {
                            count = pcp.count;
                        } finally {
                            pcp.unlock();
                        }
                        line(sb, "    cpu: %d pcp: %d", cpu, hotCold);
                        line(sb, "              count: %d", count);
                        line(sb, "              low:   %d", pcp.low);
                        line(sb, "              high:  %d", pcp.high);
                        line(sb, "              batch: %d", pcp.batch);
                    }
                }
            }
            line(sb, "  need_balance:      %d", z.needBalance() ? 1 : 0);
            line(sb, "  start_pfn:         %d", z.startPfn());
        }
        return sb.toString();
    }

    /**
     * {@code /proc/meminfo}: "%-14s%8lu kB" lines. MemFree counts the buddy lists only, as
     * {@code nr_free_pages()} does (pages parked on per-CPU lists are not free to everyone).
     * Slab counts frames marked {@code PG_slab}, found by walking {@code mem_map}.
     */
    public static String meminfo(Machine m) {
        long total = 0;
        long free = 0;
        long cached = 0;
        long dirty = 0;
        long writeback = 0;
        long highTotal = 0;
        long highFree = 0;
        long slab = 0;
        for (Zone z : m.zones()) {
            total += z.size();
            free += z.freePages();
            cached += z.nrCached();
            dirty += z.nrDirty();
            writeback += z.nrWriteback();
            if (z.index() == Zone.ZONE_HIGHMEM) {
                highTotal += z.size();
                highFree += z.freePages();
            }
            for (Page p : z.memMap) {
                if (p.testFlag(Page.PG_slab)) {
                    slab++;
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        kb(sb, "MemTotal:", total);
        kb(sb, "MemFree:", free);
        kb(sb, "Buffers:", 0);
        kb(sb, "Cached:", cached);
        kb(sb, "SwapCached:", 0);
        kb(sb, "Inactive:", cached);
        kb(sb, "HighTotal:", highTotal);
        kb(sb, "HighFree:", highFree);
        kb(sb, "LowTotal:", total - highTotal);
        kb(sb, "LowFree:", free - highFree);
        kb(sb, "SwapTotal:", 0);
        kb(sb, "SwapFree:", 0);
        kb(sb, "Dirty:", dirty);
        kb(sb, "Writeback:", writeback);
        kb(sb, "Slab:", slab);
        return sb.toString();
    }

    private static void kb(StringBuilder sb, String label, long pages) {
        sb.append(String.format(Locale.ROOT, "%-14s%8d kB\n", label, pages * (PhysicalMemory.PAGE_SIZE / 1024)));
    }

    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
