// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.slab.SlabObject;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@code r1bio_t} of Linux 2.5.1 ({@code include/linux/raid/raid1.h}): the state of one request
 * to the array while its mirrors serve it. A typed object of the array's {@code r1bio} slab
 * cache, built once per slot and reused by every request of that slot.
 *
 * <h2>The stacked element</h2>
 * The pool element is this object together with one bio per mirror slot ({@link #bios}),
 * allocated by the pool's allocate function ({@link R1BioPools}): the clones a request sends to
 * the mirrors are these bios, re-cloned from the master for each use
 * ({@link dev.kalloc.bio.BioSet#bioCloneInto}). In 2.5.1 the element was only the kmalloc'ed
 * r1bio and every clone a {@code bio_clone} in {@code make_request}.
 *
 * <h2>Fields and owners</h2>
 * <ul>
 *   <li>{@code remaining} (atomic, {@code REMAINING}): clones still out plus the submitter's
 *       bias; the thread that moves it to 0 ends the request, exactly once.</li>
 *   <li>{@code state} (atomic bits, {@code STATE}): {@link #R1BIO_UPTODATE} and
 *       {@link #R1BIO_WRITE_ERROR}, set by concurrent completions, read by the one that ends
 *       the request after its decrement of {@code remaining} (which orders them).</li>
 *   <li>Everything else is written by the submitter before the first clone is submitted, or by
 *       raid1d while it alone holds the request (a read retry, a resync write), and read by
 *       completions after the queue hand-off.</li>
 * </ul>
 */
public final class R1Bio extends SlabObject {
    /** Bytes of {@code r1bio_t} on i386 at 2.5.1 (with {@code write_bios[MD_SB_DISKS=27]}). */
    public static final int SIZEOF_R1BIO = 148;
    /** {@code R1BIO_Uptodate} (bit 1): an in-sync mirror completed the I/O. */
    public static final int R1BIO_UPTODATE = 1 << 1;
    /**
     * A write failed somewhere it matters: for a resync chunk, on some target (2.5.1 passed only
     * the last write's status to {@code md_done_sync}); for a normal write, on a mirror the error
     * handler left in sync (the last working disk), so the write fails even if
     * {@link #R1BIO_UPTODATE} is set (not in 2.5.1; see {@link Raid1}).
     */
    public static final int R1BIO_WRITE_ERROR = 1 << 2;

    /** {@code cmd}: {@link Bio#READ}, {@link Bio#WRITE}, or {@code SPECIAL} (a resync buffer). */
    static final int SPECIAL = 2;

    private static final VarHandle REMAINING;
    private static final VarHandle STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            REMAINING = l.findVarHandle(R1Bio.class, "remaining", int.class);
            STATE = l.findVarHandle(R1Bio.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One bio per mirror slot, allocated with the element; null while the element is unbuilt. */
    final Bio[] bios;
    @SuppressWarnings("unused") // through REMAINING
    private volatile int remaining;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    int cmd;
    long sector;
    int sectors;
    Bio masterBio;
    /** The mirror slot and device a read (or resync read) went to. */
    int readDisk = -1;
    RamDisk readDev;
    /** Slots a write went to that were not in sync (a resyncing spare): they do not make it uptodate. */
    int writeOnlyMask;
    /**
     * Slots that do not hold this write as an in-sync copy (faulty, or a resyncing spare, when it
     * was issued); each is counted in its {@link MirrorInfo#writesNotHeld} until the request ends.
     */
    int notHeldMask;
    /** The resync window's token for this request ({@link ResyncWindow#newRequest}). */
    int bucket;
    /** {@code next_r1}: the raid1d retry list link. */
    R1Bio nextR1;
    /** A resync buffer's own bio of {@code RESYNC_PAGES} pages (r1buf elements only). */
    Bio buf;

    R1Bio(Slot slot, int nrSlots) {
        super(slot);
        this.bios = new Bio[nrSlots];
    }

    /** Starts a request: the fields {@code make_request} fills, {@code state} cleared. */
    void start(int command, long firstSector, int nrSectors, Bio master) {
        cmd = command;
        sector = firstSector;
        sectors = nrSectors;
        masterBio = master;
        readDisk = -1;
        readDev = null;
        writeOnlyMask = 0;
        notHeldMask = 0;
        nextR1 = null;
        STATE.setOpaque(this, 0);
    }

    /** Forgets the request before the element goes back to its pool. */
    void clear() {
        masterBio = null;
        readDev = null;
        nextR1 = null;
    }

    /** {@code atomic_set(&r1_bio->remaining, n)}: before any clone is submitted. */
    void setRemaining(int n) {
        REMAINING.setVolatile(this, n);
    }

    /**
     * {@code atomic_dec_and_test(&r1_bio->remaining)}.
     *
     * @return true for the one caller that moved it to 0
     */
    boolean decRemaining() {
        int left = (int) REMAINING.getAndAdd(this, -1) - 1;
        assert left >= 0 : this + ": remaining went below zero";
        return left == 0;
    }

    /** The count, for views and tests. */
    public int remaining() {
        return (int) REMAINING.getVolatile(this);
    }

    /** Sets state bits; any thread. */
    void setState(int bits) {
        STATE.getAndBitwiseOr(this, bits);
    }

    boolean testState(int bit) {
        return ((int) STATE.getVolatile(this) & bit) != 0;
    }

    /** The mirror slot of {@code clone} in this element, or -1. */
    int slotOf(Bio clone) {
        for (int i = 0; i < bios.length; i++) {
            if (bios[i] == clone) {
                return i;
            }
        }
        return -1;
    }

    /** The request's first sector. */
    public long sector() {
        return sector;
    }

    /** The mirror slots this element carries bios for. */
    public int nrSlots() {
        return bios.length;
    }

    @Override
    public String toString() {
        return "r1bio@" + Long.toHexString(address()) + "[cmd " + cmd + ", sector " + sector + ", " + sectors
                + " sectors]";
    }
}
