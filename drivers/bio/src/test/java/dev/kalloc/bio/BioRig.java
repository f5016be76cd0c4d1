package dev.kalloc.bio;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.slab.SlabAllocator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** A booted machine with a slab allocator, one bio set on a chosen guarantee, and one RAM disk. */
final class BioRig implements AutoCloseable {
    final Machine machine;
    final SlabAllocator slab;
    final Reservations reservations;
    final BioSet set;
    final RamDisk disk;

    BioRig(MachineConfig.Builder config, GuaranteeKind kind, UnaryOperator<BioSet.Builder> options, long sectors,
            Duration serviceTime) {
        this.machine = Machine.boot(config.build());
        try {
            this.slab = SlabAllocator.boot(machine);
            this.reservations = Reservations.boot(machine);
            this.set = options.apply(BioSet.builder(slab, guarantee(kind))).create();
            this.disk = RamDisk.create(machine, "rd0", sectors, serviceTime);
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /** A guarantee of {@code kind} on the rig's machine, reserving through the rig's registry. */
    Guarantee guarantee(GuaranteeKind kind) {
        return kind.create(machine, reservations);
    }

    /** Submits {@code bio} and waits for its completion; the caller keeps its reference. */
    static boolean submitAndWait(int rw, Bio bio) throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        bio.setPrivate(latch).setEndIo((b, n) -> {
            ((CountDownLatch) b.privateData()).countDown();
            return 0;
        });
        BlockLayer.submitBio(rw, bio);
        if (!latch.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no completion for " + bio);
        }
        return bio.testFlag(Bio.BIO_UPTODATE);
    }

    void fill(Page page, byte[] data) {
        machine.memory().write(page.physAddr(), data, 0, PhysicalMemory.PAGE_SIZE);
    }

    byte[] contents(Page page) {
        byte[] b = new byte[PhysicalMemory.PAGE_SIZE];
        machine.memory().read(page.physAddr(), b, 0, b.length);
        return b;
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
