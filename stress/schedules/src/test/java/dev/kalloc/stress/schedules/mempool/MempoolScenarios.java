// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.mempool;

import static dev.kalloc.stress.schedules.Threads.check;
import static dev.kalloc.stress.schedules.Threads.runAll;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The bodies the mempool schedule tests explore, one method per scenario, shared by the Fray
 * tests ({@link MempoolScheduleTest}) and the injected-bug tests. Each builds a fresh pool over a
 * {@link Stock} (so the underlying allocator can be run dry and every element counted), runs its
 * actors, and ends by checking that nothing was lost: the pool's invariants, no sleeper left on
 * its wait queue, and {@code mempool_destroy} handing every idle element back so that the stock
 * holds all it ever made.
 *
 * <p>Every allocation in them may sleep ({@code GFP_NOIO}): the paths under test are the pool's
 * wait queue and the refill that ends a sleep. Under 2.5.1 a schedule that loses a wake-up leaves
 * a thread parked forever (the sleep is untimed), which Fray reports as a deadlock. The modern
 * sleep is timed, and Fray ends a timed sleep only when no other thread can run; so there a lost
 * wake-up shows as a sleep ended by its timeout ({@link Mempool#waitTimeouts()}), which the final
 * check refuses: in these scenarios every element comes back through the pool, so a sleeper is
 * always woken by a free. The modern pools get a 1 ms timeout: under Fray its length only sets how
 * long such a schedule spins in real time before the timed wait returns (5 s with the default).
 */
public final class MempoolScenarios {
    private MempoolScenarios() {
    }

    private static Mempool<Stock.Elem> pool(String name, int minNr, Stock stock, MempoolPolicy policy) {
        Mempool<Stock.Elem> pool = Mempool.builder(name, minNr, stock, stock).policy(policy).create();
        check(pool != null, "the prefill of " + minNr + " failed");
        return pool;
    }

    /**
     * A sleeper woken by a free. The stock is dry and the pool's one element is out; one thread
     * allocates (and must sleep until the element comes back) while another frees the element.
     * Invariant: the sleeper gets exactly the freed element, whatever the interleaving of its
     * empty-pool check, its queueing and its re-check with the free's refill and wake-up.
     */
    public static void sleeperWokenByFree(MempoolPolicy policy) {
        Stock stock = new Stock(1);
        Mempool<Stock.Elem> pool = pool("sleeper", 1, stock, policy);
        Stock.Elem out = pool.alloc(Gfp.GFP_NOIO);
        AtomicReferenceArray<Stock.Elem> got = new AtomicReferenceArray<>(1);
        runAll(() -> got.set(0, pool.alloc(Gfp.GFP_NOIO)), () -> pool.free(out));
        check(got.get(0) == out, "the sleeper got " + got.get(0) + ", not the freed " + out);
        pool.free(got.get(0));
        destroyAndConserve(pool, stock);
    }

    /**
     * The wake-up hand-off. The stock is dry, the pool's one element is out, and two threads
     * allocate and free an element each. A third restocks the underlying allocator with one
     * element and then frees the pool's. Invariant: both sleepers get an element (the same one,
     * if the first frees it before the second wakes), and both return. Under 2.5.1 a free wakes one
     * exclusive sleeper; if that one takes the restocked element instead of the pool's, it must
     * hand the wake-up on, or the other sleeps forever beside an idle element (its own free goes
     * to the stock, as the pool is full, and wakes nobody).
     */
    public static void wakeupHandOff(MempoolPolicy policy) {
        Stock stock = new Stock(1);
        Mempool<Stock.Elem> pool = pool("handoff", 1, stock, policy);
        Stock.Elem out = pool.alloc(Gfp.GFP_NOIO);
        AtomicReferenceArray<Stock.Elem> got = new AtomicReferenceArray<>(2);
        runAll(() -> sleepThenFree(pool, got, 0), () -> sleepThenFree(pool, got, 1), () -> {
            stock.restock(1);
            pool.free(out);
        });
        check(got.get(0) != null && got.get(1) != null, "the sleepers got " + got.get(0) + " and " + got.get(1));
        destroyAndConserve(pool, stock);
    }

    private static void sleepThenFree(Mempool<Stock.Elem> pool, AtomicReferenceArray<Stock.Elem> got, int slot) {
        Stock.Elem e = pool.alloc(Gfp.GFP_NOIO);
        got.set(slot, e);
        pool.free(e);
    }

    /**
     * Element conservation through a concurrent resize. A pool of 2 with one idle element and
     * two out; two threads free those two while a third shrinks the pool to 1 and grows it back
     * to 2 (the stock has one element for the growth). Invariant: {@code curr_nr <= min_nr}
     * after every step (the pool asserts it at each change, and tests run with -ea), no element
     * is lost or duplicated, and the stock gets all of them back at destroy.
     */
    public static void resizeDuringFrees(MempoolPolicy policy) {
        Stock stock = new Stock(3);
        Mempool<Stock.Elem> pool = pool("resize", 2, stock, policy);
        Stock.Elem fromStock = pool.alloc(Gfp.GFP_NOIO);
        Stock.Elem a = pool.alloc(Gfp.GFP_NOIO);
        Stock.Elem b = pool.alloc(Gfp.GFP_NOIO);
        pool.free(fromStock);
        check(pool.currNr() == 1 && stock.inStock() == 0, "setup: curr_nr " + pool.currNr() + ", stock "
                + stock.inStock());
        stock.restock(1);
        runAll(() -> pool.free(a), () -> pool.free(b), () -> {
            pool.resize(1, Gfp.GFP_NOIO);
            pool.resize(2, Gfp.GFP_NOIO);
        });
        check(pool.minNr() == 2 && pool.currNr() <= 2, "after the resize: " + pool);
        destroyAndConserve(pool, stock);
    }

    /**
     * Two frees race for the pool's last free slot. A pool of 2 with one idle element and two
     * out; both are freed at once. Invariant: exactly one refills the pool and the other goes to
     * the stock (the loser's re-check under the lock sees the pool full), never both into a pool
     * of 2.
     */
    public static void twoFreesOneSlot(MempoolPolicy policy) {
        Stock stock = new Stock(3);
        Mempool<Stock.Elem> pool = pool("lastslot", 2, stock, policy);
        Stock.Elem fromStock = pool.alloc(Gfp.GFP_NOIO);
        Stock.Elem a = pool.alloc(Gfp.GFP_NOIO);
        Stock.Elem b = pool.alloc(Gfp.GFP_NOIO);
        pool.free(fromStock);
        runAll(() -> pool.free(a), () -> pool.free(b));
        check(pool.currNr() == 2 && stock.inStock() == 1, "after both frees: " + pool + ", stock "
                + stock.inStock());
        destroyAndConserve(pool, stock);
    }

    /**
     * The end of every scenario, with every element returned and every actor gone: the pool's
     * invariants hold, no sleep ended by its timeout (see the class comment), nobody is left on
     * its wait queue, {@code mempool_destroy} succeeds (it
     * refuses a pool with elements out or sleepers queued), and the stock then holds every
     * element it ever made.
     */
    public static void destroyAndConserve(Mempool<Stock.Elem> pool, Stock stock) {
        pool.checkInvariants();
        check(pool.waitTimeouts() == 0, pool + ": " + pool.waitTimeouts() + " sleep(s) ended by the timeout, not "
                + "woken by a free: a lost wake-up");
        check(pool.waiters() == 0, pool + ": " + pool.waiters() + " sleeper(s) still queued");
        check(pool.nrOut() == 0, pool + ": " + pool.nrOut() + " element(s) still out");
        pool.destroy();
        check(stock.inStock() == stock.made(), "after destroy the stock holds " + stock.inStock() + " of the "
                + stock.made() + " elements made");
    }
}
