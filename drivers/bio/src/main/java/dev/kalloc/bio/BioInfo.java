// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import java.util.List;
import java.util.Locale;

/**
 * The {@code /proc}-style views of the bio layer: {@code bioinfo} (one line per bio set) and
 * {@code diskstats} (one line per device).
 *
 * <h2>bioinfo - version 1.0</h2>
 * Columns: set name; guarantee ({@code mempool}, {@code reservation}, {@code none}); pool entries;
 * bios in use; bios allocated; {@code bio_alloc} failures; bios freed; clones; {@code bio_endio}
 * calls; completions with errors; then, after {@code : vecs}, the vectors allocated of each class
 * 1, 4, 16, 64, 128, 256 ({@code -} for a class the set does not have).
 *
 * <h2>diskstats - version 1.0</h2>
 * Columns: device; sectors; reads; sectors read; writes; sectors written; I/O errors;
 * completions; bios pending; deepest queue; bounce pfn ({@code any} for no limit).
 */
public final class BioInfo {
    private BioInfo() {
    }

    /** Renders {@code bioinfo} for {@code sets}. */
    public static String bioinfo(List<BioSet> sets) {
        StringBuilder sb = new StringBuilder();
        sb.append("bioinfo - version 1.0\n");
        sb.append("# name         <guarantee>  <entries> <in_use>   <allocs> <failures>    <frees>   <clones>"
                + "   <endios>   <errors> : vecs      <1>      <4>     <16>     <64>    <128>    <256>\n");
        for (BioSet s : sets) {
            sb.append(String.format(Locale.ROOT, "%-14s %-12s %9d %8d %10d %10d %10d %10d %10d %10d : vecs",
                    s.name(), s.guarantee().kind().design(), s.poolEntries(), s.inUse(), s.allocs(),
                    s.allocFailures(), s.frees(), s.clones(), s.endios(), s.errors()));
            for (int i = 0; i < BioSet.BIOVEC_NR_POOLS; i++) {
                sb.append(String.format(Locale.ROOT, " %8s", i < s.nrVecClasses() ? Long.toString(s.vecAllocs(i)) : "-"));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Renders {@code diskstats} for {@code disks}. */
    public static String diskstats(List<RamDisk> disks) {
        StringBuilder sb = new StringBuilder();
        sb.append("diskstats - version 1.0\n");
        sb.append("# device       <sectors>    <reads> <sect_rd>   <writes> <sect_wr>   <errors>  <complete>"
                + " <pending> <max_q> <bounce_pfn>\n");
        for (RamDisk d : disks) {
            long pfn = d.queue().bouncePfn();
            sb.append(String.format(Locale.ROOT, "%-14s %9d %10d %9d %10d %9d %10d %11d %9d %7d %12s\n",
                    d.name(), d.nrSectors(), d.reads(), d.sectorsRead(), d.writes(), d.sectorsWritten(),
                    d.ioErrors(), d.completions(), d.queue().pending(), d.maxQueued(),
                    pfn == RequestQueue.BOUNCE_ANY ? "any" : Long.toString(pfn)));
        }
        return sb.toString();
    }
}
