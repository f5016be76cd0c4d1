// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio.testing;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.slab.SlabConfig;
import dev.kalloc.slab.testing.SlabRig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What every driver test rig shares: a {@link SlabRig} (a booted machine with a slab allocator),
 * RAM disks made on it and drivers stacked on them (an md array), all closed with it, pages to do
 * I/O from, and synchronous I/O through the block layer. The drivers' unit-test rigs (bio's,
 * highmem's, raid1's) extend it with what they test on top: a bio set, the bounce buffers, an
 * array; the jcstress bio and raid1 fixtures use it for their machines and member disks; the
 * workload's run rig can extend it with its fault injection and observed guarantee.
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
 * <p>Invariant: every disk made by {@link #newDisk} or {@link #newStackedDisk} and every driver
 * given to {@link #driver} is closed by {@link #close}: the drivers newest first, then the disks,
 * then the machine, so nothing is closed under a user still running. Threads: set up and close
 * from one thread; disks and drivers may be added, and the I/O helpers called, from any (the
 * lists are guarded by the rig's monitor).
 */
public class DriverRig extends SlabRig {
    /** How long {@link #submitAndWait} waits for a completion: a failure guard, never reached by a passing test. */
    public static final Duration IO_TIMEOUT = Duration.ofSeconds(30);

    private final List<RamDisk> disks = new ArrayList<>();
    private final List<AutoCloseable> drivers = new ArrayList<>();

    /** Boots a machine from {@code config} and a slab allocator with the default configuration on it. */
    public DriverRig(MachineConfig.Builder config) {
        this(config.build());
    }

    /** Boots a machine from {@code config} and a slab allocator with the default configuration on it. */
    public DriverRig(MachineConfig config) {
        super(config);
    }

    /** Boots a machine from {@code config} and a slab allocator from {@code slabConfig} on it. */
    public DriverRig(MachineConfig config, SlabConfig slabConfig) {
        super(config, slabConfig);
    }

    /**
     * Takes over {@code machine}, booted and prepared by the caller (memory touched, page fault
     * injection set before the slab boot), and boots a default slab allocator on it.
     */
    public DriverRig(Machine machine) {
        super(machine, SlabConfig.defaults());
    }

    /** A RAM disk of the rig's machine that serves each bio at once, closed with the rig. */
    public final RamDisk newDisk(String name, long sectors) {
        return newDisk(name, sectors, Duration.ZERO);
    }

    /** A RAM disk of the rig's machine, taking {@code serviceTime} per bio, closed with the rig. */
    public final synchronized RamDisk newDisk(String name, long sectors, Duration serviceTime) {
        RamDisk d = RamDisk.create(machine, name, sectors, serviceTime);
        disks.add(d);
        return d;
    }

    /**
     * A stacked RAM disk (no service thread: its queue's make-request function is the test's to
     * set, see {@link RamDisk#createStacked}), closed with the rig.
     */
    public final synchronized RamDisk newStackedDisk(String name, long sectors) {
        RamDisk d = RamDisk.createStacked(machine, name, sectors);
        disks.add(d);
        return d;
    }

    /** The disks made so far, oldest first: a snapshot. */
    public final synchronized List<RamDisk> disks() {
        return List.copyOf(disks);
    }

    /** Registers {@code d} (an md array, say) to be closed with the rig, before the disks it sits on. */
    public final synchronized <T extends AutoCloseable> T driver(T d) {
        drivers.add(d);
        return d;
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

    /**
     * Closes the disks (a disk closed already is left as it is), every one even if one throws.
     *
     * @throws RuntimeException the first failure, once all were tried
     */
    protected final void closeDisks() {
        List<RamDisk> all;
        synchronized (this) {
            all = List.copyOf(disks);
        }
        closeAll(all);
    }

    /**
     * Closes the drivers (newest first), then the disks, then the machine. Every one is tried
     * even if an earlier one throws, so a failed test still stops every thread it started.
     *
     * @throws RuntimeException the first failure, once all were tried
     */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        synchronized (this) {
            for (int i = drivers.size() - 1; i >= 0; i--) {
                all.add(drivers.get(i));
            }
            all.addAll(disks);
        }
        all.add(machine);
        closeAll(all);
    }

    private static void closeAll(List<? extends AutoCloseable> all) {
        Throwable first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Throwable e) { // an Error too (a failed assert): the rest must still close
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error err) {
            throw err;
        }
        if (first != null) {
            throw new IllegalStateException("closing the rig failed", first);
        }
    }
}
