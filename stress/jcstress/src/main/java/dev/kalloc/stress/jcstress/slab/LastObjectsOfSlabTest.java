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
 * Two threads on two CPUs take the last two objects of the only slab, straight from the slab
 * lists (no array caches): both must succeed with different objects, and the slab must end on
 * {@code slabs_full}. Neither may grow the cache ({@code SLAB_NO_GROW}).
 *
 * <p>Before: one partial slab, objects 0 and 1 allocated, 2 and 3 free.
 * <br>Result: (allocations that succeeded, full slabs, all slabs, {@link SlabVerdict}).
 */
@JCStressTest
@Description("Two allocations of the last two objects of a slab get two different objects.")
@Outcome(id = "2, 1, 1, 0", expect = ACCEPTABLE, desc = "Either order: each took one object under the cache "
        + "spinlock; the second emptied the bufctl list and moved the slab to slabs_full.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class LastObjectsOfSlabTest {
    private final SlabFixture f = new SlabFixture(2, 0, 0);
    private final long held1 = f.alloc();
    private final long held2 = f.alloc();
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
        r.r1 = (p1 != 0 ? 1 : 0) + (p2 != 0 ? 1 : 0);
        r.r2 = f.cache.fullSlabs();
        r.r3 = f.cache.numSlabs();
        r.r4 = SlabVerdict.of(f, 2 + r.r1, held1, held2, p1, p2);
    }
}
