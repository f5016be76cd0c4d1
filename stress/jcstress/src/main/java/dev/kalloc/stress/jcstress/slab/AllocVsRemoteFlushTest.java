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
 * An allocation on CPU 0 whose empty array must be refilled from the slabs, racing a free on CPU
 * 1 whose full array first flushes its bottom entry back to the slab: the two meet under the
 * cache spinlock. The allocation gets the flushed object or nothing; nothing is lost or doubled.
 *
 * <p>Before: limit 2, batch 1; the only slab is full; CPU 0's array is empty; CPU 1's array
 * holds {a, b} (full, a at the bottom); c and d are allocated.
 * <br>Actors: CPU 0 allocates ({@code SLAB_NO_GROW}); CPU 1 frees c.
 * <br>Result: (the allocation got: 1 = a, 0 = none, 2 = anything else; partial slabs; objects in
 * CPU 1's array; {@link SlabVerdict}).
 */
@JCStressTest
@Description("A refill on one CPU racing a batch flush on another, through the slab lists.")
@Outcome(id = "0, 1, 2, 0", expect = ACCEPTABLE, desc = "The refill ran first and found no free object (no "
        + "grow); then CPU 1 flushed a to the slab (now partial) and pushed c: {b, c}.")
@Outcome(id = "1, 0, 2, 0", expect = ACCEPTABLE, desc = "CPU 1 flushed a first (the bottom entry); the refill "
        + "took it, and the slab is full again.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class AllocVsRemoteFlushTest {
    private final SlabFixture f = new SlabFixture(2, 2, 1).on(1);
    private final long a = f.alloc();
    private final long b = f.alloc();
    private final long c = f.alloc();
    private final long d = f.alloc();
    private long p;

    {
        f.cache.free(a);
        f.cache.free(b);
        f.expect(1, 0, 0, 2);
    }

    @Actor
    public void allocOnCpu0() {
        f.on(0);
        p = f.cache.alloc(SlabFixture.ATOMIC_NO_GROW);
    }

    @Actor
    public void freeOnCpu1() {
        f.on(1);
        f.cache.free(c);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = p == a ? 1 : p == 0 ? 0 : 2;
        r.r2 = f.cache.partialSlabs();
        r.r3 = f.cache.cpuCachedObjects(1);
        r.r4 = SlabVerdict.of(f, 1 + (p != 0 ? 1 : 0), d, p);
    }
}
