// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.DiskStats;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.highmem.Bounce;
import dev.kalloc.highmem.BounceStats;
import dev.kalloc.highmem.Highmem;
import dev.kalloc.page.Gfp;
import dev.kalloc.stress.workload.run.OpRegistry;
import dev.kalloc.stress.workload.run.Rig;
import dev.kalloc.stress.workload.run.RunMetrics;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Verification;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounce buffers under memory pressure: reads and writes of highmem pages through a RAM disk
 * whose queue can reach only low memory ({@code blk_queue_bounce_limit(q, BLK_BOUNCE_HIGH)}), so
 * that every bio is bounced through a page of low memory taken from the bounce pool on the run's
 * guarantee ({@link Bounce}: 64 pages as a mempool, a reservation of 64 pages, or the bare page
 * allocator).
 *
 * <p>Set-up: the highmem kmap window, the bounce pool, a bio set (64 entries) and 32 buffer pages
 * allocated with {@code GFP_HIGHUSER} (highmem first), all while memory is plentiful; then the
 * pressure: pages nothing can reclaim fill low memory ({@link PressureFill}), so a bounce page or
 * a bio can only come from what the guarantee set aside. Operations are {@link BlockIo}'s
 * verified reads and writes of 512 blocks; at the end every written block is read back raw from
 * the disk and compared.
 *
 * <p>On none the bio or the bounce page is refused and the I/O fails ({@code bio_io_error}), a
 * reported result; on a mempool or a reservation every I/O goes through.
 */
public final class BounceScenario implements Scenario {
    public static final String NAME = "bounce";
    private static final int BLOCKS = 512;
    private static final int BUFFERS = 32;
    /**
     * Bios of the set, and in flight at most: each I/O holds its own bio and, while bounced, the
     * bounce bio {@code createBounce} takes from the same set, so twice the buffers. Fewer, and
     * the originals could hold every bio while each waits for its bounce bio: a deadlock of the
     * scenario's sizing, not of a guarantee.
     */
    private static final int POOL = 2 * BUFFERS;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "reads and writes of highmem pages through a disk that needs bounce buffers, with low memory full";
    }

    @Override
    public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
        Highmem hm = Highmem.boot(rig.machine);
        Bounce bounce = Bounce.init(hm, rig.guarantee);
        BioSet bios = BioSet.builder(rig.slab, rig.guarantee).name("bnc").maxVecs(1).poolEntries(POOL)
                .inFlight(POOL).create();
        RamDisk disk = rig.disk("bnc0", (long) BLOCKS * 8);
        bounce.blkQueueBounceLimit(disk.queue(), bounce.bounceHigh());
        BlockIo io = new BlockIo(rig.machine, bios, disk, BLOCKS, rig.seed, ops, Gfp.GFP_HIGHUSER, BUFFERS);
        return new BouncedIo(rig, metrics, bounce, bios, disk, io);
    }

    /**
     * The prepared disk behind its bounce limit: fills low memory, serves {@link BlockIo}'s
     * operations, reads the disk back raw at the end, and reports the bounce layer's, the bio
     * set's and the disk's counters.
     */
    private static final class BouncedIo implements Prepared {
        private final Rig rig;
        private final RunMetrics metrics;
        private final Bounce bounce;
        private final BioSet bios;
        private final RamDisk disk;
        private final BlockIo io;
        private long filled;

        BouncedIo(Rig rig, RunMetrics metrics, Bounce bounce, BioSet bios, RamDisk disk, BlockIo io) {
            this.rig = rig;
            this.metrics = metrics;
            this.bounce = bounce;
            this.bios = bios;
            this.disk = disk;
            this.io = io;
        }

        @Override
        public void applyPressure(boolean takeAll) {
            filled = PressureFill.fillShare(rig, "bnc-pressure", takeAll);
        }

        @Override
        public void issue(long index, long intendedNanos) throws InterruptedException {
            io.issue(index, intendedNanos);
        }

        @Override
        public void abandon(long index, long intendedNanos) {
            io.abandon(index, intendedNanos);
        }

        @Override
        public Verification finish() {
            return io.verifyDevice(disk, metrics);
        }

        @Override
        public Map<String, Long> counters() {
            BounceStats b = bounce.stats();
            DiskStats d = disk.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            c.put("pressure_pages", filled);
            c.put("highmem_buffers", io.highmemBuffers());
            c.put("bios_bounced", b.biosBounced());
            c.put("pages_bounced", b.pagesBounced());
            c.put("pages_copied_back", b.pagesCopiedBack());
            c.put("bounce_failures", b.failures());
            c.put("bounce_pages_in_use", b.pagesInUse());
            c.put("io_no_bio", io.noBio());
            c.put("bio_alloc_failures", bios.stats().allocFailures());
            c.put("disk_reads", d.reads());
            c.put("disk_writes", d.writes());
            c.put("disk_io_errors", d.ioErrors());
            c.put("oom_rounds", rig.machine.pageAlloc().oomRounds());
            return c;
        }
    }
}
