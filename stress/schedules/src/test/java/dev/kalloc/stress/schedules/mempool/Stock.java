// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.mempool;

import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import java.util.ArrayDeque;

/**
 * The underlying allocator of the schedule tests: a fixed stock of numbered elements, so that
 * a schedule can run the allocator dry and every element stays accounted for. An allocation
 * takes one from the stock or fails (never sleeps, whatever the gfp); a free puts one back.
 * {@link #restock} adds elements, as a reclaim or a free elsewhere in the system would.
 *
 * <p>Conservation, the invariant the tests check at the end of every schedule:
 * {@code made == inStock() + idle in the pool + held by threads}.
 *
 * <p>Thread safety: every method locks the stock's monitor (which Fray schedules like any
 * other lock), and no pool lock is ever held while it runs.
 */
final class Stock implements MempoolAllocFn<Stock.Elem>, MempoolFreeFn<Stock.Elem> {
    /** One element; the id says which {@link #restock} made it. */
    static final class Elem {
        final int id;

        Elem(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "elem#" + id;
        }
    }

    private final ArrayDeque<Elem> stock = new ArrayDeque<>();
    private int made;

    Stock(int initial) {
        restock(initial);
    }

    /** Makes {@code n} new elements available to the next allocations. */
    synchronized void restock(int n) {
        for (int i = 0; i < n; i++) {
            stock.push(new Elem(made++));
        }
    }

    @Override
    public synchronized Elem alloc(int gfp) {
        return stock.poll();
    }

    @Override
    public synchronized void free(Elem e) {
        if (stock.contains(e)) {
            throw new IllegalStateException("stock: " + e + " freed twice");
        }
        stock.push(e);
    }

    synchronized int inStock() {
        return stock.size();
    }

    /** Elements ever made: the total the conservation check adds up to. */
    synchronized int made() {
        return made;
    }
}
