// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.tests.TinyMachines;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A {@link DriverRig} on a 16 MiB machine with a bio set for the submitters' master bios, N
 * member RAM disks ({@link #disks()}, in member order) and a raid1 array over them on the chosen
 * guarantee; helpers to write and read the array synchronously through the block layer.
 */
final class Raid1Rig extends DriverRig {
    static final int PAGE = PhysicalMemory.PAGE_SIZE;
    static final int SECTORS_PER_PAGE = PAGE / Bio.SECTOR_SIZE;

    final Guarantee guarantee;
    final BioSet bios;
    final Raid1Array array;

    Raid1Rig(GuaranteeKind kind, int members, long memberSectors) {
        this(kind, members, memberSectors, b -> b);
    }

    Raid1Rig(GuaranteeKind kind, int members, long memberSectors, UnaryOperator<Raid1Array.Builder> options) {
        super(TinyMachines.normalOnly(4096));
        try {
            this.guarantee = kind.create(machine);
            this.bios = BioSet.builder(slab, guarantee).maxVecs(16).inFlight(64).create();
            for (int i = 0; i < members; i++) {
                newDisk("rd" + i, memberSectors);
            }
            this.array = options.apply(Raid1Array.builder(slab, guarantee).members(disks())).create();
        } catch (RuntimeException | Error e) {
            super.close();
            throw e;
        }
    }

    /** Writes {@code data} (whole pages) at {@code sector} through the array; true if the master was uptodate. */
    boolean write(long sector, byte[] data, Page[] pages) throws InterruptedException {
        int n = data.length / PAGE;
        for (int i = 0; i < n; i++) {
            machine.memory().write(pages[i].physAddr(), data, i * PAGE, PAGE);
        }
        return io(Bio.WRITE, sector, n, pages);
    }

    /** Reads {@code nrPages} pages at {@code sector} through the array into {@code into}; null on error. */
    byte[] read(long sector, int nrPages, Page[] pages) throws InterruptedException {
        if (!io(Bio.READ, sector, nrPages, pages)) {
            return null;
        }
        byte[] out = new byte[nrPages * PAGE];
        for (int i = 0; i < nrPages; i++) {
            machine.memory().read(pages[i].physAddr(), out, i * PAGE, PAGE);
        }
        return out;
    }

    private boolean io(int rw, long sector, int nrPages, Page[] pages) throws InterruptedException {
        Bio bio = bios.bioAlloc(Gfp.GFP_NOIO, nrPages);
        if (bio == null) {
            throw new AssertionError("no master bio");
        }
        for (int i = 0; i < nrPages; i++) {
            bio.addPage(pages[i], PAGE, 0);
        }
        CountDownLatch done = new CountDownLatch(1);
        int[] ends = new int[1];
        bio.setSector(sector).setDev(array.device()).setEndIo((b, n) -> {
            ends[0]++;
            done.countDown();
            return 0;
        });
        BlockLayer.submitBio(rw, bio);
        if (!done.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no completion for " + bio + " on " + array);
        }
        boolean ok = bio.testFlag(Bio.BIO_UPTODATE);
        bio.put();
        if (ends[0] != 1) {
            throw new AssertionError("master ended " + ends[0] + " times");
        }
        return ok;
    }

    /** Nothing in flight, no element out, no completion handler failed. */
    void assertQuiescent() {
        array.waitIdle();
        if (array.inFlight() != 0 || array.r1bioPool().outstanding() != 0) {
            throw new AssertionError(array + ": " + array.inFlight() + " requests in flight, "
                    + array.r1bioPool().outstanding() + " r1bios out");
        }
        if (array.daemonError() != null) {
            throw new AssertionError(array + ": a daemon failed", array.daemonError());
        }
        for (RamDisk d : disks()) {
            if (d.queue().completionErrors() != 0) {
                throw new AssertionError(d + ": end-io failed", d.queue().firstCompletionError());
            }
        }
    }

    /** Closes the array, then the disks, then gives the master bios' set back, then the machine. */
    @Override
    public void close() {
        try {
            array.close();
            closeDisks();
            bios.destroy();
        } finally {
            machine.close();
        }
    }
}
