// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.PhysicalMemory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Page-cache writeback through bios: an {@link AddressSpace.Ops} whose {@code writepage} writes
 * page {@code index} of its mapping to sectors {@code [index * 8, index * 8 + 8)} of a device,
 * as the block-device mapping's {@code writepage} of 2.5 does (one page, one bio, one segment).
 * This is the loop the guarantees exist for: reclaim calls {@code writepage} to clean pages,
 * and {@code writepage} must allocate a bio to do it.
 *
 * <p>Allocation is {@code GFP_NOIO}, as the {@code writepage} contract asks. If the bio set cannot
 * supply a bio (only possible on {@link GuaranteeKind#NONE}, or with the machine's OOM policy
 * failing), the writeback fails at once: the page goes back to dirty with {@code PG_error}, as a
 * failed write does, and {@link #allocFailures()} counts it. With an OOM policy that waits, the
 * allocation stalls instead, which the machine's OOM listeners see.
 *
 * <p>Completion ({@link #endIo}) runs in interrupt context: it ends the page's writeback, drops
 * the bio and counts; it allocates nothing. Counters are atomics; {@link #awaitIdle} sleeps on
 * {@code lock}/{@code idle} until every started writeback has ended.
 */
public final class BioWriteback implements AddressSpace.Ops, BioEndIo {
    /** Sectors per page. */
    public static final int SECTORS_PER_PAGE = PhysicalMemory.PAGE_SIZE / Bio.SECTOR_SIZE;

    private final BioSet set;
    private final RamDisk dev;
    private final PageCache pageCache;
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong ioErrors = new AtomicLong();
    private final AtomicLong allocFailures = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();

    public BioWriteback(BioSet set, RamDisk dev) {
        this.set = set;
        this.dev = dev;
        this.pageCache = set.machine().pageCache();
    }

    /**
     * {@code writepage}: allocates a one-segment bio ({@code GFP_NOIO}), points it at the page
     * and submits it; or ends the writeback as failed if no bio can be had or the page lies past
     * the device. Process context, possibly inside reclaim.
     */
    @Override
    public void writepage(Page page) {
        started.incrementAndGet();
        long sector = page.index() * SECTORS_PER_PAGE;
        if (sector < 0 || sector + SECTORS_PER_PAGE > dev.nrSectors()) {
            allocFailures.incrementAndGet();
            finish(page, false);
            return;
        }
        Bio bio = set.bioAlloc(Gfp.GFP_NOIO, 1);
        if (bio == null) {
            allocFailures.incrementAndGet();
            finish(page, false);
            return;
        }
        bio.setSector(sector).setDev(dev).setEndIo(this);
        bio.addPage(page, PhysicalMemory.PAGE_SIZE, 0);
        BlockLayer.submitBio(Bio.WRITE, bio);
    }

    /** {@code end_io} of a writeback bio: interrupt context. */
    @Override
    public int endIo(Bio bio, int nrSectors) {
        boolean ok = bio.testFlag(Bio.BIO_UPTODATE);
        Page page = bio.ioVec().page(0);
        if (ok) {
            completed.incrementAndGet();
        } else {
            ioErrors.incrementAndGet();
        }
        bio.put();
        finish(page, ok);
        return 0;
    }

    private void finish(Page page, boolean ok) {
        pageCache.endPageWriteback(page, ok);
        ended.incrementAndGet();
        lock.lock();
        try {
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every writeback started so far has ended, for at most {@code timeout}.
     *
     * @return true if idle, false on timeout (a stall)
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (ended.get() < started.get()) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@code writepage} calls. */
    public long started() {
        return started.get();
    }

    /** Pages written successfully. */
    public long completed() {
        return completed.get();
    }

    /** Pages whose write failed on the device. */
    public long ioErrors() {
        return ioErrors.get();
    }

    /** Writebacks failed for want of a bio (or a page past the device). */
    public long allocFailures() {
        return allocFailures.get();
    }

    /** The counters above in one snapshot, for a report; never blocks. */
    public WritebackStats stats() {
        return new WritebackStats(started(), completed(), ioErrors(), allocFailures());
    }

    public RamDisk device() {
        return dev;
    }

    public BioSet bioSet() {
        return set;
    }
}
