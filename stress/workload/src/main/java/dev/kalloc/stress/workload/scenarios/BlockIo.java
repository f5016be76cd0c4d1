// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.scenarios;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioEndIo;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.stress.workload.run.OpRegistry;
import dev.kalloc.stress.workload.run.RunMetrics;
import dev.kalloc.stress.workload.run.Verification;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Verified page-sized block I/O through bios, shared by the scenarios that read and write a
 * device (bounce, raid1): a ring of buffer pages, a table of what each block of the device must
 * hold, and the two operations.
 *
 * <h2>Operations</h2>
 * A seeded coin per operation picks a {@code read} or a {@code write}. Writes go through the
 * blocks in order (the next idle one), so the device fills from the start; a read takes a random
 * block among those written so far that holds a committed version (if it finds none idle, the
 * operation writes instead). A write fills a
 * buffer page with {@link Pattern} bytes of (seed, block, version) and submits a one-page bio; its
 * completion (interrupt context) makes that version the block's committed one if the bio
 * succeeded. A read submits a one-page bio into a buffer page; its completion compares the
 * page's CRC32 with the committed version's: bytes verified, or a mismatch. Either way the
 * buffer goes back to the ring, the block becomes idle, and the latency is recorded.
 *
 * <h2>Invariants</h2>
 * At most one operation is in flight per block ({@code busy}), so a read's expected CRC, taken at
 * submission, is what the device holds. A write that fails moves no data (the block keeps its
 * committed version). At most {@code buffers} operations are in flight; an operation waits for a
 * buffer (its latency shows the wait).
 *
 * <h2>Threads</h2>
 * {@link #issue} from the load generator's workers; completions from the device's interrupt
 * thread (or, for a bio the block layer fails at once, the submitter's); {@link #verifyDevice} at
 * a quiescent point. Counters are atomics.
 */
final class BlockIo {
    private final Machine machine;
    private final BioSet bios;
    private final RamDisk target;
    private final int blocks;
    private final long seed;
    private final RunMetrics.OpType write;
    private final RunMetrics.OpType read;
    private final ArrayBlockingQueue<Page> buffers;
    private final long highmemBuffers;
    private final AtomicLongArray committedCrc;
    private final AtomicLongArray versions;
    private final AtomicIntegerArray busy;
    private final AtomicLong bytesVerified = new AtomicLong();
    private final AtomicLong mismatches = new AtomicLong();
    private final AtomicLong noBio = new AtomicLong();
    private final AtomicLong writeCursor = new AtomicLong();
    private final List<String> examples = Collections.synchronizedList(new ArrayList<>());
    private final ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[PhysicalMemory.PAGE_SIZE]);
    private static final long NEVER = -1;
    private static final int SECTORS_PER_BLOCK = PhysicalMemory.PAGE_SIZE / Bio.SECTOR_SIZE;
    /** The device sector of block 0. */
    private final long firstSector;

    /**
     * @param target the device to read and write (a RAM disk or an md device)
     * @param blocks page-sized blocks used, from sector 0
     * @param bufferGfp where the buffer pages come from ({@code GFP_HIGHUSER} for highmem buffers)
     * @param nrBuffers buffer pages, and so operations in flight at most
     * @throws IllegalStateException if the buffer pages cannot be allocated
     */
    BlockIo(Machine machine, BioSet bios, RamDisk target, int blocks, long seed, OpRegistry ops, int bufferGfp,
            int nrBuffers) {
        this(machine, bios, target, 0, blocks, seed, ops, bufferGfp, nrBuffers);
    }

    /**
     * As above, on the {@code blocks} page-sized blocks from block {@code firstBlock}.
     */
    BlockIo(Machine machine, BioSet bios, RamDisk target, int firstBlock, int blocks, long seed, OpRegistry ops,
            int bufferGfp, int nrBuffers) {
        if (firstBlock < 0 || ((long) firstBlock + blocks) * SECTORS_PER_BLOCK > target.nrSectors()) {
            throw new IllegalArgumentException("blocks [" + firstBlock + ", " + (firstBlock + blocks) + ") do not fit on "
                    + target);
        }
        this.firstSector = (long) firstBlock * SECTORS_PER_BLOCK;
        this.machine = machine;
        this.bios = bios;
        this.target = target;
        this.blocks = blocks;
        this.seed = seed;
        this.write = ops.opType("write");
        this.read = ops.opType("read");
        this.buffers = new ArrayBlockingQueue<>(nrBuffers);
        long high = 0;
        for (int i = 0; i < nrBuffers; i++) {
            Page p = machine.pageAlloc().allocPage(bufferGfp);
            if (p == null) {
                throw new IllegalStateException("cannot allocate buffer page " + i + " of " + nrBuffers);
            }
            high += p.isHighMem() ? 1 : 0;
            buffers.add(p);
        }
        this.highmemBuffers = high;
        this.committedCrc = new AtomicLongArray(blocks);
        this.versions = new AtomicLongArray(blocks);
        this.busy = new AtomicIntegerArray(blocks);
        for (int b = 0; b < blocks; b++) {
            committedCrc.set(b, NEVER);
        }
    }

    /** Buffer pages in highmem. */
    long highmemBuffers() {
        return highmemBuffers;
    }

    /** Issues operation {@code index} (see the class comment); returns once it is submitted. */
    void issue(long index, long intendedNanos) throws InterruptedException {
        SplittableRandom coin = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L));
        int block = coin.nextBoolean() ? claimForRead(coin) : -1;
        boolean isWrite = block < 0;
        if (isWrite) {
            block = claimForWrite();
        }
        RunMetrics.OpType type = isWrite ? write : read;
        type.begin();
        if (block < 0) {
            type.record(intendedNanos, false); // eight blocks in a row busy: more in flight than buffers allow
            return;
        }
        Page buf;
        try {
            buf = buffers.take();
        } catch (InterruptedException e) {
            busy.set(block, 0);
            type.record(intendedNanos, false);
            throw e;
        }
        Io io = new Io(block, buf, isWrite, intendedNanos);
        if (isWrite) {
            byte[] data = scratch.get();
            io.version = versions.incrementAndGet(block);
            Pattern.fill(data, data.length, seed, block, io.version);
            io.crc = Pattern.crc(data, data.length);
            machine.memory().write(buf.physAddr(), data, 0, data.length);
        } else {
            io.crc = committedCrc.get(block);
        }
        Bio bio = bios.bioAlloc(Gfp.GFP_NOIO, 1);
        if (bio == null) {
            noBio.incrementAndGet();
            io.done(false);
            return;
        }
        bio.setSector(firstSector + (long) block * SECTORS_PER_BLOCK).setDev(target).setEndIo(io);
        bio.addPage(buf, PhysicalMemory.PAGE_SIZE, 0);
        BlockLayer.submitBio(isWrite ? Bio.WRITE : Bio.READ, bio);
    }

    /** The next block in write order that is idle, now busy; -1 if the eight tried are all busy. */
    private int claimForWrite() {
        for (int k = 0; k < 8; k++) {
            int b = (int) (writeCursor.getAndIncrement() % blocks);
            if (busy.compareAndSet(b, 0, 1)) {
                return b;
            }
        }
        return -1;
    }

    /**
     * A random block among those written so far that holds a committed version and is idle, now
     * busy; -1 if none of eight tries found one (the caller writes instead).
     */
    private int claimForRead(SplittableRandom coin) {
        int written = (int) Math.min(writeCursor.get(), blocks);
        for (int k = 0; k < 8 && written > 0; k++) {
            int b = coin.nextInt(written);
            if (committedCrc.get(b) != NEVER && busy.compareAndSet(b, 0, 1)) {
                return b;
            }
        }
        return -1;
    }

    /** Records an operation that the load generator's cut-off dropped. */
    void abandon(long index, long intendedNanos) {
        write.begin();
        write.record(intendedNanos, false);
    }

    /** One operation in flight, and its completion. */
    private final class Io implements BioEndIo {
        final int block;
        final Page buf;
        final boolean isWrite;
        final long intended;
        long version;
        long crc;

        Io(int block, Page buf, boolean isWrite, long intended) {
            this.block = block;
            this.buf = buf;
            this.isWrite = isWrite;
            this.intended = intended;
        }

        @Override
        public int endIo(Bio bio, int nrSectors) {
            boolean ok = bio.testFlag(Bio.BIO_UPTODATE);
            bio.put();
            done(ok);
            return 0;
        }

        void done(boolean ok) {
            if (ok && isWrite) {
                committedCrc.set(block, crc);
            } else if (ok) {
                byte[] data = scratch.get();
                machine.memory().read(buf.physAddr(), data, 0, data.length);
                long got = Pattern.crc(data, data.length);
                if (got == crc) {
                    bytesVerified.addAndGet(data.length);
                } else {
                    mismatch(String.format("%s: read of block %d returned CRC32 %08x, %08x was written", target.name(),
                            block, got, crc));
                }
            }
            buffers.add(buf);
            busy.set(block, 0);
            (isWrite ? write : read).record(intended, ok);
        }
    }

    private void mismatch(String what) {
        mismatches.incrementAndGet();
        if (examples.size() < Verification.MAX_EXAMPLES) {
            examples.add(what);
        }
    }

    /**
     * At a quiescent point: reads every written block of {@code device} (the target, or one
     * mirror of it) raw and compares it with its committed version; adds what the reads checked
     * during the run.
     */
    Verification verifyDevice(RamDisk device, RunMetrics metrics) {
        byte[] raw = new byte[PhysicalMemory.PAGE_SIZE];
        long ok = 0;
        for (int b = 0; b < blocks; b++) {
            long want = committedCrc.get(b);
            if (want == NEVER) {
                continue;
            }
            device.readRaw(firstSector + (long) b * SECTORS_PER_BLOCK, raw, 0, raw.length);
            long got = Pattern.crc(raw, raw.length);
            if (got == want) {
                ok += raw.length;
            } else {
                mismatch(String.format("%s: block %d holds CRC32 %08x, %08x was written", device.name(), b, got, want));
            }
            metrics.progressed();
        }
        bytesVerified.addAndGet(ok);
        List<String> ex;
        synchronized (examples) {
            ex = List.copyOf(examples);
        }
        return new Verification(bytesVerified.get(), mismatches.get(), ex);
    }

    /** Operations that failed for want of a bio. */
    long noBio() {
        return noBio.get();
    }
}
