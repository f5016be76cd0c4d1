// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.slab.SlabObject;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@code struct bio} of Linux 2.5.1 ({@code include/linux/bio.h}, {@code fs/bio.c}): one block
 * I/O of whole sectors, described by a vector of (page, offset, length) segments.
 *
 * <p>Each bio is the typed object of one slot of its {@link BioSet}'s {@code bio} slab cache,
 * built once when the slab grows and reused by every allocation of that slot; with the set's
 * vectors (typed objects too) a warm bio costs no garbage per I/O.
 *
 * <h2>Fields (2.5.1 name in brackets)</h2>
 * sector [{@code bi_sector}], next [{@code bi_next}, the queue link], dev [{@code bi_dev}],
 * flags [{@code bi_flags}: {@link #BIO_UPTODATE} ...], rw [{@code bi_rw}: {@link #BIO_RW} ...],
 * vcnt/idx [{@code bi_vcnt}, {@code bi_idx}], size [{@code bi_size}, bytes], max
 * [{@code bi_max}: the index of the biovec pool, -1 without a vector], ioVec [{@code bi_io_vec}],
 * endIo [{@code bi_end_io}], cnt [{@code bi_cnt}, atomic], privateData [{@code bi_private}]. The
 * destructor [{@code bi_destructor}] is always the set's ({@code BioSet.destroyBio}, which
 * {@link #put()} calls at the last reference); the segment counts
 * {@code bi_phys_segments}/{@code bi_hw_segments} have no user here and are left out.
 *
 * <h2>Invariants and ownership</h2>
 * <ul>
 *   <li>{@code 0 <= idx <= vcnt <= capacity}, where capacity is the vector's size class (0 without
 *       a vector); {@code size} is the sum of the lengths of segments {@code idx..vcnt-1}.</li>
 *   <li>{@code cnt > 0} while the bio is allocated; it is changed only atomically
 *       ({@code CNT}, a VarHandle: {@code bio_get}/{@code bio_put} from any thread).</li>
 *   <li>Every other field belongs to one owner at a time: the submitter until
 *       {@link BlockLayer#submitBio}, then the queue (under its lock), the dispatcher, the
 *       completion thread, then whoever holds a reference. The queues' locks order the hand-offs.</li>
 *   <li>{@code ended} is 0 from allocation until {@link BioSet#bioEndio} sets it, once, by CAS.</li>
 * </ul>
 *
 * <h2>Differences from 2.5.1</h2>
 * A second {@code bio_endio} on the same bio, and a {@code bio_put} at zero references, are
 * refused with a {@link KernelBug} before anything changes (the kernel BUGs on the latter and does
 * not detect the former). {@link #addPage} is the later {@code bio_add_page}, with its capacity
 * check turned into an exception.
 */
public final class Bio extends SlabObject {
    /** {@code sizeof(struct bio)} on i386 at 2.5.1, rounded: the slab object size. */
    public static final int SIZEOF_BIO = 64;
    /** A sector: 512 bytes. */
    public static final int SECTOR_SIZE = 512;
    public static final int SECTOR_SHIFT = 9;

    /** {@code bi_flags} bits. */
    public static final int BIO_UPTODATE = 0;
    public static final int BIO_RW_BLOCK = 1;
    public static final int BIO_EOF = 2;
    public static final int BIO_SEG_VALID = 3;
    public static final int BIO_CLONED = 4;

    /** {@code bi_rw} bits. */
    public static final int BIO_RW = 0;
    public static final int BIO_RW_AHEAD = 1;
    public static final int BIO_RW_BARRIER = 2;

    /** Directions: {@code READ} and {@code WRITE} ({@code bi_rw} bit {@link #BIO_RW}). */
    public static final int READ = 0;
    public static final int WRITE = 1;

    private static final VarHandle CNT;
    private static final VarHandle ENDED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CNT = l.findVarHandle(Bio.class, "cnt", int.class);
            ENDED = l.findVarHandle(Bio.class, "ended", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final BioSet set;
    long sector;
    Bio next;
    RamDisk dev;
    int flags;
    int rw;
    int vcnt;
    int idx;
    int size;
    int max = -1;
    BioVec ioVec;
    BioEndIo endIo;
    Object privateData;
    @SuppressWarnings("unused") // through CNT
    private volatile int cnt;
    @SuppressWarnings("unused") // through ENDED
    private volatile int ended;
    /** Queue time stamp of the device (service-time accounting). */
    long queuedNanos;

    Bio(Slot slot, BioSet set) {
        super(slot);
        this.set = set;
    }

    /**
     * {@code bio_init}: a fresh bio with one reference, no segments, no flags, and
     * {@code vec} (null for none) of pool index {@code max}.
     */
    void init(BioVec vec, int maxIdx) {
        next = null;
        dev = null;
        sector = 0;
        flags = 0;
        rw = 0;
        vcnt = 0;
        idx = 0;
        size = 0;
        max = maxIdx;
        ioVec = vec;
        endIo = null;
        privateData = null;
        queuedNanos = 0;
        ENDED.setOpaque(this, 0);
        CNT.setRelease(this, 1); // paired with the acquire in refCount()/put of the next user
    }

    // -------------------------------------------------------------------------------------
    // Reference count: bio_get / bio_put
    // -------------------------------------------------------------------------------------

    /** {@code bio_get}: one more reference. Any context. */
    public Bio get() {
        int c;
        do {
            c = (int) CNT.getVolatile(this);
            if (c <= 0) {
                throw new KernelBug("bio_get on " + this + " with no references: it is free");
            }
        } while (!CNT.compareAndSet(this, c, c + 1));
        return this;
    }

    /**
     * {@code bio_put}: drops a reference; the last one gives the vector (unless cloned) and the
     * bio back to the set's sources. Never sleeps; any context. (The kernel's returns nothing;
     * the result lets a caller, and the jcstress tests, see who freed it.)
     *
     * <p>There is no null form: {@code bio_put(NULL)} oopses in the kernel (it decrements
     * {@code bi_cnt} through the pointer), and here it is a method of the bio, so a null
     * reference fails at the caller with a {@code NullPointerException} before anything runs.
     *
     * @return true iff this call dropped the last reference and freed the bio
     * @throws KernelBug if the bio has no references (nothing changes)
     */
    public boolean put() {
        int c;
        do {
            c = (int) CNT.getVolatile(this);
            if (c <= 0) {
                throw new KernelBug("bio_put on " + this + " at zero references: it is already free");
            }
        } while (!CNT.compareAndSet(this, c, c - 1));
        if (c == 1) {
            set.destroyBio(this);
            return true;
        }
        return false;
    }

    /** {@code atomic_read(&bio->bi_cnt)}. */
    public int refCount() {
        return (int) CNT.getAcquire(this);
    }

    /** Claims the one completion: true the first time after allocation. */
    boolean markEnded() {
        return ENDED.compareAndSet(this, 0, 1);
    }

    /** True once {@link BioSet#bioEndio} has run on this bio. */
    public boolean isEnded() {
        return (int) ENDED.getAcquire(this) != 0;
    }

    // -------------------------------------------------------------------------------------
    // Building the I/O
    // -------------------------------------------------------------------------------------

    /**
     * {@code bio_add_page}: appends a segment of {@code len} bytes at {@code offset} in
     * {@code page}. Owner only, before submission.
     *
     * @return {@code len}
     * @throws IllegalStateException if the vector is full, the bio is a clone (it shares its
     *         vector), or it was submitted already (nothing changes)
     * @throws IllegalArgumentException if the segment does not lie within one page, or is not a
     *         whole number of sectors
     */
    public int addPage(Page page, int len, int offset) {
        if (page == null || len <= 0 || offset < 0 || offset + len > PhysicalMemory.PAGE_SIZE
                || (len & (SECTOR_SIZE - 1)) != 0 || (offset & (SECTOR_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("bio_add_page(" + page + ", len " + len + ", offset " + offset
                    + "): a segment is whole sectors within one page");
        }
        if (testFlag(BIO_CLONED)) {
            throw new IllegalStateException("bio_add_page on clone " + this + ": it shares its vector");
        }
        if (isEnded() || next != null) {
            throw new IllegalStateException("bio_add_page on " + this + ": already submitted");
        }
        int cap = capacity();
        if (vcnt >= cap) {
            throw new IllegalStateException("bio_add_page on " + this + ": the vector holds " + cap
                    + " segments and all are used");
        }
        ioVec.set(vcnt, page, len, offset);
        vcnt++;
        size += len;
        assert checkInvariants();
        return len;
    }

    /** Segments the vector can hold: its size class, 0 without a vector. */
    public int capacity() {
        return ioVec == null ? 0 : ioVec.capacity();
    }

    // -------------------------------------------------------------------------------------
    // Accessors (kernel names in brackets)
    // -------------------------------------------------------------------------------------

    /** [{@code bi_sector}] */
    public long sector() {
        return sector;
    }

    public Bio setSector(long s) {
        this.sector = s;
        return this;
    }

    /** [{@code bi_dev}] */
    public RamDisk dev() {
        return dev;
    }

    public Bio setDev(RamDisk d) {
        this.dev = d;
        return this;
    }

    /** [{@code bi_rw}] */
    public int rw() {
        return rw;
    }

    /** Sets the direction: {@link #READ} or {@link #WRITE} (bit {@link #BIO_RW} of {@code bi_rw}). */
    public Bio setRw(int direction) {
        if (direction != READ && direction != WRITE) {
            throw new IllegalArgumentException("direction " + direction + ": READ (0) or WRITE (1)");
        }
        this.rw = (rw & ~(1 << BIO_RW)) | (direction << BIO_RW);
        return this;
    }

    /** {@code bio_data_dir}: {@link #READ} or {@link #WRITE}. */
    public int dataDir() {
        return (rw >>> BIO_RW) & 1;
    }

    /** [{@code bi_flags}] */
    public int flags() {
        return flags;
    }

    /** {@code bio_flagged}. */
    public boolean testFlag(int bit) {
        return (flags & (1 << bit)) != 0;
    }

    public void setFlag(int bit) {
        flags |= 1 << bit;
    }

    public void clearFlag(int bit) {
        flags &= ~(1 << bit);
    }

    /** [{@code bi_vcnt}] */
    public int vcnt() {
        return vcnt;
    }

    /** [{@code bi_idx}] */
    public int idx() {
        return idx;
    }

    /** [{@code bi_size}], bytes. */
    public int bytes() {
        return size;
    }

    /** {@code bio_sectors}. */
    public int sectors() {
        return size >>> SECTOR_SHIFT;
    }

    /** [{@code bi_max}]: the biovec pool index, -1 without a vector. */
    public int maxIdx() {
        return max;
    }

    /** [{@code bi_io_vec}]; null without a vector. */
    public BioVec ioVec() {
        return ioVec;
    }

    /** [{@code bi_end_io}] */
    public BioEndIo endIo() {
        return endIo;
    }

    public Bio setEndIo(BioEndIo e) {
        this.endIo = e;
        return this;
    }

    /** [{@code bi_private}] */
    public Object privateData() {
        return privateData;
    }

    public Bio setPrivate(Object p) {
        this.privateData = p;
        return this;
    }

    /** The set the bio belongs to. */
    public BioSet set() {
        return set;
    }

    /** Checks the invariants of the class comment; owner only. */
    public boolean checkInvariants() {
        int cap = capacity();
        if (idx < 0 || idx > vcnt || vcnt > cap) {
            throw new AssertionError(this + ": need 0 <= idx <= vcnt <= capacity " + cap);
        }
        long sum = 0;
        for (int i = idx; i < vcnt; i++) {
            sum += ioVec.len(i);
        }
        if (sum != size) {
            throw new AssertionError(this + ": size " + size + " but segments hold " + sum);
        }
        return true;
    }

    @Override
    public String toString() {
        return "bio@" + Long.toHexString(address()) + "[sector " + sector + ", " + (dataDir() == WRITE ? "W" : "R")
                + ", vcnt " + vcnt + ", size " + size + ", cnt " + refCount() + "]";
    }
}
