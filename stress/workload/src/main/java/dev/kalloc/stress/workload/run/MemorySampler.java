// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.page.Machine;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Zone;

/**
 * Takes one {@link MemorySample} of a running machine and its guarantee: the figures claim L4 of
 * the 2001 debate is judged on, the price of each guarantee as its author defined it.
 *
 * <ul>
 *   <li>Mempool (Molnar): the idle elements of its pools ({@link TrackedGuarantee#idleBytes()})
 *       are memory nobody else can use, so the nominal price and the effective one are the
 *       same.</li>
 *   <li>Reservation (LaHaise, 15 Dec 2001): unused reserved pages R are not set aside; clean,
 *       immediately reclaimable page-cache pages C occupy them until they are needed. What a
 *       reservation takes from everyone else is, per zone, the part of R that C does not cover,
 *       {@code max(0, R - C)}, summed over zones: the effective price, the same quantity the
 *       page allocator subtracts in {@code Zone.freeUnreserved()}. R itself is the nominal
 *       price. Both are read from the zones, so they count every reservation of the machine,
 *       which in a run are all the guarantee's.</li>
 *   <li>None: holds nothing; both prices are 0.</li>
 * </ul>
 *
 * <p>Reads are racy: the run keeps going while it samples, and each counter (a zone's free,
 * clean, dirty, writeback, reserved counts, the guarantee's idle bytes and use) is read on its
 * own, without the zone locks, as {@code /proc/zoneinfo} reads them; a sample may mix moments a
 * few operations apart and need not satisfy the invariants that hold under the locks (R &lt;=
 * F + C). It never throws on an odd value: a negative read is clamped to 0. The effective price
 * is computed from the R and C recorded in the same sample, so a plot of the sample is
 * consistent with itself.
 *
 * <p>Zone count: the per-zone arrays are indexed by zone index and sized to the highest
 * populated zone index plus one. On a real layout (DMA, then Normal, then HighMem) that is the
 * number of zones; a test machine with only ZONE_NORMAL has two slots and DMA reads 0.
 */
final class MemorySampler {
    private MemorySampler() {
    }

    /** The per-zone array length for {@code machine}: its highest populated zone index plus one. */
    static int zoneCount(Machine machine) {
        int n = 0;
        for (Zone z : machine.zones()) {
            n = Math.max(n, z.index() + 1);
        }
        return n;
    }

    /**
     * A sample of {@code machine} and {@code g} now.
     *
     * @param tMillis the sample's time, milliseconds since the run's load began
     */
    static MemorySample sample(long tMillis, Machine machine, TrackedGuarantee g) {
        int zones = zoneCount(machine);
        int[] free = new int[zones];
        int[] clean = new int[zones];
        int[] dirty = new int[zones];
        int[] reserved = new int[zones];
        long uncovered = 0;
        for (Zone z : machine.zones()) {
            int i = z.index();
            free[i] = Math.max(0, z.freePages());
            clean[i] = Math.max(0, z.nrCleanReclaimable());
            dirty[i] = Math.max(0, z.nrDirty()) + Math.max(0, z.nrWriteback());
            reserved[i] = Math.max(0, z.reservedPages());
            uncovered += Math.max(0, reserved[i] - clean[i]);
        }
        long nominal;
        long effective;
        switch (g.kind()) {
            case MEMPOOL_2_5_1:
            case MEMPOOL_MODERN:
                nominal = Math.max(0, g.idleBytes());
                effective = nominal;
                break;
            case RESERVATION:
                long r = 0;
                for (int v : reserved) {
                    r += v;
                }
                nominal = r * PhysicalMemory.PAGE_SIZE;
                effective = uncovered * PhysicalMemory.PAGE_SIZE;
                break;
            default:
                nominal = 0;
                effective = 0;
                break;
        }
        return new MemorySample(tMillis, free, clean, dirty, reserved, nominal, effective, Math.max(0, g.inUse()));
    }
}
