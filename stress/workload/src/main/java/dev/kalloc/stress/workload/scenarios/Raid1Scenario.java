// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.DiskStats;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.raid1.ErrorGateStats;
import dev.kalloc.raid1.MirrorErrorGate;
import dev.kalloc.raid1.Raid1Array;
import dev.kalloc.raid1.Raid1Stats;
import dev.kalloc.stress.workload.run.OpRegistry;
import dev.kalloc.stress.workload.run.Rig;
import dev.kalloc.stress.workload.run.RunMetrics;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Verification;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * RAID-1 recovering a spare under memory pressure, through a second disk failure: mirrored
 * writes and balanced reads on a three-way md array of RAM disks whose r1bio pool, resync buffers
 * and bios come from the run's guarantee, while pages nothing can reclaim fill memory down to the
 * run's pressure floor ({@link PressureFill}, {@code --free}).
 *
 * <h2>Why this timeline</h2>
 * raid1 needs a guarantee for two things: an r1bio (and its bios) for every request, and 32
 * resync buffers of 16 pages for a resync. An earlier version hot-added the spare in the middle of
 * the load with half the pressure in clean page-cache pages, so that the resync could start; but
 * clean pages are free memory to everyone, so {@code none} never failed at any pressure and the
 * run could not show what raid1 needs its guarantee for. With every page pinned, a spare
 * hot-added under load fails on every guarantee alike: 2.5.1 creates {@code r1buf_pool} in
 * {@code init_resync}, when the resync starts, and no pool can be filled from memory that is
 * gone (a mempool's prefill fails, a reservation's admission waits). A guarantee guards what it
 * set aside before the pressure. So the spare is added at set-up, as when md assembles an array
 * after a disk failure and recovers onto a hot spare at once: raid1syncd takes its resync
 * buffers while memory is plentiful, and then waits at md's speed limit
 * ({@code speed_limit_max}, {@link Raid1Array#setSyncSpeedLimit}), as an administrator holds a
 * recovery back while the machine is busy, until two thirds of the load, when the limit is lifted
 * and the recovery runs under the load and the pressure. On {@code none} requests and resync
 * chunks must then find free pages under the same pressure as everything else, and at low enough
 * {@code --free} they do not.
 *
 * <p>The array is 6 MiB and the load uses its last 2 MiB: a resync held at its start keeps normal
 * I/O out of its first windows ({@code ResyncWindow}: up to three of 1 MiB), which on a real
 * array is a small part of it; on an array no larger than the window every request would wait
 * for the held recovery.
 *
 * <h2>Timeline</h2>
 * <ol>
 *   <li>Set-up: the array of r1m0, r1m1, r1m2; r1m2 is failed ({@code mdadm --fail}) and the
 *       spare r1m3 hot-added in its slot; the scenario waits until raid1syncd holds its resync
 *       buffers (its first chunk is copied), then the pressure fills memory.</li>
 *   <li>From the start of the load, with {@code --disk-error-rate}, every member takes random
 *       errors through the array's {@link MirrorErrorGate}: md fails a mirror on its first error
 *       (2.5.1), so one of r1m0 and r1m1 may fail at a random moment; the gate never lets the
 *       last good in-sync mirror fail, and gives none to the spare while it is recovered or to
 *       the resync's I/O (in 2.5.1 either ends the recovery).</li>
 *   <li>A third of the way into the load, mirror r1m1 starts failing every I/O
 *       ({@link RamDisk#failFrom}), if the gate lets it (a random error may have failed r1m0
 *       already, or r1m1 itself); raid1 fails it on its first error, and failed reads are
 *       retried on r1m0 by raid1d.</li>
 *   <li>Two thirds of the way in, the speed limit is lifted: the recovery of r1m3 runs to its
 *       end under the load.</li>
 *   <li>At the end the recovery is awaited, the operational members are compared with each other
 *       sector by sector ({@link Raid1Array#firstMismatch()}), and each in-sync one is read back
 *       raw and compared with what {@link BlockIo} wrote. A recovery that did not bring the spare into
 *       sync is reported as a mismatch: the array did not regain its redundancy.</li>
 * </ol>
 * Times are measured from the intended start of the first operation this scenario sees, so the
 * same timeline holds when it is a part of the mixed scenario.
 */
public final class Raid1Scenario implements Scenario {
    public static final String NAME = "raid1";
    private static final int BLOCKS = 512;
    private static final int BUFFERS = 32;
    /** Bios of the set, one per I/O in flight (the mirrors' clones come from the array's own pool). */
    private static final int POOL = BUFFERS;
    private static final int R1BIOS = 32;
    /** Blocks before the load's: the resync windows a held recovery keeps normal I/O out of, and one more MiB. */
    private static final int IO_OFFSET_BLOCKS = 1024;
    /** md's speed limit while the recovery is held: 1 KiB/s, one 64 KiB chunk a minute. */
    private static final long HELD_KIB_PER_SECOND = 1;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "mirrored writes and balanced reads on a three-way md RAID-1 recovering a spare under load; a second"
                + " mirror fails a third of the way in, with memory full";
    }

    @Override
    public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
        long memberSectors = (long) (IO_OFFSET_BLOCKS + BLOCKS) * 8 + 2L * Raid1Array.MD_RESERVED_SECTORS;
        RamDisk rd0 = rig.disk("r1m0", memberSectors, false);
        RamDisk rd1 = rig.disk("r1m1", memberSectors, false);
        RamDisk rd2 = rig.disk("r1m2", memberSectors, false);
        RamDisk spare = rig.disk("r1m3", memberSectors, false);
        Raid1Array md = rig.driver(Raid1Array.builder(rig.slab, rig.guarantee).name("md0").members(rd0, rd1, rd2)
                .nrR1Bios(R1BIOS).syncSpeedLimit(HELD_KIB_PER_SECOND).create());
        BioSet bios = BioSet.builder(rig.slab, rig.guarantee).name("r1io").maxVecs(1).poolEntries(POOL)
                .inFlight(POOL).create();
        BlockIo io = new BlockIo(rig.machine, bios, md.device(), IO_OFFSET_BLOCKS, BLOCKS, rig.seed, ops, Gfp.GFP_KERNEL,
                BUFFERS);
        MirrorErrorGate gate = new MirrorErrorGate(md);
        md.setFaulty(rd2);
        int spareSlot = md.hotAdd(spare);
        boolean buffers = md.waitResyncBuffers();
        return new Recovery(rig, metrics, md, bios, io, gate, List.of(rd0, rd1, rd2, spare), spareSlot, buffers);
    }

    /**
     * The prepared array and its timeline: fails mirror r1m1 a third of the way into the load and
     * lifts the speed limit on the recovery of the spare at two thirds (times from the first
     * operation this part sees), checks the in-sync mirrors at the end, and reports the array's,
     * the error gate's and the members' counters.
     */
    private static final class Recovery implements Prepared {
        private final Rig rig;
        private final RunMetrics metrics;
        private final Raid1Array md;
        private final BioSet bios;
        private final BlockIo io;
        private final MirrorErrorGate gate;
        /** r1m0, r1m1, r1m2 (failed at set-up) and the spare r1m3, as created. */
        private final List<RamDisk> members;
        /** The mirror that starts failing a third of the way in. */
        private final RamDisk victim;
        private final int spareSlot;
        private final boolean buffers;
        private final long durationNanos;
        private final AtomicLong firstIntended = new AtomicLong(Long.MIN_VALUE);
        private final AtomicBoolean failed = new AtomicBoolean();
        private final AtomicBoolean released = new AtomicBoolean();
        private long filled;
        private volatile String events;

        Recovery(Rig rig, RunMetrics metrics, Raid1Array md, BioSet bios, BlockIo io, MirrorErrorGate gate,
                List<RamDisk> members, int spareSlot, boolean buffers) {
            this.rig = rig;
            this.metrics = metrics;
            this.md = md;
            this.bios = bios;
            this.io = io;
            this.gate = gate;
            this.members = members;
            this.victim = members.get(1);
            this.spareSlot = spareSlot;
            this.buffers = buffers;
            this.durationNanos = rig.config.duration().toNanos();
            this.events = buffers ? "" : "no resync buffers at set-up; ";
        }

        @Override
        public void applyPressure(boolean takeAll) {
            filled = PressureFill.fillShare(rig, "r1-pinned", takeAll);
        }

        /** Random errors from the load on; set-up (the first resync chunk) ran without. */
        @Override
        public void startHelpers() {
            double rate = rig.config.diskErrorRate();
            if (rate > 0) {
                for (int i = 0; i < members.size(); i++) {
                    members.get(i).injectErrors(rate, rig.seed + 1 + i, gate);
                }
            }
        }

        @Override
        public void issue(long index, long intendedNanos) throws InterruptedException {
            firstIntended.compareAndSet(Long.MIN_VALUE, intendedNanos);
            long at = intendedNanos - firstIntended.get();
            if (at >= durationNanos / 3 && failed.compareAndSet(false, true)) {
                if (gate.claim(victim)) {
                    victim.failFrom(System.nanoTime());
                    events += "mirror r1m1 failing from " + at / 1_000_000 + " ms; ";
                } else {
                    events += "mirror r1m1 left alone at " + at / 1_000_000 + " ms (" + (md.state(1)
                            == Raid1Array.MirrorState.IN_SYNC ? "the last good copy" : "failed already") + "); ";
                }
            }
            if (at >= durationNanos * 2 / 3 && released.compareAndSet(false, true)) {
                md.setSyncSpeedLimit(0);
                events += "recovery of r1m3 released at " + at / 1_000_000 + " ms; ";
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
            md.setSyncSpeedLimit(0); // a load shorter than the timeline (a cut-off) still ends the recovery
            if (!md.waitResync()) {
                extra.mismatch("raid1: the recovery of r1m3 did not bring it into sync" + md.status());
            }
            md.waitIdle();
            long at = md.firstMismatch();
            if (at >= 0) {
                extra.mismatch("raid1: the in-sync mirrors differ at sector " + at + md.status());
            }
            // Every mirror in sync holds every committed block; random errors may have failed
            // r1m0 as well as r1m1, and the gate leaves at least one of them (or the spare).
            Verification v = null;
            List<RamDisk> now = md.members();
            for (int slot = 0; slot < now.size(); slot++) {
                if (md.state(slot) == Raid1Array.MirrorState.IN_SYNC) {
                    v = io.verifyDevice(now.get(slot), metrics); // its totals include the earlier mirrors'
                }
            }
            if (v == null) {
                extra.mismatch("raid1: no mirror in sync" + md.status());
                v = new Verification(0, 0, List.of());
            }
            return v.plus(extra.build());
        }

        @Override
        public Map<String, Long> counters() {
            Raid1Stats array = md.stats();
            ErrorGateStats decisions = gate.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            c.put("pressure_pages", filled);
            c.put("md_reads", array.reads());
            c.put("md_writes", array.writes());
            c.put("md_read_errors", array.readErrors());
            c.put("md_write_errors", array.writeErrors());
            c.put("md_read_retries", array.readRetries());
            c.put("md_unrecoverable_reads", array.unrecoverableReads());
            c.put("md_failed_requests", array.failedRequests());
            c.put("md_disk_failures", array.diskFailures());
            c.put("md_alloc_failures", array.allocFailures());
            c.put("md_resynced_sectors", array.resyncedSectors());
            c.put("md_resyncs_completed", array.resyncsCompleted());
            c.put("md_resyncs_aborted", array.resyncsAborted());
            c.put("spare_in_sync", md.state(spareSlot) == Raid1Array.MirrorState.IN_SYNC ? 1L : 0L);
            c.put("resync_buffers_at_setup", buffers ? 1L : 0L);
            c.put("io_no_bio", io.noBio());
            c.put("bio_alloc_failures", bios.stats().allocFailures());
            c.put("md_error_gate_claims", decisions.claims());
            c.put("md_error_gate_admitted", decisions.admitted());
            c.put("md_error_gate_refused_last_copy", decisions.refusedLastCopy());
            c.put("md_error_gate_refused_not_in_sync", decisions.refusedNotInSync());
            c.put("md_error_gate_refused_resync", decisions.refusedResync());
            for (RamDisk d : members) {
                DiskStats ds = d.stats();
                c.put(d.name() + "_writes", ds.writes());
                c.put(d.name() + "_reads", ds.reads());
                c.put(d.name() + "_io_errors", ds.ioErrors());
            }
            c.put("oom_rounds", rig.machine.pageAlloc().oomRounds());
            return c;
        }

        @Override
        public String toString() {
            return "raid1 " + md.status() + " " + events;
        }
    }
}
