// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.slab;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two threads on two CPUs race for the very last free object of the cache, straight from the
 * slab lists and without growing: exactly one gets it.
 *
 * <p>Before: one partial slab with objects 0-2 allocated, object 3 free.
 * <br>Result: (actor 1 got an object, actor 2 got an object, full slabs, {@link SlabVerdict}).
 */
@JCStressTest
@Description("Two allocations race for the last free object: exactly one gets it.")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "Actor 1 took the last object; actor 2 found no "
        + "partial or free slab and, with SLAB_NO_GROW, failed.")
@Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "Actor 2 took the last object; actor 1 failed.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class LastObjectOfSlabTest {
    private final SlabFixture f = new SlabFixture(2, 0, 0);
    private final long held1 = f.alloc();
    private final long held2 = f.alloc();
    private final long held3 = f.alloc();
    private long p1;
    private long p2;

    {
        f.expect(0, 1, 0, 0);
    }

    @Actor
    public void actor1() {
        f.on(0);
        p1 = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Actor
    public void actor2() {
        f.on(1);
        p2 = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = p1 != 0 ? 1 : 0;
        r.r2 = p2 != 0 ? 1 : 0;
        r.r3 = f.cache.fullSlabs();
        r.r4 = SlabVerdict.of(f, 3 + r.r1 + r.r2, held1, held2, held3, p1, p2);
    }
}
