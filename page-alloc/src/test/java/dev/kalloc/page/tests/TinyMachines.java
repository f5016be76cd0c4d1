// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.tests;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.PhysicalMemory;

/**
 * Small machine configurations for tests, with every number a test may want to rely on fixed
 * explicitly (zone boundaries, watermarks, per-CPU batch, daemons, OOM policy) rather than
 * derived from defaults that may change.
 *
 * <p>Each method returns a {@link MachineConfig.Builder}, so a test can vary one knob:
 * <pre>{@code
 * try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
 *     ...
 * }
 * }</pre>
 * Every preset has kswapd off (turn it on with {@code .kswapd(true)} when testing it) and the
 * OOM policy {@code failAfter(1)}, so a sleeping allocation that reclaim cannot help returns
 * null at once instead of waiting.
 */
public final class TinyMachines {
    /** RAM of {@link #threeZones()}: 4 MiB, 1024 frames. */
    public static final long THREE_ZONES_MEMORY = 4 * MachineConfig.MiB;

    private TinyMachines() {
    }

    /**
     * 4 MiB in three zones: DMA [0, 1 MiB) = pfns 0..255, Normal [1 MiB, 3 MiB) = pfns 256..767,
     * HighMem [3 MiB, 4 MiB) = pfns 768..1023. Watermarks are size/32: DMA and HighMem
     * 8/16/24, Normal 16/32/48 (min/low/high). Per-CPU lists on, batch 1 (hot low 2, high 6;
     * cold low 0, high 2). Two CPUs, MAX_ORDER 10, kswapd off, OOM policy failAfter(1).
     */
    public static MachineConfig.Builder threeZones() {
        return MachineConfig.builder()
                .memory(THREE_ZONES_MEMORY)
                .zoneLimits(MachineConfig.MiB, 3 * MachineConfig.MiB)
                .cpus(2)
                .maxOrder(10)
                .perCpuLists(true)
                .zoneBalance(32, 4, 255)
                .kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1));
    }

    /**
     * One zone, ZONE_NORMAL, of {@code pages} frames starting at pfn 0 (which is reserved at
     * boot, so {@code pages - 1} are free). Watermarks are pages/64 clamped to [4, 255]. Per-CPU
     * lists on, two CPUs, MAX_ORDER 10, kswapd off, OOM policy failAfter(1). GFP_DMA requests
     * find no zone on such a machine.
     */
    public static MachineConfig.Builder normalOnly(int pages) {
        long bytes = (long) pages * PhysicalMemory.PAGE_SIZE;
        return MachineConfig.builder()
                .memory(bytes)
                .zoneLimits(0, bytes)
                .cpus(2)
                .maxOrder(10)
                .perCpuLists(true)
                .zoneBalance(64, 4, 255)
                .kswapd(false)
                .oomPolicy(OomPolicy.failAfter(1));
    }

    /** Boots {@link #threeZones()} unchanged. */
    public static Machine bootThreeZones() {
        return Machine.boot(threeZones().build());
    }
}
