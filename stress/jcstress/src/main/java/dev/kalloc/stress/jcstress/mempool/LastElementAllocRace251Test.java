package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * 2.5.1 policy: two atomic allocations race for the pool's last idle element. The underlying
 * allocator fails, so both reach {@code remove_element} under the pool lock.
 *
 * <p>Before: pool {@code min_nr} 2, idle [elem#1]; elem#2 is out with the state.
 * <br>Result: (id the first allocation got, id the second got, {@code curr_nr},
 * {@link LastElementVerdict}).
 */
@JCStressTest
@Description("2.5.1 policy: two atomic mempool_allocs race for the last idle element; exactly one gets it.")
@Outcome(id = {"1, 0, 0, 0", "0, 1, 0, 0"}, expect = ACCEPTABLE, desc = "One allocation took the last element under "
        + "the lock; the other found the pool empty and, being atomic, got null.")
@Outcome(expect = FORBIDDEN, desc = "Both got the element, neither did, or the pool's count disagrees with its contents.")
@State
public class LastElementAllocRace251Test {
    private final PoolFixture f = new PoolFixture(MempoolPolicy.LINUX_2_5_1, 2);
    private final PoolFixture.Elem held = f.pool.alloc(Gfp.GFP_ATOMIC);
    private int first;
    private int second;

    @Actor
    public void allocFirst() {
        first = PoolFixture.id(f.pool.alloc(Gfp.GFP_ATOMIC));
    }

    @Actor
    public void allocSecond() {
        second = PoolFixture.id(f.pool.alloc(Gfp.GFP_ATOMIC));
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = first;
        r.r2 = second;
        r.r3 = f.pool.currNr();
        r.r4 = LastElementVerdict.of(f, held == null ? 0 : 1, first, second);
    }
}
