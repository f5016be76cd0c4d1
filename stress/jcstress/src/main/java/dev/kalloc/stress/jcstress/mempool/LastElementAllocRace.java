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
 * The body of {@link LastElementAllocRace251Test} and {@link LastElementAllocRaceModernTest}: two
 * atomic allocations race for the pool's last idle element. The underlying allocator fails, so
 * both reach {@code remove_element} under the pool lock. The outcomes are the same for both
 * policies and are inherited ({@code @Outcome} is {@code @Inherited}); jcstress takes actors only
 * from the test class's own methods, so each test re-declares them, calling these.
 *
 * <p>Before: pool {@code min_nr} 2, idle [elem#1]; elem#2 is out with the state.
 * <br>Result: (id the first allocation got, id the second got, {@code curr_nr},
 * {@link LastElementVerdict}).
 */
@Outcome(id = {"1, 0, 0, 0", "0, 1, 0, 0"}, expect = ACCEPTABLE, desc = "One allocation took the last element under "
        + "the lock; the other found the pool empty and, being atomic, got null.")
@Outcome(expect = FORBIDDEN, desc = "Both got the element, neither did, or the pool's count disagrees with its contents.")
abstract class LastElementAllocRace {
    private final PoolFixture f;
    private final Elem held;
    private int first;
    private int second;

    LastElementAllocRace(MempoolPolicy policy) {
        f = new PoolFixture(policy, 2);
        held = f.pool.alloc(Gfp.GFP_ATOMIC);
    }

    public void allocFirst() {
        first = FakeAllocator.id(f.pool.alloc(Gfp.GFP_ATOMIC));
    }

    public void allocSecond() {
        second = FakeAllocator.id(f.pool.alloc(Gfp.GFP_ATOMIC));
    }

    public void arbiter(IIII_Result r) {
        r.r1 = first;
        r.r2 = second;
        r.r3 = f.pool.currNr();
        r.r4 = LastElementVerdict.of(f, held == null ? 0 : 1, first, second);
    }
}
