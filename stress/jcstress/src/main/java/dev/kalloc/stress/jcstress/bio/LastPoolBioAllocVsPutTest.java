// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.bio;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import dev.kalloc.slab.testing.SlabRig;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@code bio_alloc} racing the last {@code bio_put} of another bio, at the bio pool's last
 * element, with a real {@link BioSet} per state.
 *
 * <p>Before: a tiny machine and slab allocator of its own; a MEMPOOL bio set whose bio pool holds
 * one element (the prefill); one bio in flight, taken from the slab cache while it still worked;
 * then failslab fails every allocation from the "bio" cache, so the pool is the only source.
 * One actor allocates ({@code GFP_ATOMIC}, as from a completion handler); the other drops the
 * in-flight bio's last reference, whose destructor frees it to the pool (if the allocation
 * emptied it first) or to the slab cache (if the pool was still full). The arbiter allocates once
 * more: it gets the freed bio back only if the pool kept it.
 * <br>Result: (what the actor got: 1 = the pool's bio, 2 = the freed bio, 0 = null; what the
 * arbiter got, same codes).
 */
@JCStressTest
@Description("bio_alloc races bio_put at the bio pool's last element (real BioSet).")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Allocation first: it emptied the pool, the put refilled it, "
        + "the arbiter got the freed bio from the pool.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Put first: the pool was full, so the freed bio went back to the "
        + "slab cache; the allocation took the pool's bio and the arbiter found the pool empty.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "The allocation failed while the pool held a bio.")
@Outcome(expect = FORBIDDEN, desc = "Any other: a bio handed out twice, or one lost.")
@State
public class LastPoolBioAllocVsPutTest {
    private final SlabRig rig = BioFixture.tinyRig();
    private final BioSet set;
    private final Bio inFlight;
    private Bio got;

    public LastPoolBioAllocVsPutTest() {
        set = BioSet.builder(rig.slab, Guarantees.mempool(rig.machine, MempoolPolicy.LINUX_2_5_1)).name("jcs")
                .maxVecs(1).poolEntries(1).create();
        inFlight = set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        if (inFlight == null) {
            throw new IllegalStateException("setup: no bio from the slab cache");
        }
        set.bioCache().setFailslab(true);
        rig.slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
    }

    @Actor
    public void bioAlloc() {
        got = set.bioAlloc(Gfp.GFP_ATOMIC, 0);
    }

    @Actor
    public void lastPut() {
        inFlight.put();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = code(got);
        Bio again = set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        r.r2 = again != null && again == got ? -1 : code(again);
    }

    private int code(Bio b) {
        return b == null ? 0 : b == inFlight ? 2 : 1;
    }
}
