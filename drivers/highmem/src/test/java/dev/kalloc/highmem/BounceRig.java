// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Zone;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;

/**
 * A {@link DriverRig} on a 16 MiB machine in three zones (DMA [0, 2 MiB), Normal [2, 8 MiB),
 * HighMem [8, 16 MiB)), with a bio set and the bounce buffers (with their private bounce bio set)
 * on one guarantee, highmem with a small window, and a RAM disk. The allocated page count of
 * every zone is taken once the slab allocator is up, before the highmem, bio and bounce set-up,
 * so {@link #checkConservation} can tell that every page came back.
 */
final class BounceRig extends DriverRig {
    static final long MEMORY = 16 * MachineConfig.MiB;
    static final int SECTORS = 4096; // 2 MiB

    final long[] baseline = new long[Zone.MAX_NR_ZONES];
    long baselineSlab;
    final Highmem highmem;
    final BioSet set;
    final Bounce bounce;
    final RamDisk disk;

    BounceRig(GuaranteeKind g) {
        this(g, TinyMachines.threeZones().memory(MEMORY).zoneLimits(2 * MachineConfig.MiB, 8 * MachineConfig.MiB));
    }

    BounceRig(GuaranteeKind g, MachineConfig.Builder config) {
        super(config);
        try {
            machine.pageAlloc().drainAllPages();
            for (int z = 0; z < Zone.MAX_NR_ZONES; z++) {
                Zone zone = machine.zone(z);
                baseline[z] = zone == null ? 0 : zone.allocatedPages();
            }
            baselineSlab = slab.slabPages();
            this.highmem = Highmem.boot(machine, 16);
            this.set = BioSet.builder(slab, g.create(machine)).maxVecs(16).inFlight(16).create();
            this.bounce = Bounce.init(highmem, g.create(machine), slab);
            this.disk = newDisk("rd0", SECTORS, Duration.ZERO);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Closes the disk, destroys the bounce pools and the bio set's caches, and checks the zones'
     * invariants and that every page came back: HighMem holds exactly the allocated pages it held
     * at the baseline, low memory as many apart from slab pages (cache descriptors and kmalloc
     * objects keep slabs of the general caches, which are not ours to reap).
     */
    void checkConservation() {
        disk.close();
        bounce.destroy();
        set.destroy();
        machine.pageAlloc().drainAllPages();
        machine.checkInvariants();
        long[] now = new long[Zone.MAX_NR_ZONES];
        for (int z = 0; z < Zone.MAX_NR_ZONES; z++) {
            Zone zone = machine.zone(z);
            now[z] = zone == null ? 0 : zone.allocatedPages();
        }
        int hi = Zone.ZONE_HIGHMEM;
        if (now[hi] != baseline[hi]) {
            throw new AssertionError("HighMem: " + now[hi] + " pages allocated, " + baseline[hi] + " at the baseline");
        }
        long lowNow = now[Zone.ZONE_DMA] + now[Zone.ZONE_NORMAL] - slab.slabPages();
        long lowThen = baseline[Zone.ZONE_DMA] + baseline[Zone.ZONE_NORMAL] - baselineSlab;
        if (lowNow != lowThen) {
            throw new AssertionError("low memory: " + lowNow + " non-slab pages allocated, " + lowThen
                    + " at the baseline");
        }
    }
}
