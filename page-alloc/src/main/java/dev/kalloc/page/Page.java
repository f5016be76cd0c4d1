// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.KernelBug;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One page frame descriptor: the kernel's {@code struct page}, one per frame in {@code mem_map},
 * created at boot and reused for the life of the machine. It is the handle a page allocation
 * returns.
 *
 * <p>Fields and who guards them:
 * <ul>
 *   <li>{@code flags}: the PG_* bits, changed with atomic bit operations as the kernel's
 *       {@code set_bit}/{@code clear_bit} do;</li>
 *   <li>{@code count}: the reference count ({@code page->count}), atomic; 1 on allocation;</li>
 *   <li>{@code order}, {@code state}: the allocator's view, guarded by the zone lock while the
 *       page is in the buddy lists and by the per-CPU list's lock while it is on one; for an
 *       allocated block they are written before the page is handed out and read by its owner;</li>
 *   <li>{@code nextIdx}, {@code prevIdx}, {@code listId}: the intrusive {@code list_head} (as
 *       {@code mem_map} indexes, see {@link PageList}), guarded by the lock of whatever list the
 *       page is on (buddy, LRU);</li>
 *   <li>{@code mapping}, {@code index}: page-cache identity, guarded by the page cache lock;</li>
 *   <li>{@code slabCache}, {@code slab}: the back-pointers {@code mm/slab.c} keeps in
 *       {@code page->list.next/prev}, set by the slab allocator while {@code PG_slab} is set;</li>
 *   <li>{@code reserve}: the {@link ReserveAccount} of the multishot reservation the block was
 *       allocated from, or null; written under the zone lock when the block is handed out and
 *       when it is freed (its quota goes back then), read by the owner in between.</li>
 * </ul>
 *
 * <p>Where it differs from the kernel: 2.4 finds "is this block free?" only through the buddy
 * bitmap. The port also records {@code state} on the head page of every block (free in the buddy
 * lists, free on a per-CPU list, allocated) and marks every other page of a block as a tail, so
 * that a double free, a free of a tail page or a free with the wrong order is detected before
 * anything is touched. Keeping it costs O(1) per operation: only block heads change state.
 */
public final class Page {
    /* Page flag bits, as include/linux/mm.h numbers them in 2.4 (PG_writeback is 2.5's). */
    public static final int PG_locked = 0;
    public static final int PG_error = 1;
    public static final int PG_referenced = 2;
    public static final int PG_uptodate = 3;
    public static final int PG_dirty = 4;
    public static final int PG_lru = 6;
    public static final int PG_active = 7;
    public static final int PG_slab = 8;
    public static final int PG_highmem = 11;
    public static final int PG_reserved = 14;
    public static final int PG_writeback = 16;
    /**
     * The port's own bit, no kernel counterpart: a clean page removed from the page cache while
     * someone still held a reference, in a zone with reservations. It stays counted in the zone's
     * clean pages (it backs the reservations, and becomes free, with no I/O, when its last
     * reference goes) until it is freed or put back in the cache. See {@link PageCache}.
     */
    static final int PG_orphan = 18;

    /** Not the head of any block: a tail page, or a page never handed to the allocator. */
    static final byte STATE_TAIL = 0;
    /** Head of a free block on a buddy free list; {@code order} is the block's order. */
    static final byte STATE_BUDDY = 1;
    /** A free order-0 page held on a per-CPU list. */
    static final byte STATE_PCP = 2;
    /** Head of an allocated block of {@code order}. */
    static final byte STATE_ALLOCATED = 3;

    private static final VarHandle FLAGS;
    private static final VarHandle COUNT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FLAGS = l.findVarHandle(Page.class, "flags", int.class);
            COUNT = l.findVarHandle(Page.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int pfn;
    private final Zone zone;
    private volatile int flags;
    private volatile int count;

    byte state = STATE_TAIL;
    int order;

    /** The {@code list_head}: {@code mem_map} indexes of the neighbours, and the list's id (0: none). */
    int nextIdx = PageList.NONE;
    int prevIdx = PageList.NONE;
    int listId;

    AddressSpace mapping;
    long index;

    private Object slabCache;
    private Object slab;

    ReserveAccount reserve;

    Page(int pfn, Zone zone) {
        this.pfn = pfn;
        this.zone = zone;
    }

    /** The page frame number: physical address {@code >>> PAGE_SHIFT}. */
    public int pfn() {
        return pfn;
    }

    /** {@code page_to_phys}: the physical address of the first byte of this page. */
    public long physAddr() {
        return (long) pfn << PhysicalMemory.PAGE_SHIFT;
    }

    /** {@code page_zone}: the zone this frame belongs to. */
    public Zone zone() {
        return zone;
    }

    /** {@code PageHighMem}: true if the frame lies in ZONE_HIGHMEM. */
    public boolean isHighMem() {
        return zone.index() == Zone.ZONE_HIGHMEM;
    }

    /** {@code page_count}. */
    public int count() {
        return count;
    }

    /** {@code get_page}: takes a reference on an allocated page. */
    public void get() {
        int old = (int) COUNT.getAndAdd(this, 1);
        if (old <= 0) {
            COUNT.getAndAdd(this, -1);
            throw new KernelBug("get_page on " + this + " whose count was " + old);
        }
    }

    /** {@code put_page_testzero}: drops a reference, true if it was the last. */
    boolean putTestZero() {
        int old = (int) COUNT.getAndAdd(this, -1);
        if (old <= 0) {
            COUNT.getAndAdd(this, 1);
            throw new KernelBug("put_page on " + this + " whose count was " + old);
        }
        return old == 1;
    }

    boolean casCount(int expect, int update) {
        return COUNT.compareAndSet(this, expect, update);
    }

    void setCount(int value) {
        COUNT.setRelease(this, value);
    }

    /** {@code test_bit(bit, &page->flags)}. */
    public boolean testFlag(int bit) {
        return (flags & (1 << bit)) != 0;
    }

    /** {@code set_bit}: atomically sets a flag, returning its old value. */
    public boolean setFlag(int bit) {
        return ((int) FLAGS.getAndBitwiseOr(this, 1 << bit) & (1 << bit)) != 0;
    }

    /** {@code clear_bit}: atomically clears a flag, returning its old value. */
    public boolean clearFlag(int bit) {
        return ((int) FLAGS.getAndBitwiseAnd(this, ~(1 << bit)) & (1 << bit)) != 0;
    }

    /** Atomically clears every bit of {@code mask}, returning all the flags as they were before. */
    int clearFlags(int mask) {
        return (int) FLAGS.getAndBitwiseAnd(this, ~mask);
    }

    /** All flag bits at once, for /proc-style dumps and tests. */
    public int flags() {
        return flags;
    }

    /** The order this block was allocated with, valid while the page heads an allocated block. */
    public int order() {
        return order;
    }

    /** True while this page heads a block that is allocated (not free, not a tail). */
    public boolean isAllocated() {
        return state == STATE_ALLOCATED;
    }

    /**
     * The reservation account the block was allocated from, while it is allocated from a
     * multishot reservation (freeing it returns the quota there); null otherwise.
     */
    public ReserveAccount reserveAccount() {
        return reserve;
    }

    /** The page-cache mapping this page belongs to, or null. */
    public AddressSpace mapping() {
        return mapping;
    }

    /** The page's index in its mapping, valid while {@link #mapping()} is not null. */
    public long index() {
        return index;
    }

    /**
     * Records the slab back-pointers ({@code SET_PAGE_CACHE}/{@code SET_PAGE_SLAB}). Only the slab
     * allocator calls this, on pages it owns; {@code null, null} clears them.
     */
    public void setSlab(Object cache, Object slabDescriptor) {
        this.slabCache = cache;
        this.slab = slabDescriptor;
    }

    /** {@code GET_PAGE_CACHE}: the slab cache owning this page, or null. */
    public Object slabCache() {
        return slabCache;
    }

    /** {@code GET_PAGE_SLAB}: the slab descriptor owning this page, or null. */
    public Object slab() {
        return slab;
    }

    static String stateName(byte state) {
        switch (state) {
            case STATE_BUDDY:
                return "free (buddy)";
            case STATE_PCP:
                return "free (per-cpu list)";
            case STATE_ALLOCATED:
                return "allocated";
            default:
                return "tail/unused";
        }
    }

    @Override
    public String toString() {
        return "page pfn " + pfn + " (zone " + zone.name() + ")";
    }
}
