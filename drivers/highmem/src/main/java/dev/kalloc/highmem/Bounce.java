// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioEndIo;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BioVec;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Elements;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.bio.RequestQueue;
import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.Zone;
import dev.kalloc.slab.SlabAllocator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounce buffers of 2.5.1's {@code mm/highmem.c} (moved to {@code mm/bounce.c} in 2.6): a bio
 * whose pages lie above what its device can reach by DMA is replaced, on its way into the queue,
 * by a copy whose pages come from low memory; writes are copied in before the I/O, reads copied
 * back at completion, and the original completes with the bounce bio's status.
 *
 * <p>Usage, as a driver (or the workload) sets it up:
 * <pre>{@code
 * Highmem hm = Highmem.boot(machine);
 * Bounce bounce = Bounce.init(hm, GuaranteeKind.MEMPOOL_2_5_1.create(machine), slab); // slab: SlabAllocator
 * bounce.blkQueueBounceLimit(disk.queue(), bounce.bounceHigh());  // or bounceIsa(), or an address
 * BlockLayer.submitBio(Bio.WRITE, bio);                            // bounced transparently if needed
 * long bounced = bounce.pagesBounced();
 * ...
 * bounce.destroy();                                                // at a quiescent point
 * }</pre>
 *
 * <h2>Pools</h2>
 * {@code page_pool} ({@link #POOL_SIZE} pages) is created by {@link #init} only if the machine
 * has highmem ({@code init_emergency_pool}); {@code isa_page_pool} ({@link #ISA_POOL_SIZE} pages)
 * on the first queue given an ISA limit ({@code init_emergency_isa_pool}, idempotent). Both are
 * {@link ElementSource}s of the chosen {@link Guarantee}, described to it as that many order-0
 * pages ({@code alloc_page}/{@code __free_page}); the guarantee sizes itself from that (a pool of
 * as many pages, or a reservation of as many pages). Which zone a page comes from is the queue's
 * {@code bounce_gfp} ({@code GFP_NOHIGHIO}, or {@code GFP_NOIO | GFP_DMA}). The ISA pool's pages
 * are described as ZONE_DMA pages, so that {@code __GFP_DMA} is ORed into every allocation of its
 * own (later 2.5's {@code pool_data}): its reserve is ZONE_DMA pages, and a reservation behind it
 * is taken against ZONE_DMA: a reserve an ISA device cannot reach would be no reserve.
 *
 * <h2>The bounce bio set</h2>
 * {@link #init(Highmem, Guarantee, SlabAllocator)} gives the bounce bios a private bio set on the
 * same guarantee (as later kernels' {@code bounce_bio_set}): if they came from the original's set,
 * every in-flight slot of that set (a reservation's hard limit, or an exhausted mempool) could be
 * held by originals waiting for their bounce bio, and none would ever be queued to give one
 * back. {@link #init(Highmem, Guarantee)} keeps 2.5.1's way, the original's own set, with that
 * limit.
 *
 * <h2>Path (create_bounce)</h2>
 * <ol>
 *   <li>A bio with no page at or above the queue's {@code bounce_pfn} is queued unchanged.</li>
 *   <li>Otherwise a bio of the same vector size is allocated from the private bounce set, or
 *       without one from the original's set ({@code GFP_NOHIGHIO}, or {@code GFP_NOIO} for ISA, as 2.5.1's {@code bio_gfp}); each
 *       segment above the limit gets a pool page with the same offset and length, each other
 *       segment keeps the original page; for a WRITE the data is copied in through
 *       {@link Highmem#kmap} of the original page. A bio takes all its pool pages before the next
 *       bio on the same pool takes any (see {@code fillSegments}), and one that needs more pages
 *       than the pool holds is refused: either could otherwise wait forever on a pool that is
 *       its only source.</li>
 *   <li>The bounce bio carries the original's device, sector and direction, and the original in
 *       {@code bi_private}; it is queued in the original's place.</li>
 *   <li>At completion (interrupt context): for a successful READ, each bounced segment is copied
 *       back through {@link Highmem#kmapAtomic} with {@link KmType#KM_BOUNCE_READ}; the pool pages
 *       are freed; the original completes with the bounce bio's status and sector count, and the
 *       bounce bio is put.</li>
 * </ol>
 *
 * <h2>Deliberate differences from 2.5.1</h2>
 * <ul>
 *   <li>Unbounced segments take their offset from the original ({@code from->bv_offset}); 2.5.1's
 *       {@code to->bv_offset = to->bv_offset} typo left them at 0.</li>
 *   <li>The bounce pages are freed on error too; 2.5.1 jumped past the frees when the bounce bio
 *       was not up to date, leaking them.</li>
 *   <li>On a guarantee that may fail (none, or a reservation at its limits) a bounce page or the
 *       bounce bio may be refused; then everything taken so far is given back and the original
 *       completes at once with an I/O error ({@code bio_io_error}), in the submitter's context.
 *       2.5.1's mempool never failed a {@code GFP_NOIO} allocation, so it had no such path.</li>
 *   <li>2.5.1 took a bio's pool pages one by one with no lock, so two bios could each hold part of
 *       a pool and wait for the rest: a deadlock as soon as the pool is the only source (always
 *       on a reservation's in-flight limit, under memory pressure on a mempool). Here the pages of
 *       one bio are taken under a per-pool FIFO lock, and a bio needing more bounce pages than
 *       the pool holds ({@link #POOL_SIZE}, {@link #ISA_POOL_SIZE}) is refused with an
 *       exception at submission.</li>
 *   <li>Whether a limit is "ISA" follows 2.5.3 (Manfred Spraul's fix): any limit below the end of
 *       low memory bounces into ZONE_DMA, and a limit below ZONE_DMA's end is refused (the
 *       kernel's {@code BUG_ON(dma_addr < BLK_BOUNCE_ISA)}). 2.5.1 tested
 *       {@code dma_addr == BLK_BOUNCE_ISA}. {@code BLK_BOUNCE_ISA} is the machine's ZONE_DMA
 *       limit (16 MiB on an i386-sized machine).</li>
 * </ul>
 *
 * <h2>Concurrency</h2>
 * Any number of submitters and completion threads at once: the pools are thread-safe sources, the
 * counters atomics, the pool creation synchronized on this object and published through
 * volatile fields. {@code allocLock}/{@code isaAllocLock} (fair) are held by one submitter while
 * it takes one bio's pages from that pool, and may be held across a sleep in the pool; under
 * them only the pool's and the page allocator's own locks are taken (the copy-in's {@code kmap}
 * comes after the release). Completions, which free the pages, never take them. A bounce bio belongs to the block layer from queueing to completion.
 */
public final class Bounce {
    /** {@code POOL_SIZE}: pages of the highmem bounce pool. */
    public static final int POOL_SIZE = 64;
    /** {@code ISA_POOL_SIZE}: pages of the ISA (ZONE_DMA) bounce pool. */
    public static final int ISA_POOL_SIZE = 16;

    private final Highmem highmem;
    private final Machine machine;
    private final Guarantee guarantee;
    /** The private set bounce bios come from; null: the original's own set (2.5.1). */
    private final BioSet bioSet;
    private volatile ElementSource<Page> pagePool;
    private volatile ElementSource<Page> isaPagePool;
    private final ReentrantLock allocLock = new ReentrantLock(true);
    private final ReentrantLock isaAllocLock = new ReentrantLock(true);
    private boolean destroyed;

    private final BioEndIo endIoWrite = (b, n) -> bounceEndIo(b, n, pagePool, false);
    private final BioEndIo endIoRead = (b, n) -> bounceEndIo(b, n, pagePool, true);
    private final BioEndIo endIoWriteIsa = (b, n) -> bounceEndIo(b, n, isaPagePool, false);
    private final BioEndIo endIoReadIsa = (b, n) -> bounceEndIo(b, n, isaPagePool, true);

    private final AtomicLong biosBounced = new AtomicLong();
    private final AtomicLong pagesBounced = new AtomicLong();
    private final AtomicLong pagesCopiedBack = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    private Bounce(Highmem highmem, Guarantee guarantee, BioSet bioSet) {
        this.highmem = highmem;
        this.machine = highmem.machine();
        this.guarantee = guarantee;
        this.bioSet = bioSet;
    }

    /**
     * {@code init_emergency_pool}: bounce buffering for {@code highmem}'s machine on
     * {@code guarantee}; creates the highmem bounce pool if the machine has highmem. Process
     * context; may sleep (a pool prefills, a reservation may wait for admission).
     *
     * @throws IllegalStateException if the guarantee cannot set the pool up (nothing is left behind)
     */
    public static Bounce init(Highmem highmem, Guarantee guarantee) {
        if (highmem == null || guarantee == null) {
            throw new IllegalArgumentException("bounce buffers need a Highmem and a guarantee");
        }
        Bounce b = new Bounce(highmem, guarantee, null);
        if (highmem.hasHighmem()) {
            b.pagePool = b.newPool("bounce", POOL_SIZE, 0);
        }
        return b;
    }

    /**
     * As {@link #init(Highmem, Guarantee)}, with the bounce bios taken from a private bio set
     * ({@code "bounce-bio"}, up to {@link BioSet#BIO_MAX_PAGES} segments, on {@code guarantee},
     * its caches in {@code slab}), so that originals holding every in-flight slot of their own
     * set cannot starve their bounce bios. Process context; may sleep.
     *
     * @throws IllegalArgumentException for a missing argument, or a slab allocator of another
     *         machine (nothing is made)
     * @throws IllegalStateException if the guarantee cannot set the set or the pool up (nothing
     *         is left behind)
     */
    public static Bounce init(Highmem highmem, Guarantee guarantee, SlabAllocator slab) {
        if (highmem == null || guarantee == null || slab == null) {
            throw new IllegalArgumentException("bounce buffers need a Highmem, a guarantee and a slab allocator");
        }
        if (slab.machine() != highmem.machine()) {
            throw new IllegalArgumentException("slab allocator of " + slab.machine() + ", highmem of "
                    + highmem.machine());
        }
        BioSet set = BioSet.builder(slab, guarantee).name("bounce-bio").create();
        try {
            Bounce b = new Bounce(highmem, guarantee, set);
            if (highmem.hasHighmem()) {
                b.pagePool = b.newPool("bounce", POOL_SIZE, 0);
            }
            return b;
        } catch (RuntimeException | Error e) {
            set.destroy();
            throw e;
        }
    }

    /**
     * A pool of {@code pages} pages over {@code page_pool_alloc}/{@code page_pool_free}: that
     * many order-0 pages from the zones {@code poolData} selects, the later-2.5 {@code pool_data}
     * ({@code __GFP_DMA} for the ISA pool). The guarantee ORs it into every mask it allocates
     * with, the prefill's {@code GFP_KERNEL} included, so that the reserve itself lies in ZONE_DMA
     * (with a bare {@code alloc_page} the prefill took ZONE_NORMAL pages, which an ISA device
     * cannot reach, and a bounce served from the reserve went to the device above its limit),
     * and a reservation is taken against the same zones.
     */
    private ElementSource<Page> newPool(String name, int pages, int poolData) {
        return guarantee.source(name, Elements.pages(machine, pages, 0, poolData));
    }

    /** {@code init_emergency_isa_pool}: creates the ISA pool once, in ZONE_DMA. May sleep. */
    private synchronized void initEmergencyIsaPool() {
        checkAlive();
        if (isaPagePool == null) {
            isaPagePool = newPool("bounce-isa", ISA_POOL_SIZE, Gfp.__GFP_DMA);
        }
    }

    // -------------------------------------------------------------------------------------
    // Queue setup
    // -------------------------------------------------------------------------------------

    /** {@code BLK_BOUNCE_HIGH}: the end of low memory; only highmem pages are bounced. */
    public long bounceHigh() {
        return highmem.lowmemEnd();
    }

    /** {@code BLK_BOUNCE_ISA}: the end of ZONE_DMA (16 MiB on i386-sized machines). */
    public long bounceIsa() {
        Zone dma = machine.zone(Zone.ZONE_DMA);
        if (dma == null) {
            throw new IllegalStateException(machine + " has no ZONE_DMA: there is no ISA bounce limit");
        }
        return machine.config().dmaLimit();
    }

    /**
     * {@code blk_queue_bounce_limit(q, dmaAddr)}: the device of {@code q} reaches physical
     * addresses below {@code dmaAddr} ({@link RequestQueue#BOUNCE_ANY} for all); pages at or above
     * it are bounced from now on, transparently, by {@code q}'s enqueue. A limit below the end of
     * low memory bounces into ZONE_DMA and creates the ISA pool on first use. Process context;
     * may sleep (pool creation).
     *
     * @throws IllegalArgumentException if {@code dmaAddr} is not positive, or is below the end of
     *         ZONE_DMA (or the machine has no ZONE_DMA) while below the end of low memory: no zone
     *         could supply reachable bounce pages (nothing changes)
     */
    public void blkQueueBounceLimit(RequestQueue q, long dmaAddr) {
        checkAlive();
        if (q == null || dmaAddr <= 0) {
            throw new IllegalArgumentException("blk_queue_bounce_limit(" + q + ", " + dmaAddr + "): need a queue and a"
                    + " positive limit");
        }
        if (q.disk().machine() != machine) {
            throw new IllegalArgumentException("queue of " + q.disk().name() + " is not on " + machine);
        }
        int gfp = Gfp.GFP_NOHIGHIO;
        if (dmaAddr != RequestQueue.BOUNCE_ANY && dmaAddr < highmem.lowmemEnd()) {
            Zone dma = machine.zone(Zone.ZONE_DMA);
            if (dma == null || dmaAddr < machine.config().dmaLimit()) {
                throw new IllegalArgumentException(String.format("blk_queue_bounce_limit: a device limited to 0x%x"
                        + " cannot be served: ZONE_DMA %s", dmaAddr, dma == null ? "is empty"
                        : String.format("ends at 0x%x, above the limit", machine.config().dmaLimit())));
            }
            initEmergencyIsaPool();
            gfp = Gfp.GFP_NOIO | Gfp.GFP_DMA;
        }
        q.setBounce(dmaAddr, gfp, this::blkQueueBounce); // limit, mask and function in one publication
    }

    /**
     * {@code blk_queue_bounce(q, &bio)}, the queue's {@link dev.kalloc.bio.BounceFn}: the limit
     * and the mask come from the queue's one snapshot of its set-up, never re-read from {@code q}
     * (a concurrent {@link #blkQueueBounceLimit} could pair one limit with another's mask).
     */
    private Bio blkQueueBounce(RequestQueue q, Bio bio, long pfn, int gfp) {
        if (pfn >= machine.nrPages()) {
            return bio; // the device reaches all of RAM
        }
        return createBounce(pfn, gfp, bio);
    }

    // -------------------------------------------------------------------------------------
    // create_bounce
    // -------------------------------------------------------------------------------------

    /**
     * {@code create_bounce(pfn, gfp, &bio)}: the bio to queue in place of {@code orig}.
     *
     * <p>Context: process context; may sleep as {@code gfp} allows (pool pages, the bounce bio,
     * {@code kmap} of the original pages for a write).
     *
     * @return {@code orig} if no page is at or above {@code pfn}; the bounce bio otherwise; null if
     *         the guarantee refused memory, in which case {@code orig} has been completed with an
     *         I/O error and nothing is held
     * @throws KernelBug if {@code orig} has been partly processed ({@code bi_idx != 0}) (nothing
     *         changes)
     * @throws IllegalArgumentException if more segments than the pool's pages need bouncing
     *         (nothing changes; split the bio)
     */
    public Bio createBounce(long pfn, int gfp, Bio orig) {
        if (orig.idx() != 0) {
            throw new KernelBug("create_bounce: " + orig + " has bi_idx " + orig.idx() + ", not 0");
        }
        BioVec from = orig.ioVec();
        int vcnt = orig.vcnt();
        int needed = countAbove(from, vcnt, pfn);
        if (needed == 0) {
            return orig;
        }
        boolean isa = (gfp & Gfp.__GFP_DMA) != 0;
        ElementSource<Page> pool = isa ? isaPagePool : pagePool;
        if (pool == null) {
            throw new IllegalStateException("create_bounce: " + orig + " needs a " + (isa ? "bounce-isa" : "bounce")
                    + " pool, which " + (isa ? "no ISA limit created" : "a machine without highmem does not have"));
        }
        int poolSize = isa ? ISA_POOL_SIZE : POOL_SIZE;
        if (needed > poolSize) {
            throw new IllegalArgumentException("create_bounce: " + orig + " has " + needed + " segments above the"
                    + " device's limit but the " + pool.name() + " pool holds " + poolSize + " pages; split the bio");
        }
        BioSet bioFrom = bioSet != null ? bioSet : orig.set();
        Bio bio = bioFrom.bioAlloc(isa ? Gfp.GFP_NOIO : Gfp.GFP_NOHIGHIO, vcnt);
        if (bio == null) {
            return fail(orig, null, null);
        }
        if (!fillSegments(bio, orig, pfn, gfp, pool, isa ? isaAllocLock : allocLock)) {
            return fail(orig, bio, pool);
        }
        boolean write = orig.dataDir() == Bio.WRITE;
        if (write) {
            copyIn(orig, bio);
        }
        bio.setSector(orig.sector()).setDev(orig.dev()).setRw(orig.dataDir()).setPrivate(orig);
        bio.setEndIo(write ? (isa ? endIoWriteIsa : endIoWrite) : (isa ? endIoReadIsa : endIoRead));
        biosBounced.incrementAndGet();
        pagesBounced.addAndGet(needed);
        return bio;
    }

    /**
     * Gives {@code bio} the segments of {@code orig}: a pool page for each one at or above
     * {@code pfn}, the original page otherwise. One bio at a time per pool takes its pages
     * ({@code lock}, FIFO): a bio waiting for the pool then holds the only partial set, and every
     * other set it waits for is complete and in flight, so its completion frees pages. Without the
     * lock two bios could each hold part of the pool and wait for the rest forever.
     *
     * @return false if the pool refused a page (the pages taken so far stay in {@code bio})
     */
    private static boolean fillSegments(Bio bio, Bio orig, long pfn, int gfp, ElementSource<Page> pool,
            ReentrantLock lock) {
        BioVec from = orig.ioVec();
        lock.lock();
        try {
            for (int i = 0; i < orig.vcnt(); i++) {
                Page page = from.page(i);
                if (page.pfn() < pfn) {
                    bio.addPage(page, from.len(i), from.offset(i));
                    continue;
                }
                Page to = pool.alloc(gfp);
                if (to == null) {
                    return false;
                }
                bio.addPage(to, from.len(i), from.offset(i));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The copy of a WRITE into the bounce pages, through {@code kmap} of each original page. */
    private void copyIn(Bio orig, Bio bio) {
        BioVec from = orig.ioVec();
        BioVec to = bio.ioVec();
        for (int i = 0; i < orig.vcnt(); i++) {
            Page page = from.page(i);
            if (to.page(i) == page) {
                continue;
            }
            int off = from.offset(i);
            long vfrom = highmem.kmap(page);
            try {
                highmem.copy(vfrom + off, highmem.pageAddress(to.page(i)) + off, from.len(i));
            } finally {
                highmem.kunmap(page);
            }
        }
    }

    private static int countAbove(BioVec vec, int vcnt, long pfn) {
        int n = 0;
        for (int i = 0; i < vcnt; i++) {
            if (vec.page(i).pfn() >= pfn) {
                n++;
            }
        }
        return n;
    }

    /** Gives back what a failed bounce took and fails {@code orig}; returns null for the queue. */
    private Bio fail(Bio orig, Bio bio, ElementSource<Page> pool) {
        if (bio != null) {
            freeBouncePages(bio, orig, pool);
            bio.put();
        }
        failures.incrementAndGet();
        orig.set().bioIoError(orig);
        return null;
    }

    private static void freeBouncePages(Bio bio, Bio orig, ElementSource<Page> pool) {
        BioVec to = bio.ioVec();
        BioVec from = orig.ioVec();
        for (int i = 0; i < bio.vcnt(); i++) {
            if (to.page(i) != from.page(i)) {
                pool.free(to.page(i));
            }
        }
    }

    // -------------------------------------------------------------------------------------
    // Completion (interrupt context)
    // -------------------------------------------------------------------------------------

    /**
     * {@code bounce_end_io_{read,write}[_isa]} and {@code bounce_end_io}: copy a read back,
     * free the bounce pages, complete the original, put the bounce bio. Interrupt context:
     * nothing here sleeps.
     *
     * <p>The bounce bio is put in a {@code finally}: the original's end-io handler is the
     * submitter's code and may throw (the queue catches and counts it); the bounce bio is ours,
     * and without the {@code finally} it would never go back to its set, holding a vector and,
     * on a reservation, one of the set's in-flight slots for good. The pool pages are freed
     * before the handler runs for the same reason.
     */
    private int bounceEndIo(Bio bio, int nrSectors, ElementSource<Page> pool, boolean read) {
        Bio orig = (Bio) bio.privateData();
        boolean ok = bio.testFlag(Bio.BIO_UPTODATE);
        try {
            try {
                if (read && ok) {
                    copyToHighBioIrq(orig, bio);
                }
            } finally {
                freeBouncePages(bio, orig, pool);
            }
            return orig.set().bioEndio(orig, ok, nrSectors);
        } finally {
            bio.put();
        }
    }

    /** {@code copy_to_high_bio_irq(to, from)}: bounced segments back into the original pages. */
    private void copyToHighBioIrq(Bio orig, Bio bounce) {
        BioVec to = orig.ioVec();
        BioVec from = bounce.ioVec();
        for (int i = 0; i < orig.vcnt(); i++) {
            Page page = to.page(i);
            Page bouncePage = from.page(i);
            if (page == bouncePage) {
                continue;
            }
            int off = to.offset(i);
            long vto = highmem.kmapAtomic(page, KmType.KM_BOUNCE_READ);
            try {
                highmem.copy(highmem.pageAddress(bouncePage) + off, vto + off, to.len(i));
            } finally {
                highmem.kunmapAtomic(vto, KmType.KM_BOUNCE_READ);
            }
            pagesCopiedBack.incrementAndGet();
        }
    }

    // -------------------------------------------------------------------------------------
    // Teardown, views
    // -------------------------------------------------------------------------------------

    /**
     * Destroys the pools and the private bounce bio set. Call at a quiescent point, after the
     * queues using this object are closed or given another limit.
     *
     * @throws IllegalStateException or {@link KernelBug} if bounce pages or bounce bios are still
     *         out (the pools and the set are left as they were)
     */
    public synchronized void destroy() {
        checkAlive();
        ElementSource<Page> p = pagePool;
        ElementSource<Page> isa = isaPagePool;
        long out = (p == null ? 0 : p.outstanding()) + (isa == null ? 0 : isa.outstanding());
        if (out != 0) {
            throw new IllegalStateException("bounce: " + out + " bounce pages are still out; complete the I/O first");
        }
        if (bioSet != null && bioSet.inUse() != 0) {
            throw new IllegalStateException("bounce: " + bioSet.inUse() + " bounce bios are still out; complete the"
                    + " I/O first");
        }
        if (p != null) {
            p.destroy();
        }
        if (isa != null) {
            isa.destroy();
        }
        if (bioSet != null) {
            bioSet.destroy();
        }
        destroyed = true;
    }

    private synchronized void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("bounce buffers of " + machine + " have been destroyed");
        }
    }

    public Highmem highmem() {
        return highmem;
    }

    public Guarantee guarantee() {
        return guarantee;
    }

    /** The private bounce bio set, or null when bounce bios come from the original's set. */
    public BioSet bioSet() {
        return bioSet;
    }

    /** {@code page_pool}, or null on a machine without highmem. */
    public ElementSource<Page> pagePool() {
        return pagePool;
    }

    /** {@code isa_page_pool}, or null until a queue is given an ISA limit. */
    public ElementSource<Page> isaPagePool() {
        return isaPagePool;
    }

    /** Bios replaced by a bounce bio. */
    public long biosBounced() {
        return biosBounced.get();
    }

    /** Segments given a bounce page. */
    public long pagesBounced() {
        return pagesBounced.get();
    }

    /** Segments of successful reads copied back into highmem (or above-limit) pages. */
    public long pagesCopiedBack() {
        return pagesCopiedBack.get();
    }

    /** Bios failed because the guarantee refused a bounce page or the bounce bio. */
    public long failures() {
        return failures.get();
    }

    /** Bounce pages out now, both pools. */
    public long pagesInUse() {
        ElementSource<Page> p = pagePool;
        ElementSource<Page> isa = isaPagePool;
        return (p == null ? 0 : p.outstanding()) + (isa == null ? 0 : isa.outstanding());
    }

    /** The counters above in one snapshot, for a report; never blocks. */
    public BounceStats stats() {
        return new BounceStats(biosBounced(), pagesBounced(), pagesCopiedBack(), failures(), pagesInUse());
    }

    @Override
    public String toString() {
        return "bounce[" + guarantee + ", pool " + (pagePool != null) + ", isa pool " + (isaPagePool != null) + "]";
    }
}
