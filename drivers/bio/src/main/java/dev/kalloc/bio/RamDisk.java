// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A RAM disk (2.5.1's {@code drivers/block/rd.c} in spirit): a block device whose sectors live in
 * its own storage, a {@code byte[]} on the Java heap outside the simulated RAM, so that what it
 * holds costs the machine nothing and survives anything the machine does to its pages. Bios reach
 * it through its {@link RequestQueue}; it services them one at a time, taking a configurable
 * service time, and fails them on demand.
 *
 * <h2>Fault injection</h2>
 * A serviced bio fails (no data moves; it completes without {@code BIO_UPTODATE}) if any of:
 * <ul>
 *   <li>a seeded random draw falls under the error probability ({@link #injectErrors}) and, if
 *       the draw was given an {@link ErrorGate}, the gate admits the error (a refused draw is
 *       counted in {@link #errorsRefused()} and the bio is serviced);</li>
 *   <li>it touches a sector of a bad range ({@link #addBadRange});</li>
 *   <li>it is serviced at or after the failure moment ({@link #failFrom}).</li>
 * </ul>
 * The fault settings are guarded by {@code this}; the draw is made by the dispatcher only, so a
 * seed gives the same sequence of draws for the same sequence of bios. The gate is asked outside
 * the monitor (it takes its driver's locks, and nothing of this device is held meanwhile).
 *
 * <h2>Stacked devices</h2>
 * {@link #createStacked} makes a device with no storage and no dispatcher: the device a stacking
 * driver (md's raid1) exports. Every bio submitted to it must be taken by the make-request
 * function the driver installs on its queue ({@link RequestQueue#setMakeRequestFn}), which
 * remaps it onto real devices; the default make-request function refuses it.
 *
 * <h2>Counters</h2>
 * Atomics: reads, writes, sectors of each, errors, completions, and the deepest the queue got.
 */
public final class RamDisk implements AutoCloseable {
    private final String name;
    private final Machine machine;
    private final long nrSectors;
    private final byte[] storage;
    private volatile long serviceNanos;
    private final RequestQueue queue;

    private SplittableRandom random;
    private double errorProbability;
    private ErrorGate errorGate;
    private long[] badFirst = new long[0];
    private long[] badEnd = new long[0];
    private long failFromNanos = Long.MAX_VALUE;

    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong sectorsRead = new AtomicLong();
    private final AtomicLong sectorsWritten = new AtomicLong();
    private final AtomicLong ioErrors = new AtomicLong();
    private final AtomicLong errorsRefused = new AtomicLong();
    private final AtomicLong completions = new AtomicLong();
    private final AtomicLong maxQueued = new AtomicLong();
    private final AtomicLong unreachable = new AtomicLong();
    private volatile boolean closed;

    private RamDisk(Machine machine, String name, long nrSectors, Duration serviceTime, boolean stacked) {
        if (machine == null || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a RAM disk needs a machine and a name");
        }
        if (nrSectors <= 0 || nrSectors * Bio.SECTOR_SIZE > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("RAM disk " + name + ": " + nrSectors + " sectors; need 1 to "
                    + (Integer.MAX_VALUE / Bio.SECTOR_SIZE - 1));
        }
        if (serviceTime.isNegative()) {
            throw new IllegalArgumentException("RAM disk " + name + ": negative service time");
        }
        this.machine = machine;
        this.name = name;
        this.nrSectors = nrSectors;
        this.storage = stacked ? null : new byte[(int) (nrSectors * Bio.SECTOR_SIZE)];
        this.serviceNanos = serviceTime.toNanos();
        this.queue = new RequestQueue(this, machine);
    }

    /**
     * Creates a RAM disk of {@code nrSectors} zeroed sectors and starts its queue's threads.
     * Close it to stop and join them.
     *
     * @param serviceTime how long the dispatcher takes per bio (zero for none)
     */
    public static RamDisk create(Machine machine, String name, long nrSectors, Duration serviceTime) {
        RamDisk d = new RamDisk(machine, name, nrSectors, serviceTime, false);
        d.queue.start();
        return d;
    }

    /**
     * Creates a stacked device of {@code nrSectors} sectors: no storage, no dispatcher or
     * completion thread. Its owner installs a make-request function that remaps every bio (see
     * the class comment); {@link #readRaw}/{@link #writeRaw} and the default make-request
     * function refuse it.
     */
    public static RamDisk createStacked(Machine machine, String name, long nrSectors) {
        return new RamDisk(machine, name, nrSectors, Duration.ZERO, true);
    }

    /** True for a device made by {@link #createStacked}: it has no storage of its own. */
    public boolean isStacked() {
        return storage == null;
    }

    /** {@link #create(Machine, String, long, Duration)} with no service time. */
    public static RamDisk create(Machine machine, String name, long nrSectors) {
        return create(machine, name, nrSectors, Duration.ZERO);
    }

    // -------------------------------------------------------------------------------------
    // Fault injection
    // -------------------------------------------------------------------------------------

    /** Fails each bio with probability {@code probability} in [0, 1], drawn from {@code seed}. */
    public void injectErrors(double probability, long seed) {
        injectErrors(probability, seed, null);
    }

    /**
     * Fails each bio with probability {@code probability} in [0, 1], drawn from {@code seed},
     * if {@code gate} admits the error (null: always). A refused draw leaves the bio to be
     * serviced normally; the stream of draws is the same either way.
     */
    public synchronized void injectErrors(double probability, long seed, ErrorGate gate) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("error probability " + probability + ": must be in [0, 1]");
        }
        this.errorProbability = probability;
        this.random = new SplittableRandom(seed);
        this.errorGate = gate;
    }

    /** Fails every bio touching sectors {@code [first, first + count)}. */
    public synchronized void addBadRange(long first, long count) {
        if (first < 0 || count <= 0 || first + count > nrSectors) {
            throw new IllegalArgumentException("bad range [" + first + ", +" + count + ") is not within the "
                    + nrSectors + " sectors of " + name);
        }
        long[] f = java.util.Arrays.copyOf(badFirst, badFirst.length + 1);
        long[] e = java.util.Arrays.copyOf(badEnd, badEnd.length + 1);
        f[f.length - 1] = first;
        e[e.length - 1] = first + count;
        badFirst = f;
        badEnd = e;
    }

    /** Fails every bio serviced at or after {@code System.nanoTime() >= nanoTime}. */
    public synchronized void failFrom(long nanoTime) {
        this.failFromNanos = nanoTime;
    }

    /**
     * Changes how long the dispatcher takes per bio from the next bio on. A test or a benchmark
     * that verifies its data after the measured part (a final sync of thousands of pages) sets
     * it to zero there, so the check does not take as long as the measurement.
     *
     * @throws IllegalArgumentException if {@code serviceTime} is negative
     */
    public void setServiceTime(Duration serviceTime) {
        if (serviceTime.isNegative()) {
            throw new IllegalArgumentException("RAM disk " + name + ": negative service time");
        }
        serviceNanos = serviceTime.toNanos();
    }

    /** Removes every fault setting. */
    public synchronized void clearFaults() {
        errorProbability = 0;
        random = null;
        errorGate = null;
        badFirst = new long[0];
        badEnd = new long[0];
        failFromNanos = Long.MAX_VALUE;
    }

    /** Whether {@code bio} fails: the scheduled faults, else a random draw its gate admits. */
    private boolean shouldFail(Bio bio, long first, long end) {
        ErrorGate gate;
        synchronized (this) {
            if (System.nanoTime() >= failFromNanos) {
                return true;
            }
            for (int i = 0; i < badFirst.length; i++) {
                if (first < badEnd[i] && badFirst[i] < end) {
                    return true;
                }
            }
            if (random == null || errorProbability <= 0 || random.nextDouble() >= errorProbability) {
                return false;
            }
            gate = errorGate;
        }
        if (gate == null || gate.admit(this, bio)) {
            return true;
        }
        errorsRefused.incrementAndGet();
        return false;
    }

    // -------------------------------------------------------------------------------------
    // Service (dispatcher thread)
    // -------------------------------------------------------------------------------------

    /** Services {@code bio}: decides its fate, moves its data, takes the service time. */
    boolean service(Bio bio) {
        long first = bio.sector;
        int sectors = bio.sectors();
        boolean write = bio.dataDir() == Bio.WRITE;
        boolean ok = !shouldFail(bio, first, first + sectors);
        if (ok) {
            PhysicalMemory mem = machine.memory();
            int pos = (int) (first * Bio.SECTOR_SIZE);
            BioVec v = bio.ioVec;
            long limit = queue.bouncePfn();
            for (int i = bio.idx; i < bio.vcnt; i++) {
                Page p = v.page(i);
                if (p.pfn() >= limit) {
                    unreachable.incrementAndGet();
                }
                int len = v.len(i);
                long addr = p.physAddr() + v.offset(i);
                if (write) {
                    mem.read(addr, storage, pos, len);
                } else {
                    mem.write(addr, storage, pos, len);
                }
                pos += len;
            }
            if (write) {
                writes.incrementAndGet();
                sectorsWritten.addAndGet(sectors);
            } else {
                reads.incrementAndGet();
                sectorsRead.addAndGet(sectors);
            }
        } else {
            ioErrors.incrementAndGet();
        }
        long service = serviceNanos;
        if (service > 0) {
            long deadline = System.nanoTime() + service;
            for (long left = service; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
        }
        return ok;
    }

    void noteQueued(int depth) {
        maxQueued.accumulateAndGet(depth, Math::max);
    }

    void noteCompleted() {
        completions.incrementAndGet();
    }

    // -------------------------------------------------------------------------------------
    // Direct access for tests and tools
    // -------------------------------------------------------------------------------------

    /** Copies sectors {@code [sector, sector + len/512)} of the storage into {@code dst}. */
    public void readRaw(long sector, byte[] dst, int off, int len) {
        checkRange(sector, len);
        System.arraycopy(storage, (int) (sector * Bio.SECTOR_SIZE), dst, off, len);
    }

    /** Copies {@code src} into the storage at {@code sector}, bypassing the queue. */
    public void writeRaw(long sector, byte[] src, int off, int len) {
        checkRange(sector, len);
        System.arraycopy(src, off, storage, (int) (sector * Bio.SECTOR_SIZE), len);
    }

    private void checkRange(long sector, int len) {
        if (storage == null) {
            throw new IllegalStateException(name + " is a stacked device: it has no storage to access");
        }
        if (sector < 0 || len < 0 || sector * Bio.SECTOR_SIZE + len > storage.length) {
            throw new IllegalArgumentException("sector " + sector + ", " + len + " bytes: beyond " + name);
        }
    }

    /** Stops the queue after servicing and completing every pending bio; joins its threads. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            queue.close();
        }
    }

    public String name() {
        return name;
    }

    public Machine machine() {
        return machine;
    }

    /** The device size, in sectors. */
    public long nrSectors() {
        return nrSectors;
    }

    public RequestQueue queue() {
        return queue;
    }

    public long reads() {
        return reads.get();
    }

    public long writes() {
        return writes.get();
    }

    public long sectorsRead() {
        return sectorsRead.get();
    }

    public long sectorsWritten() {
        return sectorsWritten.get();
    }

    /** Bios failed by fault injection. */
    public long ioErrors() {
        return ioErrors.get();
    }

    /** Random errors drawn for a bio and refused by the {@link ErrorGate}: the bio was serviced. */
    public long errorsRefused() {
        return errorsRefused.get();
    }

    /** Bios completed (handed to {@code bio_endio}). */
    public long completions() {
        return completions.get();
    }

    /**
     * Segments serviced whose page lies at or above the queue's bounce limit: memory a real
     * device of that limit could not reach by DMA. Bouncing keeps it 0.
     */
    public long unreachableSegments() {
        return unreachable.get();
    }

    /** The deepest the queue has been. */
    public long maxQueued() {
        return maxQueued.get();
    }

    /** The counters above in one snapshot, for a report; never blocks. */
    public DiskStats stats() {
        return new DiskStats(reads(), writes(), sectorsRead(), sectorsWritten(), ioErrors(), errorsRefused(),
                completions(), unreachableSegments(), maxQueued());
    }

    @Override
    public String toString() {
        return "ramdisk " + name + " (" + nrSectors + " sectors)";
    }
}
