// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BioWriteback;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.WritebackStats;
import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.stress.workload.run.OpRegistry;
import dev.kalloc.stress.workload.run.Rig;
import dev.kalloc.stress.workload.run.RunMetrics;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Verification;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The 2001 deadlock under load: memory full of dirty page-cache pages whose only way out is
 * writeback through bios, while a writer keeps dirtying more. It grows from the bio module's
 * {@code WritebackDeadlockTest}.
 *
 * <h2>The parts</h2>
 * <ul>
 *   <li>A file ({@link AddressSpace}) whose {@code writepage} is {@link BioWriteback}: each dirty
 *       page is written through a one-segment bio from a {@link BioSet} on the run's guarantee
 *       (pool of 16 bios, 16 in flight for a reservation) to a RAM disk.</li>
 *   <li>The hog (the pressure): fills every page it can get with dirty pages of the file,
 *       allocating without sleeping (as interrupt-time or {@code GFP_ATOMIC} users do), until
 *       the allocator refuses: only the last quarter of each zone's {@code pages_min} stays
 *       free. It always takes all it can; in the mixed scenario it fills last.</li>
 *   <li>The flusher ({@code bdflush}): a thread writing back dirty pages of the file oldest
 *       first, in process context, as 2.4's {@code bdflush} does; its bio allocations are
 *       {@code GFP_NOIO} and not {@code PF_MEMALLOC}, so on no guarantee they are refused the
 *       last free pages and wait for memory.</li>
 *   <li>The operation {@code write}: a buffered write of one new page of the file, allocated
 *       with {@code GFP_NOFS | __GFP_HIGHMEM} (a journalling filesystem's write path, which
 *       must not recurse into writeback itself), filled with a pattern, dirtied, and queued for
 *       the flusher. When memory is full it waits in the page allocator for reclaim to find
 *       clean pages, which only the flusher's writeback makes.</li>
 * </ul>
 * On a mempool or a reservation the flusher always gets its bios, pages become clean, reclaim
 * drops them and the writer goes on. On none the flusher's first bio needs a page it cannot have,
 * the writer waits for pages nobody can clean, and the watchdog finds both asleep: the deadlock
 * (or, with an OOM policy that fails, failed writes).
 *
 * <h2>Verification</h2>
 * Each written page holds {@link Pattern} bytes of (seed, index, 0); its CRC32 is kept. At the
 * end every dirty page is written back with faults off, and each page's sectors on the disk are
 * read raw and compared by CRC32: bytes verified, or a mismatch naming the page.
 *
 * <p>Indices are unique within a run unless the run writes more than twice the machine's pages;
 * then they wrap, and a page still under writeback is skipped for the next index.
 */
public final class WritebackScenario implements Scenario {
    public static final String NAME = "writeback";
    /** The writer's mask: may sleep and start plain I/O, must not call into the filesystem. */
    static final int WRITE_GFP = Gfp.GFP_NOFS | Gfp.__GFP_HIGHMEM;
    /** The hog's mask: any zone, never sleeps, never reclaims. */
    static final int HOG_GFP = Gfp.GFP_HIGHUSER & ~Gfp.__GFP_WAIT;
    private static final int POOL = 16;
    private static final long NOT_WRITTEN = -1;
    /** How often a wait for writebacks reports their progress. */
    private static final Duration PROGRESS_TICK = Duration.ofMillis(100);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "a page-cache hog fills memory with dirty pages; a writer dirties more while a flusher must"
                + " write back through bios: the 2001 deadlock";
    }

    @Override
    public Prepared prepare(Rig rig, OpRegistry ops, RunMetrics metrics) {
        return new Run(rig, ops, metrics);
    }

    private static final class Run implements Prepared {
        private final Rig rig;
        private final Machine machine;
        private final PageCache cache;
        private final RunMetrics metrics;
        private final RunMetrics.OpType write;
        private final BioSet bios;
        private final RamDisk disk;
        private final BioWriteback wb;
        private final AddressSpace file;
        private final int filePages;
        private final AtomicLongArray crc;
        private final AtomicLong nextIndex = new AtomicLong();
        private final LinkedBlockingQueue<Long> dirtyQueue = new LinkedBlockingQueue<>();
        private final AtomicLong flushed = new AtomicLong();
        private final AtomicLong skipped = new AtomicLong();
        private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[PhysicalMemory.PAGE_SIZE]);
        private long hogPages;
        private Thread flusher;
        private volatile boolean stopping;
        private long lostPages;

        Run(Rig rig, OpRegistry ops, RunMetrics metrics) {
            this.rig = rig;
            this.machine = rig.machine;
            this.cache = machine.pageCache();
            this.metrics = metrics;
            this.write = ops.opType("write");
            this.bios = BioSet.builder(rig.slab, rig.guarantee).name("wb").maxVecs(1).poolEntries(POOL)
                    .inFlight(POOL).create();
            this.filePages = machine.nrPages() * 2;
            this.disk = rig.disk("wb0", (long) filePages * BioWriteback.SECTORS_PER_PAGE);
            this.wb = new BioWriteback(bios, disk);
            this.file = new AddressSpace("wbfile", wb);
            this.crc = new AtomicLongArray(filePages);
            for (int i = 0; i < filePages; i++) {
                crc.set(i, NOT_WRITTEN);
            }
        }

        @Override
        public void applyPressure(boolean takeAll) {
            byte[] buf = buffers.get();
            for (;;) {
                long index = nextIndex.get();
                if (index >= filePages / 2) {
                    break; // half the file: the run's writes get the other half
                }
                if (PressureFill.atFloor(rig)) {
                    break; // --free: what the sweep leaves
                }
                Page page = cache.addNewPage(file, index, HOG_GFP);
                if (page == null) {
                    break;
                }
                nextIndex.incrementAndGet();
                Page ref = cache.findGetPage(file, index);
                if (ref == null) {
                    continue;
                }
                try {
                    fillAndDirty(ref, index, buf, Gfp.GFP_ATOMIC);
                } finally {
                    machine.pageAlloc().putPage(ref);
                }
                hogPages++;
            }
        }

        /** Writes the pattern into the page and dirties it; true if dirtied (and queued). */
        private boolean fillAndDirty(Page ref, long index, byte[] buf, int gfp) {
            Pattern.fill(buf, buf.length, rig.seed, index, 0);
            machine.memory().write(ref.physAddr(), buf, 0, buf.length);
            if (!cache.setPageDirty(ref, gfp)) {
                return false; // a reservation needs this clean page as backing: it stays clean, unchecked
            }
            crc.set((int) index, Pattern.crc(buf, buf.length));
            dirtyQueue.add(index);
            return true;
        }

        @Override
        public void startHelpers() {
            flusher = new Thread(this::flush, "bdflush-wb");
            flusher.setDaemon(true);
            flusher.start();
        }

        /** The flusher: writes back queued dirty pages oldest first until told to stop. */
        private void flush() {
            try {
                while (!stopping) {
                    long index = dirtyQueue.take();
                    if (index < 0) {
                        return;
                    }
                    Page p = cache.findGetPage(file, index);
                    if (p == null) {
                        continue;
                    }
                    try {
                        if (p.testFlag(Page.PG_dirty)) {
                            cache.writePage(p);
                            flushed.incrementAndGet();
                        }
                    } finally {
                        machine.pageAlloc().putPage(p);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void abandon(long opIndex, long intendedNanos) {
            write.begin();
            write.record(intendedNanos, false);
        }

        @Override
        public void issue(long opIndex, long intendedNanos) throws InterruptedException {
            write.begin();
            boolean ok = false;
            try {
                ok = writeOnePage();
            } finally {
                write.record(intendedNanos, ok);
            }
        }

        private boolean writeOnePage() {
            byte[] buf = buffers.get();
            for (int attempt = 0; attempt < 8; attempt++) {
                long index = nextIndex.getAndIncrement() % filePages;
                Page page;
                try {
                    page = cache.addNewPage(file, index, WRITE_GFP);
                } catch (IllegalArgumentException cachedAlready) {
                    page = null; // a wrapped index still cached: write over it if it is idle
                    Page old = cache.findGetPage(file, index);
                    if (old != null) {
                        try {
                            if (!old.testFlag(Page.PG_writeback) && fillAndDirty(old, index, buf, WRITE_GFP)) {
                                return true;
                            }
                        } finally {
                            machine.pageAlloc().putPage(old);
                        }
                    }
                    skipped.incrementAndGet();
                    continue;
                }
                if (page == null) {
                    return false; // the allocator refused: a failed write
                }
                Page ref = cache.findGetPage(file, index);
                if (ref == null) {
                    continue; // reclaimed before we could use it; take the next index
                }
                try {
                    return fillAndDirty(ref, index, buf, WRITE_GFP);
                } finally {
                    machine.pageAlloc().putPage(ref);
                }
            }
            return false;
        }

        /**
         * Stops the flusher (it does not drain: on none every page it tried would fail slowly),
         * waits for the writebacks in flight, then syncs: every page still dirty is written once
         * more with the disk's faults off. The sync stops at the first writeback that finds no
         * bio, since then none of the rest can be written either; pages still dirty after it are
         * lost (their data never reached the disk) and count as mismatches.
         */
        @Override
        public Verification finish() throws InterruptedException {
            stopping = true;
            dirtyQueue.add(-1L);
            flusher.join();
            disk.clearFaults();
            disk.setServiceTime(java.time.Duration.ZERO); // the sync is a check, not measured: no need to wait per bio
            awaitWriteback();
            long noBio = wb.allocFailures();
            for (int i = 0; i < filePages && wb.allocFailures() == noBio; i++) {
                if (crc.get(i) == NOT_WRITTEN) {
                    continue;
                }
                Page p = cache.findGetPage(file, i);
                if (p != null) {
                    try {
                        if (p.testFlag(Page.PG_dirty)) {
                            cache.writePage(p);
                        }
                    } finally {
                        machine.pageAlloc().putPage(p);
                    }
                }
                metrics.progressed();
            }
            awaitWriteback();
            return verify();
        }

        /**
         * Waits until every writeback started has ended, telling the watchdog each time some have
         * (a deep queue of writebacks takes a while, and is progress); a writeback that never ends
         * leaves the count still and the watchdog ends the wait.
         */
        private void awaitWriteback() throws InterruptedException {
            long seen = -1;
            while (!wb.awaitIdle(PROGRESS_TICK)) {
                long ended = wb.completed() + wb.ioErrors();
                if (ended != seen) {
                    seen = ended;
                    metrics.progressed();
                }
            }
        }

        private Verification verify() {
            Verification.Builder v = new Verification.Builder();
            byte[] raw = new byte[PhysicalMemory.PAGE_SIZE];
            for (int i = 0; i < filePages; i++) {
                long want = crc.get(i);
                if (want == NOT_WRITTEN) {
                    continue;
                }
                metrics.progressed();
                Page p = cache.findGetPage(file, i);
                if (p != null) {
                    boolean dirty = p.testFlag(Page.PG_dirty);
                    machine.pageAlloc().putPage(p);
                    if (dirty) {
                        lostPages++;
                        v.mismatch("writeback: page " + i + " of the file never reached the disk (still dirty after"
                                + " the final sync)");
                        continue;
                    }
                }
                disk.readRaw((long) i * BioWriteback.SECTORS_PER_PAGE, raw, 0, raw.length);
                long got = Pattern.crc(raw, raw.length);
                if (got == want) {
                    v.ok(raw.length);
                } else {
                    v.mismatch(String.format("writeback: page %d of the file holds CRC32 %08x on the disk, %08x was"
                            + " written", i, got, want));
                }
            }
            return v.build();
        }

        @Override
        public Map<String, Long> counters() {
            WritebackStats w = wb.stats();
            Map<String, Long> c = new LinkedHashMap<>();
            c.put("hog_dirty_pages", hogPages);
            c.put("flushed_pages", flushed.get());
            c.put("writepage_calls", w.started());
            c.put("writeback_completed", w.completed());
            c.put("writeback_io_errors", w.ioErrors());
            c.put("writeback_no_bio", w.allocFailures());
            c.put("bio_alloc_failures", bios.stats().allocFailures());
            c.put("disk_writes", disk.stats().writes());
            c.put("wrapped_index_skips", skipped.get());
            c.put("pages_lost", lostPages);
            c.put("oom_rounds", machine.pageAlloc().oomRounds());
            c.put("alloc_stalls", machine.pageAlloc().allocStalls());
            return c;
        }

        @Override
        public String toString() {
            return "writeback on " + rig.guarantee + " (" + filePages + " file pages)";
        }
    }
}
