// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page allocator's account of one page reservation: the {@code avail}, {@code used} and
 * {@code list} fields of {@code struct page_reservation} from Ben LaHaise's reservation patch
 * (2.4.3, May 2001; KERNEL-NOTES section 2), kept where LaHaise put them, in the page allocator,
 * and changed only under the zone locks. The reservation module's {@code Reservation} owns one;
 * {@link PageAllocator#reservePages}, {@link PageAllocator#allocFromReserve},
 * {@link PageAllocator#putReservedPages} and {@link PageAllocator#destroyReserve} work on it.
 *
 * <h2>Notation</h2>
 * For zone {@code z} of the account's zonelist:
 * <ul>
 *   <li>{@code avail[z]}: pages reserved in {@code z} and not yet allocated ("unused reserved
 *       pages"); counted in {@code z.reservedPages}, so hidden from ordinary allocations;</li>
 *   <li>{@code pending[z]}: pages repaid in {@code z} to an admission that is still waiting for
 *       the rest of its request; also counted in {@code z.reservedPages}, but not usable until
 *       the admission completes (so a timed-out admission can give them back: all or nothing);</li>
 *   <li>{@code used[z]}: pages allocated from the reservation in {@code z} and not yet freed
 *       (multishot) or ever allocated (oneshot: those are consumed);</li>
 *   <li>{@code debt}: the shortfall of the admission in progress, over all zones: Ben's
 *       {@code used} when it stands for pages promised but not yet found. Repaid page by page,
 *       FIFO among depleted accounts, by every event that raises a zone's
 *       {@code free + clean - reserved} above its {@code pages_min}.</li>
 * </ul>
 *
 * <h2>Invariants (checked by {@link Zone#checkInvariants()})</h2>
 * <ol>
 *   <li>{@code z.reservedPages = (pages reserved with Zone.addReservedPages)
 *       + sum over accounts of (avail[z] + pending[z])}.</li>
 *   <li>For a multishot account, {@code used[z]} equals the pages of {@code z} whose
 *       {@link Page#reserveAccount()} is this account.</li>
 *   <li>An account with {@code debt > 0} is on the depleted list of every zone of its
 *       zonelist.</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * {@code avail[z]}, {@code pending[z]}, {@code used[z]} and the depleted-list links of {@code z}
 * are guarded by {@code z.lock}. Operations that span the zonelist (admission, put, destroy,
 * completing or withdrawing an admission) take every zone lock of the zonelist in ascending zone
 * index, the only order in which kalloc ever holds two zone locks. {@code debt} is volatile and
 * decremented with a CAS, because repayers in two zones hold different locks; it is raised or
 * cleared only with every lock held. At most one admission per account is in progress at a time
 * ({@code admitting}, written with every lock held).
 *
 * <h2>Where it differs from the patch, and why</h2>
 * <ul>
 *   <li>The patch binds a reservation to one zone of node 0; an account here spans the zonelist
 *       of a gfp mask, as allocations do (its quota is granted highest zone first and may be
 *       spent in any of them).</li>
 *   <li>The patch keeps a multishot reservation on the depleted list while pages are out and
 *       refills it from any free in the zone. Here a page allocated from a multishot account
 *       records the account, and freeing it gives the quota back to exactly that account; the
 *       depleted list carries only admission shortfalls, so no other free is diverted.</li>
 *   <li>Quirk 1 of the posted code, {@code zone->reserved_pages} not raised when a free repays
 *       a shortfall: every repayment and every quota returned on free adds to
 *       {@code reservedPages} under the zone lock, with the page itself.</li>
 *   <li>Quirk 2, {@code rmqueue} lowering {@code reserved_pages} by 1 for a block of
 *       {@code 2^order}: an allocation from a reservation moves exactly {@code 2^order} from
 *       {@code avail} and {@code reservedPages} to {@code used}.</li>
 * </ul>
 */
public final class ReserveAccount {
    /** How an admission ({@link PageAllocator#reservePages}) ended. */
    public enum Admission {
        /** Granted at once from the zones' accounting. */
        GRANTED,
        /** Granted after the caller slept until frees (or releases) made up the shortfall. */
        GRANTED_AFTER_WAIT,
        /** Refused at once: the caller may not sleep and the pages were not there. Nothing changed. */
        REFUSED,
        /** The caller's timeout ran out first; what had been repaid was given back. Nothing changed. */
        TIMED_OUT
    }

    private static final VarHandle DEBT;

    static {
        try {
            DEBT = MethodHandles.lookup().findVarHandle(ReserveAccount.class, "debt", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Machine machine;
    private final String name;
    private final boolean multishot;
    /** The zonelist, in allocation (and grant) order: highest zone first. */
    final Zone[] zones;
    /** The same zones in ascending index: the order their locks are taken. */
    private final Zone[] lockOrder;

    final int[] avail = new int[Zone.MAX_NR_ZONES];
    final int[] pending = new int[Zone.MAX_NR_ZONES];
    final int[] used = new int[Zone.MAX_NR_ZONES];
    /** Depleted-list links, one pair per zone index, guarded by that zone's lock. */
    final ReserveAccount[] depletedNext = new ReserveAccount[Zone.MAX_NR_ZONES];
    final ReserveAccount[] depletedPrev = new ReserveAccount[Zone.MAX_NR_ZONES];
    final boolean[] onDepleted = new boolean[Zone.MAX_NR_ZONES];

    private volatile int debt;
    /** Destroyed: its pages still out are freed without quota. Written with every lock held. */
    volatile boolean dead;
    private boolean admitting;

    final LongAdder servedFree = new LongAdder();
    final LongAdder servedAfterDrop = new LongAdder();
    final LongAdder droppedClean = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder pinnedWaits = new LongAdder();

    /**
     * {@code init_page_reservation}: an empty account over the zonelist {@code zoneGfp} selects
     * (its zone modifier bits: {@code GFP_KERNEL} means Normal then DMA, {@code GFP_HIGHUSER}
     * HighMem, Normal, DMA, {@code GFP_DMA} DMA alone).
     *
     * @param multishot true for {@code RSV_MULTISHOT} (freed pages give their quota back), false
     *        for {@code RSV_ONESHOT} (allocations consume the quota)
     * @throws IllegalArgumentException for unknown gfp bits, or a zonelist with no populated zone
     */
    public ReserveAccount(Machine machine, String name, int zoneGfp, boolean multishot) {
        Gfp.check(zoneGfp);
        this.machine = machine;
        this.name = name;
        this.multishot = multishot;
        this.zones = machine.pageAlloc().zonelist(zoneGfp);
        if (zones.length == 0) {
            throw new IllegalArgumentException("reservation " + name + ": " + Gfp.toString(zoneGfp)
                    + " selects no populated zone on this machine");
        }
        this.lockOrder = zones.clone();
        Arrays.sort(lockOrder, (a, b) -> Integer.compare(a.index(), b.index()));
        for (Zone z : lockOrder) {
            z.lock.lock();
            try {
                z.accounts.add(this);
            } finally {
                z.lock.unlock();
            }
        }
    }

    public String name() {
        return name;
    }

    public Machine machine() {
        return machine;
    }

    /** {@code RSV_MULTISHOT}: freed pages give their quota back. */
    public boolean multishot() {
        return multishot;
    }

    /** The zones the account may hold quota in, highest first. */
    public Zone[] zones() {
        return zones.clone();
    }

    /** True once {@link PageAllocator#destroyReserve} ran. */
    public boolean isDead() {
        return dead;
    }

    /** Pages reserved and unused, all zones. Takes each zone lock in turn. */
    public int avail() {
        return sum(avail);
    }

    /** Pages reserved and unused in {@code z}. */
    public int avail(Zone z) {
        return read(avail, z);
    }

    /** Pages allocated from the account and not freed (multishot), or consumed (oneshot). */
    public int used() {
        return sum(used);
    }

    public int used(Zone z) {
        return read(used, z);
    }

    /** Pages repaid to the admission in progress and not yet usable. */
    public int pending() {
        return sum(pending);
    }

    /** The shortfall of the admission in progress; 0 when none is in progress. */
    public int debt() {
        return debt;
    }

    /** Allocations served from a free block of the reserve. */
    public long servedFree() {
        return servedFree.sum();
    }

    /** Allocations served after dropping clean page-cache pages. */
    public long servedAfterDrop() {
        return servedAfterDrop.sum();
    }

    /** Clean page-cache pages dropped to serve allocations from this account. */
    public long droppedClean() {
        return droppedClean.sum();
    }

    /** Allocations from the account that returned null (see {@link PageAllocator#allocFromReserve}). */
    public long failures() {
        return failures.sum();
    }

    /** Times an allocation slept because the only clean pages left were pinned. */
    public long pinnedWaits() {
        return pinnedWaits.sum();
    }

    private int sum(int[] counts) {
        int total = 0;
        for (Zone z : lockOrder) {
            total += read(counts, z);
        }
        return total;
    }

    private int read(int[] counts, Zone z) {
        z.lock.lock();
        try {
            return counts[z.index()];
        } finally {
            z.lock.unlock();
        }
    }

    /**
     * The most one admission can ask for: what the zones could ever hold beyond their emergency
     * pools, were every other page free.
     */
    long ceiling() {
        long total = 0;
        for (Zone z : zones) {
            total += Math.max(0, z.size() - z.pagesMin());
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------
    // Operations over the whole zonelist: every zone lock held, ascending index.
    // ---------------------------------------------------------------------------------------

    private void lockAll() {
        for (Zone z : lockOrder) {
            z.lock.lock();
        }
    }

    private void unlockAll() {
        for (int i = lockOrder.length - 1; i >= 0; i--) {
            lockOrder[i].lock.unlock();
        }
    }

    private void checkAliveLocked(String op) {
        if (dead) {
            throw new IllegalStateException(op + " on reservation " + name + ", which has been destroyed");
        }
    }

    /**
     * Steps 1 and 2 of {@code reserve_pages}: grants {@code count} pages now if the zones'
     * {@code free + clean - reserved - pages_min} covers them; otherwise refuses (nothing
     * changes) or, when {@code mayWait}, grants what is there as pending, records the rest as
     * debt and queues the account on every zone's depleted list.
     *
     * @return {@link Admission#GRANTED}, {@link Admission#REFUSED}, or null: debt recorded, the
     *         caller waits and then calls {@link #complete()} or {@link #withdraw()}
     */
    Admission admit(int count, boolean mayWait) {
        lockAll();
        try {
            checkAliveLocked("reserve_pages");
            if (admitting) {
                throw new IllegalStateException("reserve_pages on reservation " + name
                        + ": another admission for it is still waiting");
            }
            long reservable = 0;
            for (Zone z : zones) {
                reservable += z.reservableLocked();
            }
            if (reservable >= count) {
                grantLocked(count, avail);
                return Admission.GRANTED;
            }
            if (!mayWait) {
                return Admission.REFUSED;
            }
            int now = (int) reservable;
            grantLocked(now, pending);
            debt = count - now;
            admitting = true;
            for (Zone z : zones) {
                z.addDepletedLocked(this);
            }
            return null;
        } finally {
            unlockAll();
        }
    }

    /** Hands out {@code n} reservable pages, highest zone first, into {@code bucket}. */
    private void grantLocked(int n, int[] bucket) {
        for (Zone z : zones) {
            int take = Math.min(n, z.reservableLocked());
            if (take > 0) {
                bucket[z.index()] += take;
                z.reservedPages += take;
                assert z.invariantsHoldLocked();
                n -= take;
            }
        }
        assert n == 0 : "reservation " + name + ": granted past the reservable pages (" + n + " left)";
    }

    /**
     * Ends a waiting admission whose debt is paid: the pending pages become usable and the
     * account leaves the depleted lists.
     *
     * @return false if debt remains (the caller keeps waiting)
     */
    boolean complete() {
        lockAll();
        try {
            if (debt > 0) {
                return false;
            }
            finishAdmissionLocked(avail);
            return true;
        } finally {
            unlockAll();
        }
    }

    /**
     * Abandons a waiting admission: the pending pages go back to the zones, the debt is
     * forgiven, and depleted accounts of those zones are repaid from what was freed. If the debt
     * was paid meanwhile, completes it instead.
     *
     * @return true if withdrawn, false if it had completed
     */
    boolean withdraw() {
        lockAll();
        try {
            if (debt == 0) {
                finishAdmissionLocked(avail);
                return false;
            }
            debt = 0;
            finishAdmissionLocked(null);
            repayAllLocked();
            return true;
        } finally {
            unlockAll();
        }
    }

    /** Moves pending pages to {@code into}, or back to the zones when null; leaves the lists. */
    private void finishAdmissionLocked(int[] into) {
        for (Zone z : zones) {
            int i = z.index();
            if (into != null) {
                into[i] += pending[i];
            } else {
                z.reservedPages -= pending[i];
                assert z.invariantsHoldLocked();
            }
            pending[i] = 0;
            z.removeDepletedLocked(this);
        }
        admitting = false;
    }

    /**
     * Repays waiting admissions from whatever margin the zones have right now. A waiting
     * admission calls it after queueing: a page freed by a thread that read {@code nrDepleted}
     * as 0 just before this admission was queued reached the free lists without repaying
     * anyone, and no later free may come to repay it.
     */
    void repayNow() {
        lockAll();
        try {
            repayAllLocked();
        } finally {
            unlockAll();
        }
    }

    private void repayAllLocked() {
        for (Zone z : zones) {
            if (z.nrDepleted != 0) {
                z.repayDebtLocked();
            }
        }
    }

    /**
     * {@code put_reserved_pages}: gives back {@code count} unused pages, lowest zone first
     * (the scarcer memory returns first), then repays depleted accounts from them.
     *
     * @throws IllegalArgumentException if {@code count} is negative or more than is unused
     * @throws IllegalStateException if the account is dead
     */
    void put(int count) {
        lockAll();
        try {
            checkAliveLocked("put_reserved_pages");
            int unused = 0;
            for (Zone z : zones) {
                unused += avail[z.index()];
            }
            if (count < 0 || count > unused) {
                throw new IllegalArgumentException("put_reserved_pages(" + name + ", " + count + "): the reservation "
                        + "holds " + unused + " unused pages; a count must be in [0, " + unused + "]");
            }
            for (int k = zones.length - 1; k >= 0 && count > 0; k--) {
                Zone z = zones[k];
                int give = Math.min(count, avail[z.index()]);
                avail[z.index()] -= give;
                z.reservedPages -= give;
                assert z.invariantsHoldLocked();
                count -= give;
            }
            repayAllLocked();
        } finally {
            unlockAll();
        }
    }

    /**
     * {@code destroy_page_reservation}: gives back every unused page, leaves the zones, and marks
     * the account dead. Pages still allocated from it stay allocated; freeing them later returns
     * no quota.
     *
     * @throws IllegalStateException if already dead, or an admission for it is still waiting
     */
    void destroy() {
        lockAll();
        try {
            checkAliveLocked("destroy_page_reservation");
            if (admitting) {
                throw new IllegalStateException("destroy_page_reservation(" + name + "): an admission for it is "
                        + "still waiting");
            }
            for (Zone z : zones) {
                int i = z.index();
                z.reservedPages -= avail[i];
                avail[i] = 0;
                z.accounts.remove(this);
                assert z.invariantsHoldLocked();
            }
            dead = true;
            repayAllLocked();
        } finally {
            unlockAll();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Single-zone steps, under that zone's lock.
    // ---------------------------------------------------------------------------------------

    /**
     * Repays one page of debt into {@code z} if any is owed ({@code zone->depleted_rsv_list}
     * replenishment, with quirk 1 fixed by the caller raising {@code reservedPages}).
     *
     * @return true if a page was taken
     */
    boolean repayOneLocked(Zone z) {
        for (;;) {
            int d = debt;
            if (d == 0) {
                return false;
            }
            if (DEBT.compareAndSet(this, d, d - 1)) {
                pending[z.index()]++;
                return true;
            }
        }
    }

    /**
     * A block of {@code 2^order} allocated from this account in {@code z} was freed: the quota
     * comes back (multishot, still alive) or is written off (dead). The page is already back on
     * the free lists, under the same hold of {@code z.lock}.
     */
    void quotaReturnedLocked(Zone z, int pages) {
        int i = z.index();
        assert used[i] >= pages : "reservation " + name + ": freeing " + pages + " pages in " + z.name()
                + " but only " + used[i] + " were allocated from it";
        used[i] -= pages;
        if (!dead) {
            avail[i] += pages;
            z.reservedPages += pages;
        }
    }

    @Override
    public String toString() {
        return "reservation " + name + (multishot ? " (multishot)" : " (oneshot)") + (dead ? " (destroyed)" : "");
    }
}
