// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * mempool_free's unlocked pre-check and locked re-check: two frees race for the one empty slot of
 * a pool one below {@code min_nr}. Both pass the pre-check; the re-check under the lock lets
 * exactly one refill the pool, the other goes to the underlying free. (mempool_free is the same
 * for both policies.)
 *
 * <p>Before: pool {@code min_nr} 2, prefilled with elem#1 and elem#2; elem#3 came from the
 * underlying allocator (level 1) and elem#2 from the pool, so idle [elem#1]; the actors free
 * elem#2 and elem#3.
 * <br>Result: ({@code curr_nr}, underlying frees, verdict 0 = invariants hold).
 */
@JCStressTest
@Description("Two frees race for the last free slot of a pool: exactly one refills it.")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "One free took the slot under the lock; the other saw the "
        + "pool full at its pre-check or re-check and went to the underlying free.")
@Outcome(expect = FORBIDDEN, desc = "Both refilled (curr_nr above min_nr), neither did, or the pool is inconsistent.")
@State
public class TwoFreesOneSlotTest {
    private final PoolFixture f = new PoolFixture(MempoolPolicy.LINUX_2_5_1, 2, 3);
    private final Elem fromAllocator = f.pool.alloc(Gfp.GFP_ATOMIC);
    private final Elem fromPool = f.pool.alloc(Gfp.GFP_ATOMIC);

    @Actor
    public void freeOne() {
        f.pool.free(fromAllocator);
    }

    @Actor
    public void freeOther() {
        f.pool.free(fromPool);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = f.pool.currNr();
        r.r2 = (int) f.allocator.frees();
        r.r3 = f.invariants() == 0 && f.pool.nrOut() == 0 ? 0 : 1;
    }
}
