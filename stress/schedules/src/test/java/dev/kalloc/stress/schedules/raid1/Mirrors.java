// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BioVec;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.raid1.Raid1Array;
import dev.kalloc.slab.SlabAllocator;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One schedule's raid1 array, with no thread of its own: a small machine, its slab allocator, an
 * array without daemons (raid1d's pass runs where a test calls {@link Raid1Array#runRaid1d()})
 * on the chosen guarantee, over stacked members whose make-request functions queue the clones
 * sent to them instead of servicing them. The test plays the disks: {@link #complete} ends a
 * queued clone in interrupt context, as a disk's completion would, and moves its data between
 * the clone's pages and the member's platter (a byte array per member) when it succeeds, so the
 * test chooses which completions race and can verify every byte afterwards.
 *
 * <p>Masters are one sector each (512 bytes of a page shared by eight of them), filled with a
 * pattern of their own, so a misplaced or lost sector shows.
 */
final class Mirrors {
    /** Sectors per member; the array gets 1024 - 128 (superblock) rounded: 896 sectors. */
    static final int MEMBER_SECTORS = 1024;
    private static final int SECTOR = Bio.SECTOR_SIZE;

    final Machine machine = Machine.boot(MachineConfig.builder().memory(MachineConfig.MiB)
            .zoneLimits(0, MachineConfig.MiB).cpus(2).perCpuLists(false).kswapd(false)
            .oomPolicy(OomPolicy.failAfter(1)).build());
    final SlabAllocator slab = SlabAllocator.boot(machine);
    final Guarantee guarantee;
    final RamDisk[] members;
    final byte[][] platters;
    private final ArrayDeque<Bio>[] queued;
    final Raid1Array array;
    private final BioSet masterSet = BioSet.builder(slab, Guarantees.none()).name("m").maxVecs(1).create();
    private Page page;
    private int usedInPage = PhysicalMemory.PAGE_SIZE;

    @SuppressWarnings("unchecked")
    Mirrors(int nrMembers, GuaranteeKind g, int nrR1Bios) {
        guarantee = g.create(machine);
        members = new RamDisk[nrMembers];
        platters = new byte[nrMembers][MEMBER_SECTORS * SECTOR];
        queued = new ArrayDeque[nrMembers];
        for (int i = 0; i < nrMembers; i++) {
            int slot = i;
            queued[i] = new ArrayDeque<>();
            members[i] = RamDisk.createStacked(machine, "rd" + i, MEMBER_SECTORS);
            members[i].queue().setMakeRequestFn((q, bio) -> enqueue(slot, bio));
        }
        array = Raid1Array.builder(slab, guarantee).name("md0").members(members).nrR1Bios(nrR1Bios)
                .daemons(false).create();
    }

    /**
     * failslab on the array's r1bio slab cache, sleeping allocations included: on a mempool,
     * {@code r1bio_pool}'s reserve becomes the only source of r1bios. A reservation is left
     * alone: its r1bio source's last element is the slot under its in-flight limit.
     */
    void r1bioCacheFails() {
        if (guarantee.kind().isMempool()) {
            slab.kmemFindCache("md0-r1bio").setFailslab(true);
            slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
        }
    }

    private void enqueue(int slot, Bio bio) {
        synchronized (queued[slot]) {
            queued[slot].addLast(bio);
        }
    }

    /** The oldest clone queued on member {@code slot} and not yet completed, or null. */
    Bio take(int slot) {
        synchronized (queued[slot]) {
            return queued[slot].pollFirst();
        }
    }

    /** Clones queued on member {@code slot}. */
    int queued(int slot) {
        synchronized (queued[slot]) {
            return queued[slot].size();
        }
    }

    /**
     * Member {@code slot}'s completion of {@code clone}, in interrupt context: on success the data
     * moves (a write to the platter, a read from it into the clone's pages) and the clone ends
     * uptodate; on failure nothing moves and it ends with an error, which sends the member to the
     * md error handler.
     */
    void complete(int slot, Bio clone, boolean ok) {
        if (ok) {
            int pos = (int) clone.sector() * SECTOR;
            BioVec v = clone.ioVec();
            for (int i = clone.idx(); i < clone.vcnt(); i++) {
                long addr = v.page(i).physAddr() + v.offset(i);
                if (clone.dataDir() == Bio.WRITE) {
                    machine.memory().read(addr, platters[slot], pos, v.len(i));
                } else {
                    machine.memory().write(addr, platters[slot], pos, v.len(i));
                }
                pos += v.len(i);
            }
        }
        Task task = machine.current();
        try (Task.IrqScope irq = task.irqEnter()) {
            clone.set().bioEndio(clone, ok, clone.sectors());
        }
    }

    /** Completes every clone queued on member {@code slot}, all with {@code ok}; returns how many. */
    int completeAll(int slot, boolean ok) {
        int n = 0;
        for (Bio b = take(slot); b != null; b = take(slot)) {
            complete(slot, b, ok);
            n++;
        }
        return n;
    }

    /** A one-sector write of {@code generation}'s pattern to {@code sector}; not yet submitted. */
    Master write(long sector, int generation) {
        Master m = new Master(sector, generation);
        byte[] data = m.pattern();
        machine.memory().write(m.addr(), data, 0, SECTOR);
        return m;
    }

    /** A one-sector read of {@code sector}, expecting {@code generation}'s pattern; not yet submitted. */
    Master read(long sector, int generation) {
        Master m = new Master(sector, generation);
        byte[] zero = new byte[SECTOR];
        machine.memory().write(m.addr(), zero, 0, SECTOR);
        return m;
    }

    /** Every clone completed and raid1d idle: the pool is whole and the array closes cleanly. */
    void assertIdleAndClose() {
        for (int i = 0; i < members.length; i++) {
            assertThat(queued(i)).as("clones still queued on member %d", i).isZero();
        }
        assertThat(array.inFlight()).as("array requests in flight").isZero();
        assertThat(array.r1bioPool().outstanding()).as("r1bios out of the pool").isZero();
        assertThat(array.daemonError()).as("raid1d's error").isNull();
        array.close();
        slab.checkInvariants();
    }

    /** The pattern of generation {@code gen} at {@code sector}: distinct per sector and generation. */
    static byte[] pattern(long sector, int gen) {
        byte[] b = new byte[SECTOR];
        for (int i = 0; i < SECTOR; i++) {
            b[i] = (byte) (sector * 31 + gen * 7 + i);
        }
        return b;
    }

    /** Sector {@code sector} of member {@code slot}'s platter. */
    byte[] platterSector(int slot, long sector) {
        int pos = (int) sector * SECTOR;
        return Arrays.copyOfRange(platters[slot], pos, pos + SECTOR);
    }

    /** A master bio of one sector, with a count of its end-io calls. */
    final class Master {
        final long sector;
        final int generation;
        final Bio bio;
        final AtomicInteger ends = new AtomicInteger();
        private final Page data;
        private final int offset;

        private Master(long sector, int generation) {
            if (usedInPage == PhysicalMemory.PAGE_SIZE) {
                page = machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
                usedInPage = 0;
            }
            this.sector = sector;
            this.generation = generation;
            this.data = page;
            this.offset = usedInPage;
            usedInPage += SECTOR;
            bio = masterSet.bioAlloc(Gfp.GFP_KERNEL, 1);
            bio.addPage(data, SECTOR, offset);
            bio.setSector(sector).setDev(array.device()).setEndIo((b, n) -> {
                ends.incrementAndGet();
                return 0;
            });
        }

        long addr() {
            return data.physAddr() + offset;
        }

        byte[] pattern() {
            return Mirrors.pattern(sector, generation);
        }

        /** {@code submit_bio(rw, master)} to the array, in the calling thread. */
        void submit(int rw) {
            BlockLayer.submitBio(rw, bio);
        }

        boolean uptodate() {
            return bio.testFlag(Bio.BIO_UPTODATE);
        }

        /** The bytes in the master's page now. */
        byte[] contents() {
            byte[] b = new byte[SECTOR];
            machine.memory().read(addr(), b, 0, SECTOR);
            return b;
        }
    }
}
