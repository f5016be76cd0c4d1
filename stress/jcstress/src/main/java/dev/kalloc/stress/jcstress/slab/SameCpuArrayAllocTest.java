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
 * Two threads bound to the same CPU id pop the same per-CPU array at once: the collision the
 * kernel cannot have and the port's per-array lock must survive. They must get the two objects
 * the array holds, one each.
 *
 * <p>Before: the slab is full; CPU 0's array (limit 4, batch 2) holds {a, b} (b on top).
 * <br>Result: (actor 1 got: 1 = a, 2 = b, 0 = none; actor 2 likewise; objects left in the array;
 * {@link SlabVerdict}).
 */
@JCStressTest
@Description("Two allocations from one CPU's array cache get its two objects, one each.")
@Outcome(id = "2, 1, 0, 0", expect = ACCEPTABLE, desc = "Actor 1 popped first (b, the top), actor 2 then a.")
@Outcome(id = "1, 2, 0, 0", expect = ACCEPTABLE, desc = "Actor 2 popped first (b), actor 1 then a.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class SameCpuArrayAllocTest {
    private final SlabFixture f = new SlabFixture(1, 4, 2);
    private final long a = f.alloc();
    private final long b = f.alloc();
    private final long c = f.alloc();
    private final long d = f.alloc();
    private long p1;
    private long p2;

    {
        f.cache.free(a);
        f.cache.free(b);
        f.expect(1, 0, 0, 2);
    }

    @Actor
    public void actor1() {
        p1 = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Actor
    public void actor2() {
        p2 = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    private int which(long p) {
        return p == a ? 1 : p == b ? 2 : p == 0 ? 0 : 3;
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = which(p1);
        r.r2 = which(p2);
        r.r3 = f.cache.cpuCachedObjects();
        r.r4 = SlabVerdict.of(f, 2 + (p1 != 0 ? 1 : 0) + (p2 != 0 ? 1 : 0), c, d, p1, p2);
    }
}
