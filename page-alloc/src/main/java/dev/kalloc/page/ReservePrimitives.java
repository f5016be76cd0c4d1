// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.kernel.WaitQueue;
import java.util.concurrent.TimeUnit;

/**
 * Ben LaHaise's page reservation primitives (his December 2001 patch to mm/page_alloc.c):
 * {@code reserve_pages} (admission), {@code put_reserved_pages}, {@code destroy_page_reservation},
 * and the branch of {@code __alloc_pages} that takes a block from a reservation. The public API
 * and its contracts are {@link PageAllocator}'s ({@link PageAllocator#reservePages},
 * {@link PageAllocator#allocFromReserve}, {@link PageAllocator#putReservedPages},
 * {@link PageAllocator#destroyReserve}); this class is their implementation, apart from the
 * buddy allocator's passes because only a task with a reservation in force, or the reservation
 * module itself, ever reaches it.
 *
 * <h2>Invariants it keeps</h2>
 * <ol>
 *   <li>R &lt;= F + C in every zone (Zone's invariant 5): an admission grants only what
 *       {@code F + C - R - pages_min} allows, under every zone lock of its zonelist, and owes the
 *       rest; an allocation from the quota lowers R and F together, or drops a clean page (C to
 *       F) first.</li>
 *   <li>An allocation from a reservation never waits for I/O: it takes a free block or drops a
 *       clean page synchronously; it sleeps only while every clean page it could drop is pinned,
 *       and then for a pin to go, not for writeback.</li>
 *   <li>No lost wake-up: every sleeper queues on {@code allocWait} first, then re-tests what it
 *       waits for (the debt; the backing and writeback events and a free block of the order),
 *       and every event that could change it bumps its counter or wakes the queue after
 *       changing the state.</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * No state of its own: the accounts' per-zone fields and each zone's R are guarded by the zone
 * locks ({@link ReserveAccount}, {@link Zone}), the wait queue and the event counters are the
 * allocator's. Lock order as everywhere: page cache lock, then zone locks in ascending index.
 */
final class ReservePrimitives {
    /** Ben's {@code reserve_pages} tries {@code try_to_free_pages} this many times. */
    static final int ADMISSION_RECLAIM_ROUNDS = 4;

    private final Machine machine;
    private final PageAllocator pa;

    ReservePrimitives(Machine machine, PageAllocator pa) {
        this.machine = machine;
        this.pa = pa;
    }

    /**
     * {@code reserve_pages}, for {@link PageAllocator#reservePages}: checks, then the admission
     * under the zone locks ({@link ReserveAccount#admit}), then the wait for a shortfall.
     */
    ReserveAccount.Admission reservePages(ReserveAccount account, int gfp, int count, long timeoutNanos) {
        Gfp.check(gfp);
        checkAccount(account);
        if (count < 0) {
            throw new IllegalArgumentException("reserve_pages(" + account.name() + ", " + count
                    + "): a negative count");
        }
        if (count > account.ceiling()) {
            throw new IllegalArgumentException("reserve_pages(" + account.name() + ", " + count + "): the zones "
                    + "could never hold it; they have " + account.ceiling() + " pages beyond their pages_min");
        }
        boolean mayWait = (gfp & Gfp.__GFP_WAIT) != 0;
        Task task = machine.current();
        if (mayWait && task.inInterrupt()) {
            throw new KernelBug("sleeping reserve_pages (" + Gfp.toString(gfp) + ") from interrupt context in "
                    + task);
        }
        ReserveAccount.Admission now = account.admit(count, mayWait);
        if (now != null) {
            return now;
        }
        return awaitAdmission(account, gfp, timeoutNanos, task);
    }

    /**
     * The sleeping half of {@code reserve_pages}: a few direct-reclaim rounds, one drain of the
     * per-CPU lists, then sleeps on {@code allocWait} until the debt is repaid or the deadline
     * passes (the pages repaid so far then go back).
     */
    private ReserveAccount.Admission awaitAdmission(ReserveAccount account, int gfp, long timeoutNanos, Task task) {
        long deadline = saturatedDeadline(timeoutNanos);
        int rounds = 0;
        boolean drained = false;
        for (;;) {
            if (account.debt() == 0 && account.complete()) {
                return ReserveAccount.Admission.GRANTED_AFTER_WAIT;
            }
            if (rounds < ADMISSION_RECLAIM_ROUNDS) {
                rounds++;
                pa.directReclaim(account.zones[0], gfp, 0, task);
                continue;
            }
            if (!drained) {
                drained = true;
                pa.drainAllPages(); // pages parked on per-CPU lists are free too: the drain repays
                continue;
            }
            WaitQueue.Entry wait = pa.allocWait.prepareToWait(false);
            try {
                // Queued, then collect what is already there: pages on per-CPU lists, and
                // margin left by frees that raced the admission (they saw no debt to repay).
                // Any free after this point finds us queued and wakes us.
                // Test-only (InjectedBug): a schedule test may remove the collection and re-test.
                boolean recheck = InjectedBug.active != InjectedBug.NO_ADMISSION_RECHECK;
                if (recheck) {
                    pa.drainAllPages();
                    account.repayNow();
                }
                // Re-test: a repayment lowers the debt before it wakes the queue.
                if (!recheck || account.debt() != 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        if (account.withdraw()) {
                            pa.wakeAllocWaiters(); // what was pending may repay someone else
                            return ReserveAccount.Admission.TIMED_OUT;
                        }
                        return ReserveAccount.Admission.GRANTED_AFTER_WAIT;
                    }
                    if (timeoutNanos == Long.MAX_VALUE) {
                        pa.allocWait.schedule(wait);
                    } else {
                        pa.allocWait.scheduleTimeout(wait, left, TimeUnit.NANOSECONDS);
                    }
                }
            } finally {
                pa.allocWait.finishWait(wait);
            }
        }
    }

    private static long saturatedDeadline(long timeoutNanos) {
        long now = System.nanoTime();
        return timeoutNanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeoutNanos;
    }

    /** {@code put_reserved_pages}, for {@link PageAllocator#putReservedPages}. */
    void putReservedPages(ReserveAccount account, int count) {
        checkAccount(account);
        account.put(count);
        pa.wakeAllocWaiters();
    }

    /** {@code destroy_page_reservation}, for {@link PageAllocator#destroyReserve}. */
    void destroyReserve(ReserveAccount account) {
        checkAccount(account);
        account.destroy();
        pa.wakeAllocWaiters();
    }

    private void checkAccount(ReserveAccount account) {
        if (account.machine() != machine) {
            throw new IllegalArgumentException(account + " belongs to another machine");
        }
    }

    /**
     * The reservation branch of {@code __alloc_pages}, for {@link PageAllocator#allocFromReserve}:
     * a free block of the quota, else clean pages dropped until one is free, else (only pinned
     * clean pages left, and the caller may sleep) a wait for a pin to go.
     */
    Page allocFromReserve(ReserveAccount account, int gfp, int order, Zone[] zonelist) {
        pa.checkOrder(order);
        Gfp.check(gfp);
        checkAccount(account);
        boolean mayWait = (gfp & Gfp.__GFP_WAIT) != 0;
        if (mayWait && machine.current().inInterrupt()) {
            throw new KernelBug("sleeping allocation from " + account + " (" + Gfp.toString(gfp) + ", order "
                    + order + ") from interrupt context");
        }
        boolean drained = false;
        boolean registered = false;
        try {
            for (;;) {
                long seen = pa.backingEvents.get() + pa.writebackEvents.get();
                Page page = takeReserved(account, order, zonelist);
                if (page != null) {
                    account.servedFree.increment();
                    return page;
                }
                if (!drained) {
                    drained = true;
                    if (pa.drainAllPages() > 0) {
                        continue;
                    }
                }
                page = dropCleanAndTake(account, order, zonelist);
                if (page != null) {
                    account.servedAfterDrop.increment();
                    return page;
                }
                if (!mayWait || !onlyPinnedLeft(account, order, zonelist)) {
                    account.failures.increment();
                    return null;
                }
                if (!registered) {
                    // Registered before the next look, so an unpin after that look bumps the events.
                    registered = true;
                    pa.backingWaiters.incrementAndGet();
                    continue;
                }
                account.pinnedWaits.increment();
                waitForBacking(account, order, zonelist, seen);
                drained = false; // a free meanwhile may have gone to a per-CPU list
            }
        } finally {
            if (registered) {
                pa.backingWaiters.decrementAndGet();
            }
        }
    }

    /** A free block from the quota, zone by zone, each under its lock; null if none is free. */
    private Page takeReserved(ReserveAccount account, int order, Zone[] zonelist) {
        int pages = 1 << order;
        for (Zone z : zonelist) {
            if (account.avail[z.index()] < pages) {
                continue; // a racy look; the test that counts is made under the lock
            }
            z.lock.lock();
            try {
                Page page = z.takeReservedLocked(account, order);
                if (page != null) {
                    return page;
                }
            } finally {
                z.lock.unlock();
            }
        }
        return null;
    }

    /**
     * {@code reclaimCleanPage} until a block is free, then takes it, under one hold of the page
     * cache lock and the zone lock (that order), so nobody takes the dropped page first.
     */
    private Page dropCleanAndTake(ReserveAccount account, int order, Zone[] zonelist) {
        int pages = 1 << order;
        PageCache cache = machine.pageCache();
        for (Zone z : zonelist) {
            if (account.avail[z.index()] < pages) {
                continue;
            }
            int dropped = 0;
            Page page = null;
            cache.lock.lock();
            try {
                z.lock.lock();
                try {
                    while ((page = z.takeReservedLocked(account, order)) == null && account.avail[z.index()] >= pages) {
                        if (!cache.dropCleanForReserveLocked(z)) {
                            break;
                        }
                        dropped++;
                    }
                } finally {
                    z.lock.unlock();
                }
            } finally {
                cache.lock.unlock();
            }
            account.droppedClean.add(dropped);
            if (page != null) {
                return page;
            }
        }
        return null;
    }

    /** True if a zone with quota for the request still counts clean pages none of which could go. */
    private static boolean onlyPinnedLeft(ReserveAccount account, int order, Zone[] zonelist) {
        for (Zone z : zonelist) {
            if (account.avail[z.index()] >= 1 << order && z.nrCleanReclaimable() > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sleeps until a block may be takeable: queue, then re-test what the look saw (a free block
     * of the order in a zone with quota, not just enough free pages, or an order above 0 on
     * fragmented memory would spin; unpins, additions and writeback completions since
     * {@code seen}). A free
     * raises {@code free_pages} before it tests the queue; an unpin bumps the events before it
     * does; so either the re-test sees the change or the waker sees the sleeper.
     */
    private void waitForBacking(ReserveAccount account, int order, Zone[] zonelist, long seen) {
        WaitQueue.Entry wait = pa.allocWait.prepareToWait(false);
        try {
            if (pa.backingEvents.get() + pa.writebackEvents.get() != seen) {
                return;
            }
            for (Zone z : zonelist) {
                // freePages is read first (volatile): a free that raised it made its list change
                // visible, so the unlocked look for a block of the order is not stale.
                if (account.avail[z.index()] >= 1 << order && z.freePages() >= 1 << order
                        && z.hasFreeBlockUnlocked(order)) {
                    return;
                }
            }
            pa.allocWait.schedule(wait);
        } finally {
            pa.allocWait.finishWait(wait);
        }
    }
}
