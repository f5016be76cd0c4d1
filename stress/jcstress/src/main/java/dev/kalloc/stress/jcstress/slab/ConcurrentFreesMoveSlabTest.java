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
 * Two threads on two CPUs kfree both objects of one full two-object slab at once, straight to the
 * slab (no array caches, as for a cache tuned to limit 0). The first free moves the slab from
 * {@code slabs_full} to {@code slabs_partial}, the second from there to {@code slabs_free};
 * whatever the interleaving, it must end on the free list exactly once, with {@code inuse} 0 and
 * both objects on its bufctl list.
 *
 * <p>Before: one full slab {a, b} of 2000-byte objects.
 * <br>Result: (full slabs, partial slabs, free slabs, {@link SlabVerdict}).
 */
@JCStressTest
@Description("Concurrent kfrees of one slab's objects move it full -> partial -> free exactly once.")
@Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "Either order: full -> partial on the first free, "
        + "partial -> free on the second; the slab is on slabs_free once.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class ConcurrentFreesMoveSlabTest {
    private final SlabFixture f = new SlabFixture(2, 0, 0, SlabFixture.PAIR);
    private final long a = f.alloc();
    private final long b = f.alloc();

    {
        f.expect(1, 0, 0, 0);
    }

    @Actor
    public void kfreeOnCpu0() {
        f.on(0);
        f.slab.kfree(a);
    }

    @Actor
    public void kfreeOnCpu1() {
        f.on(1);
        f.slab.kfree(b);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = f.cache.fullSlabs();
        r.r2 = f.cache.partialSlabs();
        r.r3 = f.cache.freeSlabs();
        r.r4 = SlabVerdict.of(f, 0);
    }
}
