// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.ArrayList;
import java.util.List;

/**
 * A complete, comparable picture of a quiescent machine's allocator state, for "misuse changes
 * nothing" tests: per zone the free lists in list order, the per-CPU lists in list order, the
 * counters, the LRU, and every page's state, order, count and flags.
 */
record MachineState(List<ZoneState> zones, long allocFailures, long allocStalls, long reclaimCalls) {

    record ZoneState(String name, int freePages, int reservedPages, boolean needBalance,
            List<List<Integer>> freeLists, List<List<Integer>> perCpuLists, int nrCached, int nrDirty,
            int nrWriteback, List<Integer> lru, List<String> pages) {
    }

    static MachineState of(Machine m) {
        List<ZoneState> zones = new ArrayList<>();
        for (Zone z : m.zones()) {
            zones.add(zoneState(z));
        }
        PageAllocator pa = m.pageAlloc();
        return new MachineState(zones, pa.allocFailures(), pa.allocStalls(), m.reclaim().calls());
    }

    private static ZoneState zoneState(Zone z) {
        List<List<Integer>> pcp = new ArrayList<>();
        if (z.pageset != null) {
            for (PerCpuPages[] cpu : z.pageset) {
                for (PerCpuPages list : cpu) {
                    pcp.add(pfns(list));
                }
            }
        }
        List<String> pages = new ArrayList<>();
        for (Page p : z.memMap) {
            pages.add(p.pfn() + ":" + p.state + "/" + p.order + "/" + p.count() + "/" + Integer.toHexString(p.flags())
                    + "/" + p.mapping);
        }
        return new ZoneState(z.name(), z.freePages(), z.reservedPages(), z.needBalance(), freeLists(z), pcp,
                z.nrCached(), z.nrDirty(), z.nrWriteback(), pfns(z.lru), pages);
    }

    /** The buddy free lists of {@code z}, order 0 first, each head first, as pfns. */
    static List<List<Integer>> freeLists(Zone z) {
        List<List<Integer>> lists = new ArrayList<>();
        z.lock.lock();
        try {
            for (FreeArea area : z.freeArea) {
                lists.add(pfns(area.freeList));
            }
        } finally {
            z.lock.unlock();
        }
        return lists;
    }

    /** The pages of {@code list}, head first, as pfns. */
    static List<Integer> pfns(PageList list) {
        List<Integer> out = new ArrayList<>();
        for (Page p = list.first(); p != null; p = list.next(p)) {
            out.add(p.pfn());
        }
        return out;
    }

    /** The pages of the per-CPU list {@code list}, head first, as pfns. */
    static List<Integer> pfns(PerCpuPages list) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < list.count; i++) {
            out.add(list.get(i).pfn());
        }
        return out;
    }

    /** Count of the per-CPU list of {@code cpu}, hot ({@code cold == false}) or cold. */
    static int pcpCount(Zone z, int cpu, boolean cold) {
        return z.pageset[cpu][cold ? 1 : 0].count;
    }

    /** Pfns on the per-CPU list of {@code cpu}, head first. */
    static List<Integer> pcpList(Zone z, int cpu, boolean cold) {
        return pfns(z.pageset[cpu][cold ? 1 : 0]);
    }
}
