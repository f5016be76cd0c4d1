package dev.kalloc.bio.testing;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.slab.SlabAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What every driver's test rig shares: a booted machine with a slab allocator, RAM disks made on
 * it and closed with it, pages to do I/O from, and synchronous I/O through the block layer. The
 * drivers' rigs (bio's, highmem's, raid1's) extend it with what they test on top: a bio set, the
 * bounce buffers, an array.
 *
 * <p>Usage, as a rig extends it: the machine and the slab allocator are up when the subclass's
 * constructor runs; if the rest of its set-up throws, it closes what is up and rethrows.
 * <pre>{@code
 * final class MyRig extends DriverRig {
 *     final BioSet set;
 *     final RamDisk disk;
 *
 *     MyRig(GuaranteeKind kind) {
 *         super(TinyMachines.normalOnly(1024));
 *         try {
 *             set = BioSet.builder(slab, kind.create(machine)).create();
 *             disk = newDisk("rd0", 2048, Duration.ZERO);
 *         } catch (RuntimeException | Error e) {
 *             close();
 *             throw e;
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Invariant: every disk made by {@link #newDisk} is closed by {@link #close}, before the
 * machine. Threads: set up and close from one thread; the I/O helpers from any.
 */
public class DriverRig implements AutoCloseable {
    /** How long {@link #submitAndWait} waits for a completion: a failure guard, never reached by a passing test. */
    public static final Duration IO_TIMEOUT = Duration.ofSeconds(30);

    public final Machine machine;
    public final SlabAllocator slab;
    private final List<RamDisk> disks = new ArrayList<>();

    /**
     * Boots a machine from {@code config} and a slab allocator on it.
     *
     * @throws RuntimeException whatever the boot throws; the machine is closed first
     */
    protected DriverRig(MachineConfig.Builder config) {
        this.machine = Machine.boot(config.build());
        try {
            this.slab = SlabAllocator.boot(machine);
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /** A RAM disk of the rig's machine that serves each bio at once, closed with the rig. */
    public final RamDisk newDisk(String name, long sectors) {
        return newDisk(name, sectors, Duration.ZERO);
    }

    /** A RAM disk of the rig's machine, taking {@code serviceTime} per bio, closed with the rig. */
    public final RamDisk newDisk(String name, long sectors, Duration serviceTime) {
        RamDisk d = RamDisk.create(machine, name, sectors, serviceTime);
        disks.add(d);
        return d;
    }

    /** The disks made by {@link #newDisk}, oldest first. */
    public final List<RamDisk> disks() {
        return disks;
    }

    /**
     * Submits {@code bio} and waits for its completion; the caller keeps its reference.
     *
     * @return whether the bio completed uptodate
     * @throws AssertionError if no completion comes within {@link #IO_TIMEOUT}
     */
    public static boolean submitAndWait(int rw, Bio bio) throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        bio.setPrivate(latch).setEndIo((b, n) -> {
            ((CountDownLatch) b.privateData()).countDown();
            return 0;
        });
        BlockLayer.submitBio(rw, bio);
        if (!latch.await(IO_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("no completion for " + bio);
        }
        return bio.testFlag(Bio.BIO_UPTODATE);
    }

    /** {@code n} pages for one submitter's bios ({@code GFP_KERNEL}); give them back with {@link #free}. */
    public final Page[] pages(int n) {
        Page[] p = new Page[n];
        for (int i = 0; i < n; i++) {
            p[i] = machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        }
        return p;
    }

    /** Frees pages from {@link #pages}. */
    public final void free(Page[] pages) {
        for (Page p : pages) {
            machine.pageAlloc().freePage(p);
        }
    }

    /** Writes a page's worth of {@code data} into {@code page}. */
    public final void fill(Page page, byte[] data) {
        machine.memory().write(page.physAddr(), data, 0, PhysicalMemory.PAGE_SIZE);
    }

    /** A copy of {@code page}'s bytes. */
    public final byte[] contents(Page page) {
        byte[] b = new byte[PhysicalMemory.PAGE_SIZE];
        machine.memory().read(page.physAddr(), b, 0, b.length);
        return b;
    }

    /** Closes the disks (a disk closed already is left as it is). */
    protected final void closeDisks() {
        for (RamDisk d : disks) {
            d.close();
        }
    }

    /** Closes the disks, then the machine. */
    @Override
    public void close() {
        try {
            closeDisks();
        } finally {
            machine.close();
        }
    }
}
