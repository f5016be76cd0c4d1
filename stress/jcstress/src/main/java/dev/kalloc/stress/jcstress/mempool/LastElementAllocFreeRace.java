// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * The body of {@link LastElementAllocFreeRace251Test} and {@link LastElementAllocFreeRaceModernTest}:
 * allocations race a free on a pool at its last element. One actor makes two atomic allocations
 * in a row; the other frees the element that is out. The underlying allocator fails, so
 * everything goes through the pool: the free's unlocked pre-check and locked re-check, the
 * allocations' {@code remove_element}. The outcomes are the same for both policies and are
 * inherited; jcstress takes actors only from the test class's own methods, so each test
 * re-declares them, calling these.
 *
 * <p>Before: pool {@code min_nr} 2, idle [elem#1]; elem#2 is out and the free returns it.
 * <br>Result: (id of the first allocation, id of the second, {@code curr_nr},
 * {@link LastElementVerdict}).
 */
@Outcome(id = "2, 1, 0, 0", expect = ACCEPTABLE, desc = "The free came first: LIFO hands out the freed elem#2, "
        + "then elem#1; the pool is empty.")
@Outcome(id = "1, 2, 0, 0", expect = ACCEPTABLE, desc = "The free came between: the first allocation took the last "
        + "element, the free refilled the pool, the second took the freed one.")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "The free came last: the second allocation found the pool "
        + "empty (null, atomic), then the free refilled it.")
@Outcome(expect = FORBIDDEN, desc = "An element went to two places or none, or the pool's count disagrees with its contents.")
abstract class LastElementAllocFreeRace {
    private final PoolFixture f;
    private final Elem held;
    private int first;
    private int second;

    LastElementAllocFreeRace(MempoolPolicy policy) {
        f = new PoolFixture(policy, 2);
        held = f.pool.alloc(Gfp.GFP_ATOMIC);
    }

    public void allocTwice() {
        first = FakeAllocator.id(f.pool.alloc(Gfp.GFP_ATOMIC));
        second = FakeAllocator.id(f.pool.alloc(Gfp.GFP_ATOMIC));
    }

    public void free() {
        f.pool.free(held);
    }

    public void arbiter(IIII_Result r) {
        r.r1 = first;
        r.r2 = second;
        r.r3 = f.pool.currNr();
        r.r4 = LastElementVerdict.of(f, 0, first, second);
    }
}
