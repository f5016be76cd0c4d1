// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Machine;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The bio allocator of {@code fs/bio.c} at Linux 2.5.1: the {@code bio} slab cache and its pool,
 * the six {@code biovec-N} caches and their pools, {@code bio_alloc}, {@code bio_put} (with
 * {@code bio_destructor}), {@code bio_clone} and {@code bio_endio}.
 *
 * <p>2.5.1 has one such set per kernel, with its pools as globals; here a set is an object, made
 * per machine (or per driver) with a {@link Guarantee}, so the same code runs on a mempool, on a
 * reservation, or on nothing. Every set's bios and vectors are typed objects of its own slab
 * caches: after warm-up, allocating and freeing a bio costs no garbage.
 *
 * <h2>Sizes</h2>
 * Vector classes {1, 4, 16, 64, 128, 256} ({@code bvec_pool_sizes}); {@code bio_alloc} takes the
 * smallest that holds {@code nr_vecs} and records its index in {@code bi_max}. A set may be made
 * for at most {@code maxVecs} segments per bio (then only the classes up to it exist), so that a
 * driver that never needs more (page writeback: 1) reserves nothing for the large classes. Pool
 * sizes follow the later 2.5 scaling by memory ({@code pool_entries = min(2 * MiB, 256)},
 * halved for classes at or above the memory's scale index), unless set explicitly: the 2.5.1 size
 * of 256 entries per pool would not fit the tiny machines tests boot.
 *
 * <h2>Concurrency</h2>
 * Every method may be called from any thread; the sources and the slab caches have their own
 * locks. Counters are atomics. A bio's own fields follow {@link Bio}'s ownership rules.
 */
public final class BioSet {
    /** {@code BIO_POOL_SIZE} of 2.5.1. */
    public static final int BIO_POOL_SIZE = 256;
    /** {@code BIOVEC_NR_POOLS}. */
    public static final int BIOVEC_NR_POOLS = 6;
    /** {@code BIO_MAX_PAGES}. */
    public static final int BIO_MAX_PAGES = 256;
    /** {@code BIO_MAX_SECTORS}. */
    public static final int BIO_MAX_SECTORS = 128;
    /** {@code sizeof(struct bio_vec)} on i386. */
    public static final int SIZEOF_BIO_VEC = 12;
    private static final int[] BVEC_POOL_SIZES = {1, 4, 16, 64, 128, 256};

    private final String name;
    private final Machine machine;
    private final Guarantee guarantee;
    private final int maxVecs;
    private final int poolEntries;
    private final KmemCache<Bio> bioCache;
    private final ElementSource<Bio> bioSource;
    private final KmemCache<BioVec>[] vecCaches;
    private final ElementSource<BioVec>[] vecSources;

    private final AtomicLong allocs = new AtomicLong();
    private final AtomicLong allocFailures = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private final AtomicLong clones = new AtomicLong();
    private final AtomicLong endios = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLongArray vecAllocs = new AtomicLongArray(BIOVEC_NR_POOLS);
    private volatile boolean destroyed;

    /** {@code bvec_pool_sizes[idx]}: the segments of vector class {@code idx}. */
    public static int bvecPoolSize(int idx) {
        return BVEC_POOL_SIZES[idx];
    }

    /**
     * The pool index {@code bvec_alloc} picks for {@code nr} segments: the smallest class that
     * holds them; -1 for {@code nr} outside [1, 256].
     */
    public static int bvecIndex(int nr) {
        for (int i = 0; i < BIOVEC_NR_POOLS; i++) {
            if (nr >= 1 && nr <= BVEC_POOL_SIZES[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Starts a set over {@code slab}'s machine with {@code guarantee}. */
    public static Builder builder(SlabAllocator slab, Guarantee guarantee) {
        return new Builder(slab, guarantee);
    }

    @SuppressWarnings("unchecked")
    private BioSet(Builder b) {
        this.name = b.name;
        this.machine = b.slab.machine();
        this.guarantee = b.guarantee;
        this.maxVecs = b.maxVecs;
        long mib = Math.max(1, machine.config().memory() >>> 20);
        this.poolEntries = b.poolEntries > 0 ? b.poolEntries : (int) Math.min(mib * 2, BIO_POOL_SIZE);
        int inFlight = b.inFlight > 0 ? b.inFlight : poolEntries;
        int scale = mib <= 16 ? 0 : mib <= 32 ? 1 : mib <= 64 ? 2 : mib <= 96 ? 3 : mib <= 128 ? 4 : 6;
        int nrClasses = bvecIndex(maxVecs) + 1;
        this.vecCaches = new KmemCache[nrClasses];
        this.vecSources = new ElementSource[nrClasses];
        SlabAllocator slab = b.slab;
        this.bioCache = slab.kmemCacheCreate(name, Bio.SIZEOF_BIO, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null,
                slot -> new Bio(slot, this));
        ElementSource<Bio> bios = null;
        int made = 0;
        try {
            bios = guarantee.source(name, Elements.slabObjects(bioCache, inFlight).prealloc(poolEntries));
            for (; made < nrClasses; made++) {
                int nr = BVEC_POOL_SIZES[made];
                String cname = vecCacheName(name, nr);
                KmemCache<BioVec> c = slab.kmemCacheCreate(cname, nr * SIZEOF_BIO_VEC, 0,
                        SlabFlags.SLAB_HWCACHE_ALIGN, null, null, slot -> new BioVec(slot, nr));
                vecCaches[made] = c;
                int entries = made >= scale ? Math.max(1, poolEntries / 2) : poolEntries;
                vecSources[made] = guarantee.source(cname, Elements.slabObjects(c, inFlight).prealloc(entries));
            }
        } catch (RuntimeException e) {
            undo(bios, made);
            throw e;
        }
        this.bioSource = bios;
    }

    private static String vecCacheName(String setName, int nr) {
        return "bio".equals(setName) ? "biovec-" + nr : setName + "-vec-" + nr;
    }

    private void undo(ElementSource<Bio> bios, int made) {
        for (int i = 0; i <= made && i < vecCaches.length; i++) {
            if (vecSources[i] != null) {
                vecSources[i].destroy();
            }
            if (vecCaches[i] != null) {
                vecCaches[i].destroy();
            }
        }
        if (bios != null) {
            bios.destroy();
        }
        bioCache.destroy();
    }

    // -------------------------------------------------------------------------------------
    // bio_alloc, bio_clone, bio_put
    // -------------------------------------------------------------------------------------

    /**
     * {@code bio_alloc}: a bio with one reference and a zeroed vector of at least {@code nrVecs}
     * segments (none for 0). The bio is taken first, then the vector, both with {@code gfp}; if
     * the vector fails the bio goes back.
     *
     * <p>Context: may sleep iff {@code gfp} has {@code __GFP_WAIT}, then not from interrupt
     * context. Failure: returns null if {@code nrVecs} is outside [0, maxVecs], or if either
     * allocation fails, which the set's guarantee rules out for a sleeping {@code gfp} on a
     * mempool (and on {@link GuaranteeKind#RESERVATION} within its in-flight limit), and allows
     * on {@link GuaranteeKind#NONE}.
     *
     * @throws IllegalStateException if the set has been destroyed
     */
    public Bio bioAlloc(int gfp, int nrVecs) {
        checkAlive();
        int vidx = nrVecs == 0 ? -1 : bvecIndex(nrVecs);
        if (nrVecs != 0 && (vidx < 0 || vidx >= vecSources.length)) {
            allocFailures.incrementAndGet();
            return null;
        }
        Bio bio = bioSource.alloc(gfp);
        if (bio == null) {
            allocFailures.incrementAndGet();
            return null;
        }
        BioVec vec = null;
        if (vidx >= 0) {
            vec = vecSources[vidx].alloc(gfp);
            if (vec == null) {
                bioSource.free(bio);
                allocFailures.incrementAndGet();
                return null;
            }
            vec.clear();
            vecAllocs.incrementAndGet(vidx);
        }
        bio.init(vec, vidx);
        allocs.incrementAndGet();
        return bio;
    }

    /**
     * {@code bio_clone}: a new bio sharing {@code src}'s vector, with its sector, device, rw,
     * vcnt, idx, size and max, flagged {@link Bio#BIO_CLONED} so that freeing it leaves the
     * vector alone. The caller must keep {@code src} (and so the vector) alive until the clone is
     * put. Context and failure as {@link #bioAlloc} with 0 vectors.
     */
    public Bio bioClone(Bio src, int gfp) {
        Bio b = bioAlloc(gfp, 0);
        if (b == null) {
            return null;
        }
        copyClone(b, src);
        return b;
    }

    /**
     * {@code __bio_clone(bio, bio_src)} into a bio its owner keeps and reuses across I/Os (raid1
     * allocates one per mirror with each r1bio): {@code dst} is first reset as {@code bio_init}
     * leaves a new bio (no flags, not completed, no segments, no callback; its one reference
     * kept: 3.7's {@code bio_reset}), then made a clone of {@code src} as {@link #bioClone}
     * does. Never sleeps, allocates nothing; the caller owns {@code dst}.
     *
     * @throws IllegalStateException if {@code dst} is not of this set, is {@code src}, has a
     *         vector of its own, is referenced by anyone else ({@code bi_cnt != 1}) or is on a
     *         queue; nothing changes
     */
    public void bioCloneInto(Bio dst, Bio src) {
        if (dst == null || src == null || dst.set != this || dst == src) {
            throw new IllegalStateException("__bio_clone(" + dst + ", " + src + "): need a bio of set " + name
                    + " other than the source");
        }
        if (dst.ioVec != null && !dst.testFlag(Bio.BIO_CLONED)) {
            throw new IllegalStateException("__bio_clone into " + dst + ": it has a vector of its own");
        }
        if (dst.refCount() != 1 || dst.next != null) {
            throw new IllegalStateException("__bio_clone into " + dst + ": it is shared or queued");
        }
        dst.init(null, -1);
        copyClone(dst, src);
    }

    private void copyClone(Bio b, Bio src) {
        b.sector = src.sector;
        b.dev = src.dev;
        b.rw = src.rw;
        b.vcnt = src.vcnt;
        b.idx = src.idx;
        b.size = src.size;
        b.max = src.max;
        b.ioVec = src.ioVec;
        b.setFlag(Bio.BIO_CLONED);
        if (src.testFlag(Bio.BIO_SEG_VALID)) {
            b.setFlag(Bio.BIO_SEG_VALID);
        }
        clones.incrementAndGet();
    }

    /** {@code bio_destructor}: called by {@link Bio#put()} at the last reference. */
    void destroyBio(Bio bio) {
        bio.next = null;
        BioVec vec = bio.ioVec;
        if (vec != null && !bio.testFlag(Bio.BIO_CLONED)) {
            vecSources[bio.max].free(vec);
        }
        bio.ioVec = null;
        bio.endIo = null;
        bio.privateData = null;
        bio.dev = null;
        frees.incrementAndGet();
        bioSource.free(bio);
    }

    // -------------------------------------------------------------------------------------
    // Completion
    // -------------------------------------------------------------------------------------

    /**
     * {@code bio_endio(bio, uptodate, nr_sectors)}: sets or clears {@link Bio#BIO_UPTODATE} and
     * returns {@code bi_end_io(bio, nr_sectors)}. As in 2.5.1 the end-io callback owns the
     * caller's reference: it usually ends with {@code bio.put()}. A bio without a callback is
     * just marked. Any context; the callback decides the rest.
     *
     * @throws KernelBug if the bio was completed already since its allocation (nothing changes)
     */
    public int bioEndio(Bio bio, boolean uptodate, int nrSectors) {
        if (!bio.markEnded()) {
            throw new KernelBug("bio_endio on " + bio + ", which has already completed");
        }
        if (uptodate) {
            bio.setFlag(Bio.BIO_UPTODATE);
        } else {
            bio.clearFlag(Bio.BIO_UPTODATE);
            errors.incrementAndGet();
        }
        endios.incrementAndGet();
        BioEndIo e = bio.endIo;
        return e == null ? 0 : e.endIo(bio, nrSectors);
    }

    /** {@code bio_io_error}: {@code bio_endio(bio, 0, bio_sectors(bio))}. */
    public int bioIoError(Bio bio) {
        return bioEndio(bio, false, bio.sectors());
    }

    // -------------------------------------------------------------------------------------
    // Teardown, views
    // -------------------------------------------------------------------------------------

    /**
     * Destroys the sources and the caches.
     *
     * @throws IllegalStateException if bios are still allocated (nothing changes)
     */
    public void destroy() {
        checkAlive();
        long out = inUse();
        if (out != 0) {
            throw new IllegalStateException("bio set " + name + ": " + out + " bios are still allocated");
        }
        destroyed = true;
        for (int i = 0; i < vecSources.length; i++) {
            vecSources[i].destroy();
            vecCaches[i].destroy();
        }
        bioSource.destroy();
        bioCache.destroy();
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("bio set " + name + " has been destroyed");
        }
    }

    public String name() {
        return name;
    }

    public Machine machine() {
        return machine;
    }

    public Guarantee guarantee() {
        return guarantee;
    }

    /** Segments per bio this set serves at most. */
    public int maxVecs() {
        return maxVecs;
    }

    /** The pool size of the bio pool (and of the small vector classes). */
    public int poolEntries() {
        return poolEntries;
    }

    /** Vector classes this set has: {@code bvecIndex(maxVecs) + 1}. */
    public int nrVecClasses() {
        return vecSources.length;
    }

    /** The bio source (for drivers that size by it, and tests). */
    public ElementSource<Bio> bioSource() {
        return bioSource;
    }

    /** The source of vector class {@code idx}. */
    public ElementSource<BioVec> vecSource(int idx) {
        return vecSources[idx];
    }

    /** The bio slab cache. */
    public KmemCache<Bio> bioCache() {
        return bioCache;
    }

    /** Bios allocated (clones included). */
    public long allocs() {
        return allocs.get();
    }

    /** {@code bio_alloc} calls that returned null. */
    public long allocFailures() {
        return allocFailures.get();
    }

    /** Bios freed at their last reference. */
    public long frees() {
        return frees.get();
    }

    public long clones() {
        return clones.get();
    }

    /** {@code bio_endio} calls. */
    public long endios() {
        return endios.get();
    }

    /** Completions without {@code BIO_UPTODATE}. */
    public long errors() {
        return errors.get();
    }

    /** Vectors of class {@code idx} allocated. */
    public long vecAllocs(int idx) {
        return vecAllocs.get(idx);
    }

    /** Bios allocated and not yet freed. */
    public long inUse() {
        return allocs.get() - frees.get();
    }

    /** The counters above in one snapshot, for a report; never blocks. */
    public BioSetStats stats() {
        return new BioSetStats(allocs(), allocFailures(), frees(), clones(), endios(), errors());
    }

    @Override
    public String toString() {
        return "bio set " + name + " (" + guarantee + ", " + poolEntries + " entries, up to " + maxVecs + " vecs)";
    }

    /** Options of a bio set. */
    public static final class Builder {
        private final SlabAllocator slab;
        private final Guarantee guarantee;
        private String name = "bio";
        private int maxVecs = BIO_MAX_PAGES;
        private int poolEntries;
        private int inFlight;

        private Builder(SlabAllocator slab, Guarantee guarantee) {
            if (slab == null || guarantee == null) {
                throw new IllegalArgumentException("a bio set needs a slab allocator and a guarantee");
            }
            this.slab = slab;
            this.guarantee = guarantee;
        }

        /** The set's name, and its bio cache's ("bio" by default, giving "biovec-N" vector caches). */
        public Builder name(String n) {
            if (n == null || n.isEmpty() || n.length() > 12) {
                throw new IllegalArgumentException("bio set name '" + n + "': 1 to 12 characters");
            }
            this.name = n;
            return this;
        }

        /** Most segments per bio, in [1, 256]; only the classes up to it are made. */
        public Builder maxVecs(int n) {
            if (bvecIndex(n) < 0) {
                throw new IllegalArgumentException("maxVecs " + n + ": 1 to " + BIO_MAX_PAGES);
            }
            this.maxVecs = n;
            return this;
        }

        /**
         * Pool entries: the bios (and small vectors) a guarantee that pre-allocates keeps ready
         * ({@link Elements#prealloc()}: a mempool's {@code min_nr}); default scaled by memory as
         * later 2.5 does.
         */
        public Builder poolEntries(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("poolEntries " + n + ": at least 1");
            }
            this.poolEntries = n;
            return this;
        }

        /**
         * Bios (and vectors of each class) in flight at once, at worst ({@link Elements#count()}:
         * what a reservation is sized for and limits); default the pool entries.
         */
        public Builder inFlight(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("inFlight " + n + ": at least 1");
            }
            this.inFlight = n;
            return this;
        }

        /** Creates the caches and the guaranteed sources. Process context; may sleep. */
        public BioSet create() {
            return new BioSet(this);
        }
    }
}
