// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.Zone;

/**
 * Kernel virtual memory of one {@link Machine} as {@code mm/highmem.c} (2.5.1) sees it: the
 * direct map of low memory, {@code kmap}/{@code kunmap} over the persistent window
 * ({@link Pkmap}), {@code kmap_atomic}/{@code kunmap_atomic} over per-CPU fixed slots
 * ({@link Fixmap}), and access to bytes through the resulting addresses.
 *
 * <p>Usage:
 * <pre>{@code
 * Highmem hm = Highmem.boot(machine);            // LAST_PKMAP 1024; Highmem.boot(machine, 16) for a small window
 * long v = hm.kmap(page);                        // may sleep while every slot is in use
 * hm.putLong(v + 8, 42L);                        // reaches the page through its mapping
 * hm.kunmap(page);
 * long a = hm.kmapAtomic(page, KmType.KM_USER0); // never sleeps; interrupt context allowed
 * byte b = hm.getByte(a);
 * hm.kunmapAtomic(a, KmType.KM_USER0);
 * }</pre>
 *
 * <h2>Mapping is real</h2>
 * A highmem page has no address until it is mapped, and its bytes are reached only through the
 * address a mapping returns: every access translates the address through the simulated page
 * tables, then reads or writes {@link PhysicalMemory}. An address of a mapping that has been torn
 * down (flushed, or its slot given to another page) raises {@link PageFault}, checked before the
 * access and again after it, so an access that races the teardown is caught too (a write in that
 * window has already reached the old frame, as it would on hardware). Addresses carry a tag, see
 * {@link VirtualLayout}; offsets within the page may be added to them.
 *
 * <h2>Contexts</h2>
 * {@link #kmap} and {@link #kunmap} are for process context ({@link KernelBug} in interrupt
 * context, as 2.5.1 BUGs); {@link #kmapAtomic} and {@link #kunmapAtomic} for any context. No
 * static state: two machines have two of these.
 */
public final class Highmem {
    /** {@code LAST_PKMAP} of i386 without PAE. */
    public static final int LAST_PKMAP = 1024;

    private final Machine machine;
    private final PhysicalMemory memory;
    private final VirtualLayout layout;
    private final int highStart;
    private final Pkmap pkmap;
    private final Fixmap fixmap;

    private Highmem(Machine machine, int lastPkmap) {
        if (machine == null) {
            throw new IllegalArgumentException("highmem needs a machine");
        }
        if (lastPkmap < 1 || lastPkmap > LAST_PKMAP || Integer.bitCount(lastPkmap) != 1) {
            throw new IllegalArgumentException("LAST_PKMAP " + lastPkmap + ": a power of two in [1, " + LAST_PKMAP + "]");
        }
        this.machine = machine;
        this.memory = machine.memory();
        this.layout = new VirtualLayout(machine, lastPkmap);
        Zone high = machine.zone(Zone.ZONE_HIGHMEM);
        this.highStart = high == null ? machine.nrPages() : high.startPfn();
        this.pkmap = new Pkmap(machine, layout, highStart);
        this.fixmap = new Fixmap(layout);
    }

    /** Highmem for {@code machine} with the i386 window of {@link #LAST_PKMAP} slots. */
    public static Highmem boot(Machine machine) {
        return new Highmem(machine, LAST_PKMAP);
    }

    /**
     * Highmem for {@code machine} with a window of {@code lastPkmap} slots.
     *
     * @throws IllegalArgumentException if {@code lastPkmap} is not a power of two in
     *         [1, {@link #LAST_PKMAP}], or the machine's low memory does not fit below the kmap area
     */
    public static Highmem boot(Machine machine, int lastPkmap) {
        return new Highmem(machine, lastPkmap);
    }

    // -------------------------------------------------------------------------------------
    // Mapping
    // -------------------------------------------------------------------------------------

    /**
     * {@code kmap(page)}: the page's kernel address, valid until the matching {@link #kunmap}.
     * A low-memory page returns its direct-map address and costs nothing; a highmem page gets (or
     * shares) a persistent slot.
     *
     * <p>Context: process context; sleeps while every slot of the window has users, until a
     * {@code kunmap} frees one. Never fails.
     *
     * @throws KernelBug in interrupt context (nothing changes)
     * @throws IllegalArgumentException for a page of another machine
     */
    public long kmap(Page page) {
        checkPage(page);
        if (machine.current().inInterrupt()) {
            throw new KernelBug("kmap(" + page + ") in interrupt context: kmap may sleep; use kmap_atomic");
        }
        if (!page.isHighMem()) {
            return layout.directAddress(page.physAddr());
        }
        return pkmap.kmapHigh(page);
    }

    /**
     * {@code kunmap(page)}: ends one {@link #kmap} of {@code page}. A low-memory page needs
     * nothing. Never sleeps; process context.
     *
     * <p>Null does nothing (after the interrupt check), as in 2.5.1: {@code kunmap} BUGs in
     * interrupt context, then returns for any {@code page < highmem_start_page}, which NULL is,
     * so {@code kunmap(NULL)} is a low-memory page's no-op there.
     *
     * @throws KernelBug in interrupt context (null included), or for a highmem page that is not
     *         kmapped or whose users are all gone (an unbalanced kunmap); nothing changes
     * @throws IllegalArgumentException for a page of another machine
     */
    public void kunmap(Page page) {
        if (machine.current().inInterrupt()) {
            throw new KernelBug("kunmap(" + page + ") in interrupt context");
        }
        if (page == null) {
            return;
        }
        checkPage(page);
        if (page.isHighMem()) {
            pkmap.kunmapHigh(page);
        }
    }

    /**
     * {@code kmap_atomic(page, type)}: maps {@code page} into this CPU's {@code type} slot (a
     * low-memory page returns its direct address), valid until {@link #kunmapAtomic} with the
     * same type on the same thread. Never sleeps; any context, interrupts included.
     *
     * <p>While it holds the mapping the caller must not sleep, take a sleeping lock or wait for
     * anything (the kernel holds it with preemption off): the slots are guarded by locks here
     * (two threads may share a CPU), and only that rule plus the nesting order keeps two threads
     * of one CPU from waiting for each other. Nested mappings follow {@link KmType#nesting()}:
     * {@code KM_USER0}, {@code KM_USER1}, then the interrupt types.
     *
     * @throws KernelBug if this context already holds its CPU's {@code type} slot, or holds a slot
     *         of the same or a later nesting rank (nothing changes)
     */
    public long kmapAtomic(Page page, KmType type) {
        checkPage(page);
        if (type == null) {
            throw new IllegalArgumentException("kmap_atomic(" + page + "): no km_type");
        }
        if (!page.isHighMem()) {
            return layout.directAddress(page.physAddr());
        }
        int cpu = machine.current().cpu();
        return fixmap.map(page, Fixmap.index(type, cpu), type, cpu);
    }

    /**
     * {@code kunmap_atomic(vaddr, type)}: ends a {@link #kmapAtomic}; an address below the fixmap
     * (a low-memory page's, and 0, NULL, as in 2.5.1, whose {@code vaddr < FIXADDR_START} test
     * returns at once) needs nothing. Never sleeps; any context. If the thread was rebound
     * to another CPU since the mapping, the slot (its old CPU's) is still released.
     *
     * @throws KernelBug if {@code vaddr} is not a {@code type} slot, the slot is not held by this
     *         thread, or {@code vaddr} is of an earlier mapping (nothing changes)
     */
    public void kunmapAtomic(long vaddr, KmType type) {
        if (type == null) {
            throw new IllegalArgumentException("kunmap_atomic: no km_type");
        }
        int idx = layout.virtToFix(VirtualLayout.low(vaddr));
        if (idx < 0) {
            return;
        }
        fixmap.unmap(vaddr, idx, type, machine.current().cpu());
    }

    /**
     * {@code page_address(page)}: the direct-map address of a low-memory page; for a highmem
     * page its current persistent address ({@code page->virtual}) or 0 when it has none. Any
     * context.
     */
    public long pageAddress(Page page) {
        checkPage(page);
        if (!page.isHighMem()) {
            return layout.directAddress(page.physAddr());
        }
        return pkmap.pageVirtual(page);
    }

    private void checkPage(Page page) {
        if (page == null || page.zone().machine() != machine) {
            throw new IllegalArgumentException(page + " is not a page of " + machine);
        }
    }

    // -------------------------------------------------------------------------------------
    // Access through virtual addresses (the MMU walk)
    // -------------------------------------------------------------------------------------

    /**
     * Translates {@code [vaddr, vaddr + len)}, which must lie within one page, to a physical
     * address.
     *
     * @throws PageFault if the address maps nothing, or is of a torn-down mapping
     */
    long translate(long vaddr, int len) {
        long low = VirtualLayout.low(vaddr);
        int inPage = (int) (low & ~PhysicalMemory.PAGE_MASK);
        if (len < 0 || inPage + len > PhysicalMemory.PAGE_SIZE) {
            throw new IllegalArgumentException(String.format("access of %d bytes at %08x crosses a page boundary",
                    len, low));
        }
        if (layout.isDirect(low)) {
            if (VirtualLayout.tag(vaddr) != 0) {
                throw new PageFault(vaddr, "a direct-map address carries a kmap tag");
            }
            return low - VirtualLayout.PAGE_OFFSET;
        }
        long entry;
        int nr = layout.pkmapNr(low);
        if (nr >= 0) {
            entry = pkmap.pte(nr);
        } else {
            int idx = layout.virtToFix(low);
            if (idx < 0) {
                throw new PageFault(vaddr, "no mapping there");
            }
            entry = fixmap.pte(idx);
        }
        if (Pte.none(entry)) {
            throw new PageFault(vaddr, "the slot is unmapped (flushed or kunmap_atomic'ed)");
        }
        if (Pte.generation(entry) != VirtualLayout.tag(vaddr)) {
            throw new PageFault(vaddr, "the slot now holds another mapping (generation " + Pte.generation(entry)
                    + ") of pfn " + Pte.pfn(entry));
        }
        return ((long) Pte.pfn(entry) << PhysicalMemory.PAGE_SHIFT) | inPage;
    }

    public byte getByte(long vaddr) {
        byte b = memory.getByte(translate(vaddr, 1));
        translate(vaddr, 1);
        return b;
    }

    public void putByte(long vaddr, byte value) {
        memory.putByte(translate(vaddr, 1), value);
        translate(vaddr, 1);
    }

    public long getLong(long vaddr) {
        long v = memory.getLong(translate(vaddr, Long.BYTES));
        translate(vaddr, Long.BYTES);
        return v;
    }

    public void putLong(long vaddr, long value) {
        memory.putLong(translate(vaddr, Long.BYTES), value);
        translate(vaddr, Long.BYTES);
    }

    /** Copies {@code len} bytes at {@code vaddr} (within one page) into {@code dst}. */
    public void read(long vaddr, byte[] dst, int off, int len) {
        memory.read(translate(vaddr, len), dst, off, len);
        translate(vaddr, len);
    }

    /** Copies {@code len} bytes of {@code src} to {@code vaddr} (within one page). */
    public void write(long vaddr, byte[] src, int off, int len) {
        memory.write(translate(vaddr, len), src, off, len);
        translate(vaddr, len);
    }

    /** {@code memcpy(dst, src, len)} between two mapped ranges, each within one page. */
    public void copy(long srcVaddr, long dstVaddr, int len) {
        memory.copy(translate(srcVaddr, len), translate(dstVaddr, len), len);
        translate(srcVaddr, len);
        translate(dstVaddr, len);
    }

    // -------------------------------------------------------------------------------------
    // Views
    // -------------------------------------------------------------------------------------

    public Machine machine() {
        return machine;
    }

    /** {@code LAST_PKMAP} of this window. */
    public int lastPkmap() {
        return layout.lastPkmap;
    }

    /** The first highmem pfn ({@code highstart_pfn}); {@link Machine#nrPages()} without highmem. */
    public int highStartPfn() {
        return highStart;
    }

    /** True if the machine has a populated ZONE_HIGHMEM ({@code totalhigh != 0}). */
    public boolean hasHighmem() {
        return highStart < machine.nrPages();
    }

    /** {@code max_low_pfn << PAGE_SHIFT}: the end of low memory, {@code BLK_BOUNCE_HIGH}. */
    public long lowmemEnd() {
        return layout.lowmemEnd;
    }

    /** {@code pkmap_count[nr]}. */
    public int pkmapCount(int nr) {
        if (nr < 0 || nr >= layout.lastPkmap) {
            throw new IllegalArgumentException("pkmap slot " + nr + " is outside [0, " + layout.lastPkmap + ")");
        }
        return pkmap.count(nr);
    }

    /** {@code PKMAP_NR(vaddr)} of a kmap address, -1 for any other. */
    public int pkmapNr(long vaddr) {
        return layout.pkmapNr(VirtualLayout.low(vaddr));
    }

    /** Users of {@code page}'s persistent mapping (kmaps not yet kunmapped); 0 for low memory. */
    public int kmapUsers(Page page) {
        checkPage(page);
        return page.isHighMem() ? pkmap.users(page) : 0;
    }

    /** Window slots that are free (count 0). */
    public int freeSlots() {
        return pkmap.slotStates()[0];
    }

    /** Window slots mapped but unused, waiting for the next flush (count 1). */
    public int unflushedSlots() {
        return pkmap.slotStates()[1];
    }

    /** Window slots with users (count >= 2). */
    public int busySlots() {
        return pkmap.slotStates()[2];
    }

    /** Times {@code flush_all_zero_pkmaps} ran. */
    public long flushes() {
        return pkmap.flushes();
    }

    /** Times a kmap slept on a full window. */
    public long kmapSleeps() {
        return pkmap.sleeps();
    }

    /** Mappings made in the window ({@code map_new_virtual} successes). */
    public long newMappings() {
        return pkmap.newMappings();
    }

    /** Threads asleep on {@code pkmap_map_wait}. */
    public int kmapWaiters() {
        return pkmap.waiters();
    }

    /** kmap_atomic slots mapped right now; 0 at a quiescent point. */
    public int atomicSlotsMapped() {
        return fixmap.mapped();
    }

    /** Checks the window's invariants (see {@link Pkmap}). */
    public void checkInvariants() {
        pkmap.checkInvariants();
    }

    @Override
    public String toString() {
        return "highmem[LAST_PKMAP " + layout.lastPkmap + ", highstart pfn " + highStart + "]";
    }
}
