// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import dev.kalloc.page.PageReservation;
import dev.kalloc.page.ReserveAccount;
import dev.kalloc.page.Zone;
import java.time.Duration;
import java.util.StringJoiner;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code struct page_reservation} and its API from Ben LaHaise's reservation patch (Linux 2.4.3,
 * May 2001: {@code init_page_reservation}, {@code reserve_pages}, {@code put_reserved_pages},
 * {@code destroy_page_reservation}, {@code current->page_reservations}), with the refinement of
 * his 15 December 2001 mail: reserved memory is not idle, clean page-cache pages occupy it until
 * it is used, and "with a reservation in hand, an allocation from that reservation will never
 * fail".
 *
 * <p>Usage:
 * <pre>{@code
 * Reservations rs = Reservations.boot(machine);
 * Reservation rsv = rs.create("bio", Gfp.GFP_NOIO, Reservation.RSV_MULTISHOT);  // Normal, then DMA
 * rsv.reserve(Gfp.GFP_NOIO, 64);              // may sleep until 64 pages can be had without I/O
 * try (ReservationScope scope = rsv.enter()) {
 *     Page p = machine.pageAlloc().allocPages(Gfp.GFP_NOIO, 0);  // plain allocation: if the normal
 *     ...                                                        // passes fail, the reservation serves
 *     machine.pageAlloc().freePage(p);        // multishot: the quota comes back
 * }
 * rsv.destroy();
 * }</pre>
 *
 * <h2>Where the parts live</h2>
 * LaHaise's point was that reservations belong in the page allocator, and they are there: the
 * per-zone accounting ({@code reserved_pages}, the depleted list), admission, the allocation
 * branch in {@code __alloc_pages} and the quota returned by the free path are in
 * {@code dev.kalloc.page} ({@link PageAllocator#reservePages}, {@link PageAllocator#allocFromReserve},
 * {@link ReserveAccount}). This class is the object a user holds: it validates, keeps the scoped
 * per-task context, and counts. It implements {@link PageReservation}, the hook the allocator
 * calls, by handing the request to {@link PageAllocator#allocFromReserve} with its account.
 *
 * <h2>Notation</h2>
 * {@link #avail()}: pages reserved and unused. {@link #used()}: pages allocated from the
 * reservation and not freed (multishot) or allocated from it ever (oneshot: those are consumed).
 * {@link #debt()}: the shortfall of an admission that is waiting; {@link #pending()}: pages
 * already found for it, held back until it completes. Per zone F = free pages, C = clean
 * page-cache pages, R = unused reserved pages of all reservations.
 *
 * <h2>Invariants</h2>
 * <ol>
 *   <li>Per zone, R &lt;= F + C, across every transition (see {@link Zone}): an unused reserved
 *       page can always be produced without I/O, so an allocation within the quota never fails
 *       for want of memory.</li>
 *   <li>No overcommit: an admission grants only {@code F + C - R - pages_min}, summed over the
 *       zones of its zonelist; the emergency pool {@code pages_min} stays for atomic callers.</li>
 *   <li>Multishot: {@code avail + used} is what was reserved and not put back; a freed page's
 *       quota returns to exactly the reservation it came from.</li>
 *   <li>At a quiescent point {@code debt == 0} and {@code pending == 0}: an admission either
 *       completes or gives everything back.</li>
 * </ol>
 * {@link Reservations#checkInvariants()} checks them with the machine's own.
 *
 * <h2>Admission</h2>
 * Deterministic from the allocator's accounting: granted now if the pages are there; refused at
 * once, with nothing changed, for a mask without {@code __GFP_WAIT}; otherwise the caller sleeps
 * while later frees, writeback completions and released reservations repay the shortfall, FIFO
 * among waiting admissions (the patch's debt mechanism). {@link #reserve(int, int, Duration)}
 * bounds the wait.
 *
 * <h2>"Never fails", exactly</h2>
 * An order-0 allocation made inside a scope, within the quota the reservation holds in the
 * allocation's zones, always gets a page, without I/O: a free one, or a clean page-cache page
 * dropped on the spot; fault injection does not apply to it. The one wait: if at that instant
 * every clean page of the zone is pinned by an extra reference (or locked), a caller with
 * {@code __GFP_WAIT} sleeps until one is unpinned or a page is freed, and an atomic caller gets
 * null. Beyond the quota, outside its zones, or for an order above 0 on fragmented memory (a
 * reservation promises pages, not contiguity), the allocation carries on as an ordinary one.
 * The reservation's counters ({@link ReservationStats}) record every such case.
 *
 * <h2>When a thread ends inside a scope</h2>
 * The patch's {@code do_exit} drops {@code current->page_reservations} of an exiting task. Here
 * a scope ends with its thread: once the thread that opened it has terminated (an uncaught
 * exception, or a return without closing), the scope is dropped the next time the reservation
 * looks, which it does in {@link #destroy()}, {@link #scopes()} (so {@link #stats()} and the
 * {@code /proc} view), and {@link #reapExited()}, which any thread may call
 * ({@link Reservations#reapExited()} for all of them). So:
 * <ol>
 *   <li>A reservation entered by a thread that died can always be destroyed, and its scope
 *       count never stays raised by a dead thread; a thread that has been joined, or seen
 *       dead by {@link Thread#isAlive()}, is found dead: no timing, no sleep, no garbage
 *       collection is involved.</li>
 *   <li>The ended scope's task points at no reservation any more, and closing the scope
 *       afterwards is refused ({@link ReservationScope#endedWithThread()}).</li>
 *   <li>Pages the thread allocated from the reservation and still held are not freed, and their
 *       quota does not come back: pages belong to whoever holds them, not to a thread, and the
 *       thread may have handed them on (a bio to a completion thread); the kernel's
 *       {@code do_exit} does not free them either. They stay allocated and counted in
 *       {@link #used()}; whoever holds them frees them as usual (a multishot reservation then
 *       gets the quota back). If nobody holds them, they are leaked, as in the kernel; the
 *       reservation can still be destroyed, and a later free of such a page (with the page
 *       allocator) returns no quota.</li>
 *   <li>The reservation itself is not destroyed, unlike the patch's {@code do_exit}, which
 *       destroyed the task's reservation: here a reservation is shared by every task that
 *       enters it, and is destroyed by its owner.</li>
 *   <li>A live thread's scope is never ended from another thread: the task's
 *       {@code page_reservations} is that thread's own, unsynchronised state, as it is the
 *       task's own in the kernel. A thread pool's worker that returns from a job without
 *       closing its scope keeps it, and its next jobs run under the reservation; destroy names
 *       such threads when it refuses.</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>The account's counts are guarded by the zone locks (see {@link ReserveAccount}).</li>
 *   <li>{@code admissionLock} serialises {@link #reserve} calls on one reservation (the patch
 *       allows one shortfall per reservation); it is held while the caller sleeps, and only by
 *       reserve. {@link #put} and {@link #destroy} do not wait for it: put works while an
 *       admission waits, destroy is refused then.</li>
 *   <li>{@code stateLock} orders {@link #enter()} against {@link #destroy()}: a reservation is
 *       never destroyed while a scope of a live thread is open. It guards the list of open
 *       scopes, which a close unlinks from and which {@link #reapExited()} walks.</li>
 *   <li>Allocation from the reservation ({@link #allocFromReservation}) takes neither: only the
 *       zone locks (and the page cache lock when it drops clean pages).</li>
 * </ul>
 *
 * <h2>Where it differs from the patch, and why</h2>
 * <ul>
 *   <li>A reservation spans the zonelist of a gfp mask (the patch bound one zone of node 0 and
 *       noted that this does not work on NUMA), so one reservation serves allocations as they
 *       fall back.</li>
 *   <li>Clean page-cache pages count as reservable and may occupy reserved pages (the December
 *       refinement); ordinary allocations see {@code F - max(0, R - C)} free pages, dirtying a
 *       clean page is throttled, and an allocation from a reservation drops a clean page
 *       synchronously when no page is free.</li>
 *   <li>The patch grants what is free at once and sets {@code pages_min} aside while a shortfall
 *       lasts; here a shortfall is held pending (not usable) until complete, so a timed-out
 *       admission changes nothing, and every page that raises a zone's margin goes to the
 *       waiting admissions at once, which makes the {@code pages_min} bump unnecessary.</li>
 *   <li>Pages allocated from a multishot reservation record it, so a free gives the quota back
 *       to that reservation; the patch refilled the first depleted reservation from any free.
 *       The two accounting quirks of the posted code are fixed in the allocator (see
 *       {@link ReserveAccount}): the zone's reserved count rises on every repayment, and an
 *       allocation of {@code 2^order} pages lowers it by {@code 2^order}, not 1.</li>
 *   <li>No global {@code irq_rsv}, {@code swap_rsv} or {@code atomic_rsv}, and
 *       {@code pages_min} is kept: users create and enter their own reservations, and
 *       {@code __GFP_HIGH} callers keep the emergency pool as in mainline.</li>
 *   <li>The patch poisons a destroyed reservation with 0x57 bytes; here every later use throws an
 *       {@link IllegalStateException}, {@link #freePages} included. Pages still allocated from it
 *       stay valid; freeing them with the page allocator returns no quota.</li>
 *   <li>The patch's {@code do_exit} destroys the exiting task's reservation; here the thread's
 *       scopes end and the reservation stays (see above).</li>
 *   <li>Only the innermost scope's reservation is tried ({@code current->page_reservations} is
 *       one pointer); an exhausted inner reservation does not fall back to an outer one.</li>
 * </ul>
 */
public final class Reservation implements PageReservation {
    /** {@code RSV_ONESHOT}: pages allocated from the reservation consume its quota. */
    public static final int RSV_ONESHOT = 0x00;
    /** {@code RSV_MULTISHOT}: a freed page gives its quota back; the reservation replenishes itself. */
    public static final int RSV_MULTISHOT = 0x01;

    private final Reservations registry;
    private final Machine machine;
    private final PageAllocator pageAlloc;
    private final String name;
    private final int flags;
    private final int zoneBits;
    private final ReserveAccount account;

    private final ReentrantLock admissionLock = new ReentrantLock();
    private final ReentrantLock stateLock = new ReentrantLock();
    /** Open scopes on any task, newest first, linked through the scopes; under {@code stateLock}. */
    private ReservationScope openScopes;
    /** The length of {@code openScopes}; under {@code stateLock}. */
    private int scopes;
    /** Scopes ended because their thread terminated inside them; under {@code stateLock}. */
    private long endedWithThread;
    private volatile boolean destroyed;

    Reservation(Reservations registry, String name, int zoneGfp, int flags) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a reservation needs a name");
        }
        if (flags != RSV_ONESHOT && flags != RSV_MULTISHOT) {
            throw new IllegalArgumentException("reservation " + name
                    + ": flags must be RSV_ONESHOT or RSV_MULTISHOT, got " + flags);
        }
        this.registry = registry;
        this.machine = registry.machine();
        this.pageAlloc = machine.pageAlloc();
        this.name = name;
        this.flags = flags;
        this.zoneBits = Gfp.check(zoneGfp) & Gfp.GFP_ZONEMASK;
        this.account = new ReserveAccount(machine, name, zoneGfp, flags == RSV_MULTISHOT);
    }

    // ---------------------------------------------------------------------------------------
    // reserve_pages, put_reserved_pages, destroy_page_reservation
    // ---------------------------------------------------------------------------------------

    /**
     * {@code reserve_pages(rsv, gfp_mask, count)}: reserves {@code count} more pages, all or
     * nothing, in this reservation's zones.
     *
     * <p>Context: with {@code __GFP_WAIT} in {@code gfp} it may sleep, for as long as it takes,
     * until frees make the pages available (not from interrupt context), and then always returns
     * true; without, it never sleeps. Calls on one reservation are served one at a time.
     *
     * @param gfp whether the caller may sleep, reclaim, start I/O; its zone bits, if any, must be
     *        the reservation's
     * @param count pages; 0 is granted at once
     * @return true if granted; false if refused at once (nothing changed)
     * @throws IllegalArgumentException for a negative count, one the zones could never hold
     *         beyond their {@code pages_min}, unknown gfp bits, or other zone bits
     * @throws IllegalStateException if the reservation has been destroyed
     * @throws KernelBug for a sleeping request from interrupt context
     */
    public boolean reserve(int gfp, int count) {
        return admit(gfp, count, Long.MAX_VALUE);
    }

    /**
     * {@link #reserve(int, int)} with a bound on the sleep: if the pages are not all there when
     * {@code timeout} has passed, what had been found goes back and false is returned.
     *
     * @return true if granted; false if refused, or timed out (nothing changed either way)
     */
    public boolean reserve(int gfp, int count, Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("reserve_pages(" + name + "): negative timeout " + timeout);
        }
        return admit(gfp, count, timeout.toNanos());
    }

    private boolean admit(int gfp, int count, long timeoutNanos) {
        Gfp.check(gfp);
        if ((gfp & Gfp.GFP_ZONEMASK) != 0 && (gfp & Gfp.GFP_ZONEMASK) != zoneBits) {
            throw new IllegalArgumentException("reserve_pages(" + name + ", " + Gfp.toString(gfp)
                    + "): the zone bits differ from the reservation's (" + Gfp.toString(zoneBits) + ")");
        }
        checkAlive("reserve_pages");
        admissionLock.lock();
        try {
            checkAlive("reserve_pages");
            long start = System.nanoTime();
            ReserveAccount.Admission result = pageAlloc.reservePages(account, gfp, count, timeoutNanos);
            registry.countAdmission(result, System.nanoTime() - start);
            return result == ReserveAccount.Admission.GRANTED || result == ReserveAccount.Admission.GRANTED_AFTER_WAIT;
        } finally {
            admissionLock.unlock();
        }
    }

    /**
     * {@code put_reserved_pages(rsv, count)}: gives {@code count} unused reserved pages back to
     * the system and wakes admissions waiting for pages. Never sleeps; any context.
     *
     * @throws IllegalArgumentException if {@code count} is negative or more than {@link #avail()}
     *         (nothing changed)
     * @throws IllegalStateException if the reservation has been destroyed
     */
    public void put(int count) {
        checkAlive("put_reserved_pages");
        pageAlloc.putReservedPages(account, count);
    }

    /**
     * {@code destroy_page_reservation(rsv)}: gives every unused page back, wakes admissions
     * waiting for pages, and retires the reservation. First it ends the scopes of threads that
     * terminated inside one ({@link #reapExited()}), so a thread that died in a scope never
     * keeps the reservation from being destroyed. Pages still allocated from it stay valid and
     * allocated; freeing them with the page allocator later returns no quota. Never sleeps.
     *
     * @throws IllegalStateException if already destroyed, entered by an open scope of a live
     *         thread, or an admission for it is still waiting (nothing changed but the ending of
     *         dead threads' scopes)
     */
    public void destroy() {
        stateLock.lock();
        try {
            checkAlive("destroy_page_reservation");
            reapExitedLocked();
            if (scopes != 0) {
                throw new IllegalStateException("destroy_page_reservation(" + name + "): " + scopes
                        + " scope(s) of live threads still have it entered (" + scopeThreadsLocked()
                        + "); close them first");
            }
            pageAlloc.destroyReserve(account);
            destroyed = true;
        } finally {
            stateLock.unlock();
        }
        registry.retired(this);
    }

    private void checkAlive(String op) {
        if (destroyed) {
            throw new IllegalStateException(op + " on reservation " + name + ", which has been destroyed");
        }
    }

    // ---------------------------------------------------------------------------------------
    // The scoped context: current->page_reservations
    // ---------------------------------------------------------------------------------------

    /**
     * Makes this the calling task's reservation until the returned scope is closed: allocations
     * the task makes meanwhile (pages, slab growth, anything below) fall back to it when the
     * normal watermark passes fail. Scopes nest; closing one restores the reservation that was in
     * force before it. If the thread terminates without closing the scope, the scope ends with
     * it (see the class comment). Never sleeps; any context (the patch swapped {@code irq_rsv}
     * in at interrupt entry).
     *
     * @throws IllegalStateException if the reservation has been destroyed
     */
    public ReservationScope enter() {
        Task task = machine.current();
        ReservationScope scope = new ReservationScope(this, task, Thread.currentThread(), task.get(PageReservation.SLOT));
        stateLock.lock();
        try {
            checkAlive("enter");
            linkScopeLocked(scope);
        } finally {
            stateLock.unlock();
        }
        task.set(PageReservation.SLOT, this);
        return scope;
    }

    void scopeClosed(ReservationScope scope) {
        stateLock.lock();
        try {
            unlinkScopeLocked(scope);
            scope.markClosed();
        } finally {
            stateLock.unlock();
        }
    }

    /**
     * {@code do_exit}'s drop of {@code current->page_reservations}, for every thread that
     * terminated inside one of this reservation's scopes: each such scope is ended (see the class
     * comment), and the dead task no longer points at any reservation. Scopes of live threads are
     * untouched. Deterministic: a thread whose {@link Thread#join()} has returned (or for which
     * {@link Thread#isAlive()} has returned false) is always found dead here. Never sleeps; any
     * context; works on a destroyed reservation too (it has no scopes).
     *
     * @return how many scopes were ended by this call
     */
    public int reapExited() {
        stateLock.lock();
        try {
            return reapExitedLocked();
        } finally {
            stateLock.unlock();
        }
    }

    private int reapExitedLocked() {
        int ended = 0;
        for (ReservationScope s = openScopes, next; s != null; s = next) {
            next = s.nextOpen;
            // isAlive() false synchronizes-with the thread's last action (JLS 17.4.4), so its
            // task's fields may be written here.
            if (!s.thread().isAlive()) {
                unlinkScopeLocked(s);
                s.endWithThread();
                ended++;
            }
        }
        endedWithThread += ended;
        return ended;
    }

    private void linkScopeLocked(ReservationScope scope) {
        scope.nextOpen = openScopes;
        if (openScopes != null) {
            openScopes.prevOpen = scope;
        }
        openScopes = scope;
        scopes++;
    }

    private void unlinkScopeLocked(ReservationScope scope) {
        if (scope.prevOpen != null) {
            scope.prevOpen.nextOpen = scope.nextOpen;
        } else {
            openScopes = scope.nextOpen;
        }
        if (scope.nextOpen != null) {
            scope.nextOpen.prevOpen = scope.prevOpen;
        }
        scope.prevOpen = null;
        scope.nextOpen = null;
        scopes--;
    }

    /** The threads of the open scopes, for messages; under {@code stateLock}. */
    private String scopeThreadsLocked() {
        StringJoiner j = new StringJoiner(", ");
        for (ReservationScope s = openScopes; s != null; s = s.nextOpen) {
            j.add(s.thread().getName());
        }
        return j.toString();
    }

    /**
     * Checks that the open-scope list and its count agree; for {@link Reservations#checkInvariants()}.
     *
     * @throws AssertionError if they do not
     */
    void checkScopes() {
        stateLock.lock();
        try {
            int n = 0;
            for (ReservationScope s = openScopes; s != null; s = s.nextOpen) {
                if (s.nextOpen != null && s.nextOpen.prevOpen != s) {
                    throw new AssertionError(this + ": open-scope list broken after " + s);
                }
                n++;
            }
            if (n != scopes || (destroyed && n != 0)) {
                throw new AssertionError(this + ": " + n + " scopes on the open list, count says " + scopes
                        + (destroyed ? " (destroyed)" : ""));
            }
        } finally {
            stateLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Allocation and free
    // ---------------------------------------------------------------------------------------

    /**
     * The allocator's hook: serves an allocation the normal passes failed from this reservation
     * (see {@link PageAllocator#allocFromReserve} for exactly when that can return null). Called
     * by {@code __alloc_pages} for a task inside one of this reservation's scopes; not meant to
     * be called directly.
     */
    @Override
    public Page allocFromReservation(int gfp, int order, Zone[] zonelist) {
        return pageAlloc.allocFromReserve(account, gfp, order, zonelist);
    }

    /**
     * {@code __free_pages} of a block allocated from this (multishot) reservation, with a check
     * the plain free cannot make: that the block was allocated from it. The quota goes back.
     *
     * @throws IllegalArgumentException if the block is not one allocated from this reservation
     *         (a page from the ordinary pools or another reservation, or one already freed);
     *         nothing changed
     * <p>Null is a bug, as {@code __free_pages(NULL)} is in the kernel (it oopses): there is no
     * "nothing" form here, unlike {@code free_pages(0)}.
     *
     * <p>After {@link #destroy()} the reservation refuses, like every other use, and the block
     * stays allocated: free it with the page allocator, which returns no quota. A destroy racing
     * with this call may still come first; the block is then freed as the page allocator frees
     * a destroyed reservation's page, with no quota.
     *
     * @throws IllegalStateException if the reservation has been destroyed, or for a oneshot
     *         reservation, whose pages are consumed; nothing changed
     * @throws KernelBug for a null page, or anything the page allocator rejects (wrong order,
     *         references left)
     */
    public void freePages(Page page, int order) {
        if (page == null) {
            throw new KernelBug("freeing NULL to reservation " + name + ": no block to free");
        }
        if (destroyed) {
            throw new IllegalStateException("freeing " + page + " to reservation " + name + ", which has been "
                    + "destroyed: the block stays allocated; free it with the page allocator (no quota returns)");
        }
        if (flags != RSV_MULTISHOT) {
            throw new IllegalStateException("reservation " + name + " is oneshot: its pages are consumed; free them "
                    + "with the page allocator");
        }
        if (page.reserveAccount() != account) {
            throw new IllegalArgumentException("freeing " + page + " to reservation " + name + ", but it was not "
                    + "allocated from it" + (page.reserveAccount() == null ? "" : " (it belongs to "
                    + page.reserveAccount() + ")") + "; " + used() + " pages are out from " + name);
        }
        pageAlloc.freePages(page, order);
    }

    // ---------------------------------------------------------------------------------------
    // State
    // ---------------------------------------------------------------------------------------

    public String name() {
        return name;
    }

    /** {@link #RSV_ONESHOT} or {@link #RSV_MULTISHOT}. */
    public int flags() {
        return flags;
    }

    public boolean isMultishot() {
        return flags == RSV_MULTISHOT;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    public Machine machine() {
        return machine;
    }

    /** The page allocator's account of this reservation. */
    public ReserveAccount account() {
        return account;
    }

    /** The zones the reservation may hold pages in, highest first. */
    public Zone[] zones() {
        return account.zones();
    }

    /** The zones as "Normal,DMA". */
    public String zoneNames() {
        StringJoiner j = new StringJoiner(",");
        for (Zone z : account.zones()) {
            j.add(z.name());
        }
        return j.toString();
    }

    /** Pages reserved and not allocated. */
    public int avail() {
        return account.avail();
    }

    /** Pages allocated from the reservation and not freed (multishot), or ever (oneshot). */
    public int used() {
        return account.used();
    }

    /** Shortfall of the admission waiting now; 0 when none waits. */
    public int debt() {
        return account.debt();
    }

    /** Pages found for the admission waiting now, not usable until it completes. */
    public int pending() {
        return account.pending();
    }

    /**
     * Scopes open on this reservation, on live threads: those of terminated threads are ended
     * first ({@link #reapExited()}).
     */
    public int scopes() {
        stateLock.lock();
        try {
            reapExitedLocked();
            return scopes;
        } finally {
            stateLock.unlock();
        }
    }

    /** Scopes ended so far because their thread terminated inside them. */
    public long scopesEndedWithThread() {
        stateLock.lock();
        try {
            return endedWithThread;
        } finally {
            stateLock.unlock();
        }
    }

    /** A snapshot of the counts, for the /proc view. */
    public ReservationStats stats() {
        return new ReservationStats(name, flags == RSV_MULTISHOT, zoneNames(), avail(), pending(), used(), debt(),
                scopes(), account.servedFree(), account.servedAfterDrop(), account.failures(), account.pinnedWaits(),
                account.droppedClean());
    }

    @Override
    public String toString() {
        return "reservation " + name + " (" + (isMultishot() ? "multishot" : "oneshot") + ", " + zoneNames()
                + (destroyed ? ", destroyed" : "") + ")";
    }
}
