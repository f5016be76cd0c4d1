// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

/**
 * The layouts {@link SlabAllocator#slabinfo(SlabinfoFormat)} can print {@code /proc/slabinfo}
 * in: the one 2.4 and 2.5.1 printed (mm/slab.c {@code proc_getdata}) and the one 2.6 prints
 * (mm/slab.c {@code s_show}). Both show the same caches with the same values in chain
 * order ({@code kmem_cache} first, then the newest cache first); they differ in the header and
 * the columns. The 1.1 layout is the default: it is what a real 2.4 machine prints, so the
 * port's output can be put next to one.
 */
public enum SlabinfoFormat {
    /**
     * "{@code slabinfo - version: 1.1}", 2.4's layout, one header line and no column names.
     * The header ends in " (statistics)" when {@code STATS} is on and " (SMP)" on an SMP
     * kernel; each line is {@code %-17s %6lu %6lu %6u %4lu %4lu %4u}: name, active_objs,
     * num_objs, objsize, active_slabs, num_slabs, pages per slab. With {@code STATS} add
     * {@code " : %6lu %7lu %5lu %4lu %4lu"} (high, allocs, grown, reaped, errors); on SMP add
     * {@code " : %4u %4u"} (limit, batchcount); with both add {@code " : %6lu %6lu %6lu %6lu"}
     * (allochit, allocmiss, freehit, freemiss). {@link SlabAllocator#slabinfoStatistics()} and
     * {@link SlabAllocator#slabinfoSmp()} say which parts an allocator prints.
     */
    V1_1,
    /**
     * "{@code slabinfo - version: 2.1}", 2.6's layout: a second header line naming the
     * columns, and each line {@code name active_objs num_objs objsize objperslab pagesperslab
     * : tunables limit batchcount sharedfactor : slabdata active_slabs num_slabs sharedavail},
     * with sharedfactor and sharedavail 0 (2.4 has no shared arrays). The same on every
     * configuration: no statistics columns, and the tunables whether SMP or not.
     */
    V2_1
}
