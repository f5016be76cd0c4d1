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
 * {@code kmem_cache_shrink} on CPU 1 racing an allocation on CPU 0 for the cache's only free
 * object, which sits in CPU 0's array. Shrink drains every array and destroys free slabs; the
 * allocation pops the array or refills from the slab. Either the allocation gets the object and
 * the slab survives, or shrink destroys the slab first and the allocation (not allowed to grow)
 * fails; never an object from a destroyed slab.
 *
 * <p>Before: limit 2, batch 1; one partial slab whose objects are all free, one of them (a) in
 * CPU 0's array (refilled when setup allocated and freed it).
 * <br>Result: (the allocation got a, slabs left, what shrink returned, {@link SlabVerdict}).
 */
@JCStressTest
@Description("kmem_cache_shrink racing an allocation: the object or the slab survives, never half of each.")
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "The allocation got a (popped before the drain, or "
        + "refilled from the slab after the drain but before shrink looked for free slabs); the slab is partial, "
        + "so shrink kept it and returned 1.")
@Outcome(id = "0, 0, 0, 0", expect = ACCEPTABLE, desc = "Shrink drained a into the slab and destroyed it first; the "
        + "allocation found nothing and, with SLAB_NO_GROW, failed.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class ShrinkVsAllocTest {
    private final SlabFixture f = new SlabFixture(2, 2, 1);
    private final long a = f.alloc();
    private long p;
    private int shrunk;

    {
        f.cache.free(a);
        f.expect(0, 1, 0, 1);
    }

    @Actor
    public void allocOnCpu0() {
        f.on(0);
        p = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Actor
    public void shrinkOnCpu1() {
        f.on(1);
        shrunk = f.cache.shrink();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = p == a ? 1 : p == 0 ? 0 : 2;
        r.r2 = f.cache.numSlabs();
        r.r3 = shrunk;
        r.r4 = SlabVerdict.of(f, p != 0 ? 1 : 0, p);
    }
}
