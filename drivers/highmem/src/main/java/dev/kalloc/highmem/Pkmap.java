// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The persistent kmap window of 2.5.1's {@code mm/highmem.c}: {@code kmap_high},
 * {@code map_new_virtual}, {@code flush_all_zero_pkmaps}, {@code kunmap_high}.
 *
 * <h2>Notation</h2>
 * {@code count[nr]} is {@code pkmap_count[]}: 0 = the slot is unmapped and usable; 1 = mapped
 * but unused, and not yet flushed from the TLB, so not reusable; n = mapped with n - 1 users.
 * {@code pte[nr]} is {@code pkmap_page_table[]} (see {@link Pte}); {@code virt[pfn - highStart]}
 * is {@code page->virtual} of each highmem page (0 for none), kept here rather than in
 * {@link Page} because only this module uses it.
 *
 * <h2>Algorithm</h2>
 * A page keeps its slot as long as it is mapped, so concurrent kmaps of one page share it and
 * only raise its count. A page without a slot takes the next slot of count 0 after
 * {@code lastPkmapNr}; each time the search wraps to slot 0 every slot of count 1 is flushed at
 * once (one global TLB flush instead of one per unmap: the reason for the lazy count of 1). If a
 * whole lap finds nothing, the caller sleeps on {@code pkmap_map_wait} until a {@code kunmap}
 * leaves a slot at count 1, then starts over (another thread may have mapped its page meanwhile).
 *
 * <h2>Invariants (checked by {@link #checkInvariants})</h2>
 * <ul>
 *   <li>{@code count[nr] == 0} iff {@code pte[nr]} is none; a present {@code pte[nr]} maps a
 *       highmem page whose {@code virt} is {@code PKMAP_ADDR(nr)} tagged with the pte's
 *       generation, and no other page's {@code virt} names slot nr.</li>
 *   <li>A slot with users ({@code count >= 2}) is never flushed, so an address handed out by
 *       {@link #kmapHigh} keeps resolving to its page until the matching {@link #kunmapHigh}.</li>
 * </ul>
 *
 * <h2>Locking</h2>
 * {@code kmapLock} ({@code kmap_lock}) guards {@code count}, {@code lastPkmapNr}, {@code virt}
 * and the writes of {@code pte}. {@code pte} is also read without the lock by address
 * translation ({@link Highmem}), hence an {@link AtomicLongArray}: a release store under the
 * lock, paired with the translator's acquire load. A sleeper queues on {@code pkmapMapWait}
 * before it drops the lock, and {@code kunmapHigh} tests {@code waitqueue_active} under the lock,
 * so a wake-up cannot fall between the two; the wake-up itself happens after unlocking, as in the
 * kernel.
 *
 * <h2>Differences from 2.5.1</h2>
 * An unbalanced {@code kunmap} (count already 1) is a {@link KernelBug} thrown before the count
 * changes, where the kernel BUGs after decrementing. {@code flush_cache_all}/{@code flush_tlb_all}
 * have no equivalent: translation reads the page table every time, so clearing the entry is the
 * flush.
 */
final class Pkmap {
    private final Machine machine;
    private final VirtualLayout layout;
    private final int mask;
    private final int highStart;
    private final ReentrantLock kmapLock = new ReentrantLock();
    private final WaitQueue pkmapMapWait = new WaitQueue();
    private final int[] count;
    private final AtomicLongArray pte;
    private final long[] virt;
    private int lastPkmapNr;
    private long flushes;
    private long sleeps;
    private long newMappings;

    Pkmap(Machine machine, VirtualLayout layout, int highStart) {
        this.machine = machine;
        this.layout = layout;
        this.mask = layout.lastPkmap - 1;
        this.highStart = highStart;
        this.count = new int[layout.lastPkmap];
        this.pte = new AtomicLongArray(layout.lastPkmap);
        this.virt = new long[Math.max(0, machine.nrPages() - highStart)];
    }

    /**
     * {@code kmap_high(page)}: the page's persistent address, mapping it if needed; one more user
     * of its slot. May sleep (on a full window); process context only, which the caller checks.
     */
    long kmapHigh(Page page) {
        int i = page.pfn() - highStart;
        kmapLock.lock();
        try {
            long vaddr = virt[i];
            if (vaddr == 0) {
                vaddr = mapNewVirtual(page, i);
            }
            int nr = layout.pkmapNr(VirtualLayout.low(vaddr));
            if (count[nr] < 1) {
                throw new KernelBug("kmap_high: " + page + " holds pkmap slot " + nr + " of count " + count[nr]);
            }
            count[nr]++;
            assert checkSlot(nr);
            return vaddr;
        } finally {
            kmapLock.unlock();
        }
    }

    /** {@code map_new_virtual}: kmapLock held; may drop it to sleep. */
    private long mapNewVirtual(Page page, int i) {
        for (;;) {
            int left = layout.lastPkmap;
            boolean found = false;
            while (left-- > 0) {
                lastPkmapNr = (lastPkmapNr + 1) & mask;
                if (lastPkmapNr == 0) {
                    flushAllZeroPkmaps();
                    left = layout.lastPkmap - 1; // the while test already counted this slot
                }
                if (count[lastPkmapNr] == 0) {
                    found = true;
                    break;
                }
            }
            if (found) {
                break;
            }
            // Every slot has users. Queue before dropping the lock: the kunmap that frees a slot
            // tests waitqueue_active under the same lock, so it cannot miss us.
            sleeps++;
            WaitQueue.Entry wait = pkmapMapWait.prepareToWait(false);
            kmapLock.unlock();
            try {
                pkmapMapWait.schedule(wait);
            } finally {
                pkmapMapWait.finishWait(wait);
                kmapLock.lock();
            }
            if (virt[i] != 0) {
                return virt[i]; // someone else mapped the page while we slept
            }
        }
        int nr = lastPkmapNr;
        long entry = Pte.install(pte.get(nr), page.pfn());
        pte.setRelease(nr, entry); // paired with the acquire in Highmem's translation
        count[nr] = 1;
        long vaddr = VirtualLayout.tagged(layout.pkmapAddr(nr), Pte.generation(entry));
        virt[i] = vaddr;
        newMappings++;
        return vaddr;
    }

    /** {@code flush_all_zero_pkmaps}: every slot of count 1 becomes free. kmapLock held. */
    private void flushAllZeroPkmaps() {
        for (int nr = 0; nr < count.length; nr++) {
            if (count[nr] != 1) {
                continue;
            }
            long old = pte.get(nr);
            if (Pte.none(old)) {
                throw new KernelBug("flush_all_zero_pkmaps: slot " + nr + " counts a mapping but its pte is none");
            }
            count[nr] = 0;
            pte.setRelease(nr, Pte.clear(old));
            virt[Pte.pfn(old) - highStart] = 0;
        }
        flushes++;
    }

    /**
     * {@code kunmap_high(page)}: one user fewer; at the last one the slot stays mapped (count 1)
     * until the next flush, and sleepers are woken. Never sleeps.
     *
     * @throws KernelBug if the page is not mapped or its slot has no user (nothing changes)
     */
    void kunmapHigh(Page page) {
        boolean wake = false;
        kmapLock.lock();
        try {
            long vaddr = virt[page.pfn() - highStart];
            if (vaddr == 0) {
                throw new KernelBug("kunmap of " + page + ", which is not kmapped");
            }
            int nr = layout.pkmapNr(VirtualLayout.low(vaddr));
            if (count[nr] < 2) {
                throw new KernelBug("kunmap of " + page + ": pkmap slot " + nr + " has no user left (unbalanced kunmap)");
            }
            if (--count[nr] == 1) {
                wake = pkmapMapWait.active();
            }
            assert checkSlot(nr);
        } finally {
            kmapLock.unlock();
        }
        if (wake) {
            pkmapMapWait.wakeUp();
        }
    }

    /** {@code page->virtual} of a highmem page: its tagged kmap address, or 0. */
    long pageVirtual(Page page) {
        kmapLock.lock();
        try {
            return virt[page.pfn() - highStart];
        } finally {
            kmapLock.unlock();
        }
    }

    /** The entry of slot {@code nr}; lock-free (acquire), for address translation. */
    long pte(int nr) {
        return pte.getAcquire(nr);
    }

    /** {@code pkmap_count[nr]}, under the lock: for tests and views. */
    int count(int nr) {
        kmapLock.lock();
        try {
            return count[nr];
        } finally {
            kmapLock.unlock();
        }
    }

    /** The users of the slot {@code page} holds (its count - 1), 0 if it holds none. */
    int users(Page page) {
        kmapLock.lock();
        try {
            long vaddr = virt[page.pfn() - highStart];
            return vaddr == 0 ? 0 : count[layout.pkmapNr(VirtualLayout.low(vaddr))] - 1;
        } finally {
            kmapLock.unlock();
        }
    }

    /** Slots by state: {free, mapped but unused, in use}. */
    int[] slotStates() {
        int[] s = new int[3];
        kmapLock.lock();
        try {
            for (int c : count) {
                s[Math.min(c, 2)]++;
            }
        } finally {
            kmapLock.unlock();
        }
        return s;
    }

    long flushes() {
        kmapLock.lock();
        try {
            return flushes;
        } finally {
            kmapLock.unlock();
        }
    }

    long sleeps() {
        kmapLock.lock();
        try {
            return sleeps;
        } finally {
            kmapLock.unlock();
        }
    }

    long newMappings() {
        kmapLock.lock();
        try {
            return newMappings;
        } finally {
            kmapLock.unlock();
        }
    }

    /** Sleepers on {@code pkmap_map_wait}. */
    int waiters() {
        return pkmapMapWait.waiters();
    }

    /**
     * The invariants of one slot, cheap enough for an {@code assert} at every kmap and kunmap
     * (the whole-window check is linear in the highmem pages). kmapLock held.
     */
    private boolean checkSlot(int nr) {
        long e = pte.get(nr);
        if (count[nr] < 1 || Pte.none(e)) {
            throw new AssertionError("pkmap slot " + nr + " in use with count " + count[nr] + " and pte "
                    + Long.toHexString(e));
        }
        long want = VirtualLayout.tagged(layout.pkmapAddr(nr), Pte.generation(e));
        if (virt[Pte.pfn(e) - highStart] != want) {
            throw new AssertionError("pkmap slot " + nr + " maps pfn " + Pte.pfn(e) + " whose virtual is not "
                    + Long.toHexString(want));
        }
        return true;
    }

    /** Checks the invariants of the class comment; takes kmapLock (reentrant from inside). */
    boolean checkInvariants() {
        kmapLock.lock();
        try {
            int mapped = 0;
            for (int nr = 0; nr < count.length; nr++) {
                long e = pte.get(nr);
                if (count[nr] < 0 || (count[nr] == 0) != Pte.none(e)) {
                    throw new AssertionError("pkmap slot " + nr + ": count " + count[nr] + " but pte " + Long.toHexString(e));
                }
                if (!Pte.none(e)) {
                    mapped++;
                    int pfn = Pte.pfn(e);
                    long want = VirtualLayout.tagged(layout.pkmapAddr(nr), Pte.generation(e));
                    if (pfn < highStart || virt[pfn - highStart] != want) {
                        throw new AssertionError("pkmap slot " + nr + " maps pfn " + pfn + " whose virtual is not "
                                + Long.toHexString(want));
                    }
                }
            }
            int withVirtual = 0;
            for (long v : virt) {
                if (v != 0) {
                    withVirtual++;
                }
            }
            if (withVirtual != mapped) {
                throw new AssertionError(withVirtual + " pages have a virtual address but " + mapped + " slots are mapped");
            }
            return true;
        } finally {
            kmapLock.unlock();
        }
    }

    Machine machine() {
        return machine;
    }
}
