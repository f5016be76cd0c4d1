package dev.kalloc.highmem;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Zone;
import dev.kalloc.page.testing.TinyMachines;
import dev.kalloc.slab.SlabAllocator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A 16 MiB machine in three zones (DMA [0, 2 MiB), Normal [2, 8 MiB), HighMem [8, 16 MiB)), a
 * slab allocator, a bio set and the bounce buffers (with their private bounce bio set) on one
 * guarantee, highmem with a small window,
 * and a RAM disk. The allocated page count of every zone is taken once the slab allocator is up, before the
 * highmem, bio and bounce set-up, so
 * {@link #checkConservation} can tell that every page came back.
 */
final class BounceRig implements AutoCloseable {
    static final long MEMORY = 16 * MachineConfig.MiB;
    static final int SECTORS = 4096; // 2 MiB

    final Machine machine;
    final long[] baseline = new long[Zone.MAX_NR_ZONES];
    long baselineSlab;
    final SlabAllocator slab;
    final Highmem highmem;
    final BioSet set;
    final Bounce bounce;
    final RamDisk disk;

    BounceRig(GuaranteeKind g) {
        this(g, TinyMachines.threeZones().memory(MEMORY).zoneLimits(2 * MachineConfig.MiB, 8 * MachineConfig.MiB));
    }

    BounceRig(GuaranteeKind g, MachineConfig.Builder config) {
        this.machine = Machine.boot(config.build());
        try {
            this.slab = SlabAllocator.boot(machine);
            machine.pageAlloc().drainAllPages();
            for (int z = 0; z < Zone.MAX_NR_ZONES; z++) {
                Zone zone = machine.zone(z);
                baseline[z] = zone == null ? 0 : zone.allocatedPages();
            }
            baselineSlab = slab.slabPages();
            this.highmem = Highmem.boot(machine, 16);
            this.set = BioSet.builder(slab, g.create(machine)).maxVecs(16).inFlight(16).create();
            this.bounce = Bounce.init(highmem, g.create(machine), slab);
            this.disk = RamDisk.create(machine, "rd0", SECTORS, Duration.ZERO);
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /** Submits {@code bio} and waits for its completion; the caller keeps its reference. */
    static boolean submitAndWait(int rw, Bio bio) throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        bio.setPrivate(latch).setEndIo((b, n) -> {
            ((CountDownLatch) b.privateData()).countDown();
            return 0;
        });
        BlockLayer.submitBio(rw, bio);
        if (!latch.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no completion for " + bio);
        }
        return bio.testFlag(Bio.BIO_UPTODATE);
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

    @Override
    public void close() {
        try {
            disk.close();
        } finally {
            machine.close();
        }
    }
}
