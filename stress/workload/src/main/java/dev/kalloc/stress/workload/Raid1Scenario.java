package dev.kalloc.stress.workload;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.raid1.Raid1Array;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * RAID-1 under memory pressure, through a disk failure and a resync: mirrored writes and
 * balanced reads on an md array of two RAM disks whose r1bio pool and bios come from the run's
 * guarantee, while half the free memory is taken by pages nothing can reclaim and the rest by
 * clean page-cache pages ({@link PressureFill}). The clean half is what lets a resync start at
 * all: raid1 creates its resync buffer pool (32 buffers of 16 pages) when the resync starts, as
 * 2.5.1 does, and on a full machine neither a mempool's prefill nor a reservation's admission
 * could have those pages.
 *
 * <h2>Timeline</h2>
 * <ol>
 *   <li>A third of the way into the load, mirror 1 starts failing every I/O
 *       ({@link RamDisk#failFrom}); raid1 fails it on its first error, writes go on to mirror 0
 *       alone and failed reads are retried there by raid1d.</li>
 *   <li>Two thirds of the way in, a spare is hot-added in the failed slot (if no I/O has
 *       reached the failed mirror yet, it is failed by hand first, as {@code mdadm --fail}
 *       would): raid1syncd resyncs it from mirror 0 while the load goes on, allocating its own
 *       r1bios and pages.</li>
 *   <li>At the end the resync is awaited, the two in-sync members are compared with each other
 *       sector by sector ({@link Raid1Array#firstMismatch()}), and each is read back raw and
 *       compared with what {@link BlockIo} wrote.</li>
 * </ol>
 * Times are measured from the intended start of the first operation this scenario sees, so the
 * same timeline holds when it is a part of the mixed scenario. The members get no random
 * errors ({@code --disk-error-rate}): this timeline is their fault injection.
 */
final class Raid1Scenario implements Scenario {
    static final String NAME = "raid1";
    private static final int BLOCKS = 512;
    private static final int BUFFERS = 32;
    /** Bios of the set, one per I/O in flight (the mirrors' clones come from the array's own pool). */
    private static final int POOL = BUFFERS;
    private static final int R1BIOS = 32;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "mirrored writes and balanced reads on md RAID-1; one mirror fails a third of the way in and a"
                + " spare is resynced under load, with memory full";
    }

    @Override
    public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
        long memberSectors = (long) BLOCKS * 8 + 2L * Raid1Array.MD_RESERVED_SECTORS;
        RamDisk rd0 = rig.disk("r1m0", memberSectors, false);
        RamDisk rd1 = rig.disk("r1m1", memberSectors, false);
        RamDisk spare = rig.disk("r1m2", memberSectors, false);
        Raid1Array md = rig.driver(Raid1Array.builder(rig.slab, rig.guarantee).name("md0").members(rd0, rd1)
                .nrR1Bios(R1BIOS).create());
        BioSet bios = BioSet.builder(rig.slab, rig.guarantee).name("r1io").maxVecs(1).poolEntries(POOL)
                .inFlight(POOL).create();
        BlockIo io = new BlockIo(rig.machine, bios, md.device(), BLOCKS, rig.seed, ops, Gfp.GFP_KERNEL, BUFFERS);
        long durationNanos = rig.config.duration().toNanos();
        return new Prepared() {
            private final AtomicLong firstIntended = new AtomicLong(Long.MIN_VALUE);
            private final AtomicBoolean failed = new AtomicBoolean();
            private final AtomicBoolean added = new AtomicBoolean();
            private long filled;
            private volatile String events = "";
            private volatile int spareSlot = -1;

            @Override
            public void applyPressure(boolean takeAll) {
                filled = PressureFill.fillShare(rig.machine, "r1-pinned", false);
                if (takeAll) {
                    filled += PressureFill.fill(rig.machine, "r1-cache", Long.MAX_VALUE, false);
                }
            }

            @Override
            public void issue(long index, long intendedNanos) throws InterruptedException {
                firstIntended.compareAndSet(Long.MIN_VALUE, intendedNanos);
                long at = intendedNanos - firstIntended.get();
                if (at >= durationNanos / 3 && failed.compareAndSet(false, true)) {
                    rd1.failFrom(System.nanoTime());
                    events += "mirror r1m1 failing from " + at / 1_000_000 + " ms; ";
                }
                if (at >= durationNanos * 2 / 3 && added.compareAndSet(false, true)) {
                    if (md.state(1) != Raid1Array.MirrorState.FAULTY) {
                        md.setFaulty(rd1);
                    }
                    spareSlot = md.hotAdd(spare);
                    events += "spare r1m2 hot-added at " + at / 1_000_000 + " ms; ";
                }
                io.issue(index, intendedNanos);
            }

            @Override
            public void abandon(long index, long intendedNanos) {
                io.abandon(index, intendedNanos);
            }

            @Override
            public Verification finish() {
                Verification.Builder extra = new Verification.Builder();
                if (added.get() && !md.waitResync()) {
                    extra.mismatch("raid1: the resync of r1m2 did not bring it into sync" + md.status());
                }
                md.waitIdle();
                long at = md.firstMismatch();
                if (at >= 0) {
                    extra.mismatch("raid1: the in-sync mirrors differ at sector " + at + md.status());
                }
                Verification v = io.verifyDevice(rd0, metrics);
                if (spareSlot >= 0 && md.state(spareSlot) == Raid1Array.MirrorState.IN_SYNC) {
                    v = io.verifyDevice(spare, metrics);
                }
                return v.plus(extra.build());
            }

            @Override
            public Map<String, Long> counters() {
                Map<String, Long> c = new LinkedHashMap<>();
                c.put("pressure_pages", filled);
                c.put("md_reads", md.reads());
                c.put("md_writes", md.writes());
                c.put("md_read_errors", md.readErrors());
                c.put("md_write_errors", md.writeErrors());
                c.put("md_read_retries", md.readRetries());
                c.put("md_unrecoverable_reads", md.unrecoverableReads());
                c.put("md_failed_requests", md.failedRequests());
                c.put("md_disk_failures", md.diskFailures());
                c.put("md_alloc_failures", md.allocFailures());
                c.put("md_resynced_sectors", md.resyncedSectors());
                c.put("md_resyncs_completed", md.resyncsCompleted());
                c.put("md_resyncs_aborted", md.resyncsAborted());
                c.put("spare_in_sync", spareSlot >= 0 && md.state(spareSlot) == Raid1Array.MirrorState.IN_SYNC ? 1L : 0L);
                c.put("io_no_bio", io.noBio());
                c.put("bio_alloc_failures", bios.allocFailures());
                for (RamDisk d : List.of(rd0, rd1, spare)) {
                    c.put(d.name() + "_writes", d.writes());
                    c.put(d.name() + "_reads", d.reads());
                }
                c.put("oom_rounds", rig.machine.pageAlloc().oomRounds());
                return c;
            }

            @Override
            public String toString() {
                return "raid1 " + md.status() + " " + events;
            }
        };
    }
}
