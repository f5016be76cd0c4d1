// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Elements;
import dev.kalloc.bio.Guarantee;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;

/**
 * The two pools of Linux 2.5.1's raid1.c and their allocate/free functions: the four
 * allocators behind one request that Ingo Molnar cited for mempool ("raid1.c uses 4
 * allocators").
 *
 * <ul>
 *   <li>{@code r1bio_pool} ({@code nrR1Bios} + {@link #NR_RESYNC_BUFS} elements, by default
 *       {@link #NR_RAID1_BIOS} + 32, created with the array): each
 *       element is an {@link R1Bio} from the typed {@code <md>-r1bio} slab cache plus one bio per
 *       mirror slot from the array's {@link BioSet} ({@code r1bio_pool_alloc}). If any part
 *       cannot be had, the parts taken go back and the allocation fails as a whole.</li>
 *   <li>{@code r1buf_pool} ({@link #NR_RESYNC_BUFS} elements, created at resync start and
 *       destroyed at its end): each element is an r1bio taken from {@code r1bio_pool} itself, a bio
 *       of {@link #RESYNC_PAGES} segments and that many pages, added whole
 *       ({@code r1buf_pool_alloc}).</li>
 * </ul>
 * Both come from the array's {@link Guarantee}: a mempool as 2.5.1 has, a reservation sized for
 * the pool's worst case, or the bare allocators. Each is described to it by what its allocator
 * takes directly from memory: an {@code r1bio_pool} element is one object of the r1bio cache
 * (its bios are guaranteed by the bio set, sized for them), an {@code r1buf_pool} element
 * {@link #RESYNC_PAGES} pages (its r1bio and bio come from the two guaranteed sources above).
 *
 * <h2>Differences from 2.5.1</h2>
 * The kernel's {@code r1bio_pool_alloc} was a kmalloc of the r1bio alone, and {@code make_request}
 * called {@code bio_clone} for every mirror, one more allocation that could sleep per mirror per
 * request. Here the bios are part of the element, as the issue asks: one guaranteed allocation
 * gives a request everything it needs, and the bio pool is never touched in the I/O path. The
 * cost is memory: {@code NR_RAID1_BIOS * nrSlots} bios held idle by a full pool. The r1bio is a
 * typed slab object instead of kmalloc'ed bytes, so a warm pool allocates no garbage.
 *
 * <p>{@code r1bio_pool} holds {@link #NR_RESYNC_BUFS} elements more than the {@code nrR1Bios}
 * guaranteed to requests (2.5.1: 256 in all). {@code r1buf_pool}'s elements each keep an r1bio of
 * this pool for the whole resync; 2.5.1's 256 left 224 to requests, but a smaller pool (the
 * builder accepts any size from 1) could be emptied by the resync buffers under memory
 * pressure: a request admitted by the resync window would then wait for an r1bio the resync
 * gives back only at its end, while the resync waits for that request to drain: a deadlock. With
 * the 32 on top, the buffers can never take the requests' share, on every guarantee (a mempool's
 * reserve, a reservation's in-flight limit).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>An element is whole (the r1bio and a bio per slot; a resync buffer also its bio and
 *       {@link #RESYNC_PAGES} pages) or not handed out at all.</li>
 *   <li>For the whole of a resync, resync buffers keep at most {@link #NR_RESYNC_BUFS} r1bios
 *       of the pool (the r1buf pool's reserve), so {@code nrR1Bios} stay for requests. A buffer
 *       built beyond that reserve (a mempool tries its allocator before its reserve) gives its
 *       r1bio back when its chunk is written, which waits for no request.</li>
 * </ul>
 */
final class R1BioPools {
    /** {@code NR_RAID1_BIOS}: guaranteed r1bios in case of extreme VM load. */
    static final int NR_RAID1_BIOS = 256;
    /** {@code RESYNC_BLOCK_SIZE}: 64 KiB, one resync chunk. */
    static final int RESYNC_BLOCK_SIZE = 64 * 1024;
    /** {@code RESYNC_SECTORS}: sectors per resync chunk. */
    static final int RESYNC_SECTORS = RESYNC_BLOCK_SIZE / Bio.SECTOR_SIZE;
    /** {@code RESYNC_PAGES}: pages per resync buffer. */
    static final int RESYNC_PAGES = (RESYNC_BLOCK_SIZE + PhysicalMemory.PAGE_SIZE - 1) / PhysicalMemory.PAGE_SIZE;
    /** {@code RESYNC_WINDOW / RESYNC_BLOCK_SIZE}: 2 MiB of resync buffers, 32 of them. */
    static final int NR_RESYNC_BUFS = 2 * 1024 * 1024 / RESYNC_BLOCK_SIZE;

    private final String name;
    private final Machine machine;
    private final Guarantee guarantee;
    private final int nrSlots;
    private final BioSet bioSet;
    private final KmemCache<R1Bio> r1bioCache;
    private final ElementSource<R1Bio> r1bioPool;

    /**
     * Creates the {@code r1bio} cache, the array's bio set and {@code r1bio_pool} of
     * {@code nrR1Bios} elements. Process context; may sleep (prefill, admission).
     *
     * @throws IllegalStateException if the guarantee cannot be set up; nothing is left behind
     */
    R1BioPools(SlabAllocator slab, Guarantee guarantee, String name, int nrSlots, int nrR1Bios) {
        this.name = name;
        this.machine = slab.machine();
        this.guarantee = guarantee;
        this.nrSlots = nrSlots;
        // The resync buffers keep NR_RESYNC_BUFS r1bios of this pool for the whole resync; the
        // pool holds them on top of the nrR1Bios that normal requests are guaranteed.
        int poolSize = nrR1Bios + NR_RESYNC_BUFS;
        int inFlightBios = poolSize * nrSlots + NR_RESYNC_BUFS;
        this.bioSet = BioSet.builder(slab, guarantee).name(name).maxVecs(RESYNC_PAGES).inFlight(inFlightBios).create();
        try {
            this.r1bioCache = slab.kmemCacheCreate(name + "-r1bio", R1Bio.SIZEOF_R1BIO, 0,
                    SlabFlags.SLAB_HWCACHE_ALIGN, null, null, s -> new R1Bio(s, nrSlots));
        } catch (RuntimeException e) {
            bioSet.destroy();
            throw e;
        }
        try {
            this.r1bioPool = guarantee.source(name + "-r1bio", Elements.slabObjects(r1bioCache, poolSize)
                    .allocatedBy(this::r1bioPoolAlloc, this::r1bioPoolFree));
        } catch (RuntimeException e) {
            r1bioCache.destroy();
            bioSet.destroy();
            throw e;
        }
    }

    /**
     * {@code r1bio_pool_alloc}, stacked: the r1bio, then one bio without a vector per slot, all
     * with {@code gfp}. Null if any part fails, with the parts taken given back.
     */
    private R1Bio r1bioPoolAlloc(int gfp) {
        R1Bio r1 = r1bioCache.allocObject(gfp);
        if (r1 == null) {
            return null;
        }
        for (int i = 0; i < nrSlots; i++) {
            Bio b = bioSet.bioAlloc(gfp, 0);
            if (b == null) {
                putBios(r1, i);
                r1bioCache.freeObject(r1);
                return null;
            }
            r1.bios[i] = b;
        }
        return r1;
    }

    private void r1bioPoolFree(R1Bio r1) {
        putBios(r1, nrSlots);
        r1bioCache.freeObject(r1);
    }

    private static void putBios(R1Bio r1, int n) {
        for (int i = 0; i < n; i++) {
            r1.bios[i].put();
            r1.bios[i] = null;
        }
    }

    /**
     * {@code mempool_create(NR_RESYNC_BUFS, r1buf_pool_alloc, r1buf_pool_free, conf)}: the resync
     * buffers of one resync. Process context; may sleep.
     *
     * @throws IllegalStateException if the guarantee cannot be set up (nothing left behind)
     */
    ElementSource<R1Bio> createR1bufPool() {
        return guarantee.source(name + "-r1buf", Elements.pages(machine, NR_RESYNC_BUFS, 0)
                .allocatedBy(this::r1bufPoolAlloc, this::r1bufPoolFree).perElement(RESYNC_PAGES));
    }

    /**
     * {@code r1buf_pool_alloc}: an r1bio from {@code r1bio_pool} (2.5.1 did not check it for
     * NULL; here a failure fails the element), a bio of {@link #RESYNC_PAGES} segments, and a
     * full page for each.
     */
    private R1Bio r1bufPoolAlloc(int gfp) {
        R1Bio r1 = r1bioPool.alloc(gfp);
        if (r1 == null) {
            return null;
        }
        Bio bio = bioSet.bioAlloc(gfp, RESYNC_PAGES);
        if (bio == null) {
            r1bioPool.free(r1);
            return null;
        }
        for (int i = 0; i < RESYNC_PAGES; i++) {
            Page p = machine.pageAlloc().allocPage(gfp);
            if (p == null) {
                freeBufPages(bio);
                bio.put();
                r1bioPool.free(r1);
                return null;
            }
            bio.addPage(p, PhysicalMemory.PAGE_SIZE, 0);
        }
        r1.buf = bio;
        return r1;
    }

    /** {@code r1buf_pool_free}: the pages, the bio, and the r1bio back to its pool. */
    private void r1bufPoolFree(R1Bio r1) {
        Bio bio = r1.buf;
        if (bio.refCount() != 1) {
            throw new IllegalStateException("r1buf_pool_free: " + bio + " is still referenced elsewhere");
        }
        freeBufPages(bio);
        r1.buf = null;
        bio.put();
        r1bioPool.free(r1);
    }

    private void freeBufPages(Bio bio) {
        for (int i = 0; i < bio.vcnt(); i++) {
            machine.pageAlloc().freePage(bio.ioVec().page(i));
        }
    }

    ElementSource<R1Bio> r1bioPool() {
        return r1bioPool;
    }

    BioSet bioSet() {
        return bioSet;
    }

    KmemCache<R1Bio> r1bioCache() {
        return r1bioCache;
    }

    /**
     * Destroys {@code r1bio_pool}, the cache and the bio set.
     *
     * @throws IllegalStateException if r1bios are still out (nothing changes)
     */
    void destroy() {
        if (r1bioPool.outstanding() != 0) {
            throw new IllegalStateException("r1bio pool of " + name + ": " + r1bioPool.outstanding()
                    + " r1bios are still in use");
        }
        r1bioPool.destroy();
        r1bioCache.destroy();
        bioSet.destroy();
    }
}
