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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * An allocation and a free on the same per-CPU array at once (two threads sharing CPU 0): the
 * array is LIFO, so the allocation returns whichever object is on top when it runs, and the other
 * stays in the array.
 *
 * <p>Before: the slab is full; CPU 0's array (limit 4, batch 2) holds {a}; b is allocated.
 * <br>Result: (the allocation got: 1 = a, 2 = b, 0 = none; objects left in the array;
 * {@link SlabVerdict}).
 */
@JCStressTest
@Description("Alloc racing free on one CPU's array cache: LIFO either way, nothing lost.")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The allocation popped a first; the free then pushed b.")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "The free pushed b first; the allocation popped it (LIFO), "
        + "a stays.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class SameCpuAllocVsFreeTest {
    private final SlabFixture f = new SlabFixture(1, 4, 2);
    private final long a = f.alloc();
    private final long b = f.alloc();
    private final long c = f.alloc();
    private final long d = f.alloc();
    private long p;

    {
        f.cache.free(a);
        f.expect(1, 0, 0, 1);
    }

    @Actor
    public void allocator() {
        p = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Actor
    public void freer() {
        f.cache.free(b);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = p == a ? 1 : p == b ? 2 : p == 0 ? 0 : 3;
        r.r2 = f.cache.cpuCachedObjects();
        r.r3 = SlabVerdict.of(f, 2 + (p != 0 ? 1 : 0), c, d, p);
    }
}
