// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.bio;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.kernel.Task;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import dev.kalloc.slab.testing.SlabRig;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The whole path, with a real {@link BioSet} per state: {@code bio_alloc(GFP_NOIO)} on an
 * exhausted MEMPOOL guarantee sleeps, and the completion of the one bio in flight wakes it.
 *
 * <p>Before: a tiny machine and slab allocator of its own; a bio set whose bio pool holds one
 * element; failslab fails every allocation from the "bio" cache (sleeping ones too), so the
 * pool is the only source; the pool's element is out as the in-flight bio. The actor's
 * {@code bio_alloc} finds the cache failing and the pool empty and sleeps on the pool. The
 * signal is the completion: in interrupt context, the last {@code bio_put} runs the destructor,
 * which gives the bio back to the pool and wakes the sleeper, who must then get that same bio.
 */
@JCStressTest(Mode.Termination)
@Description("bio_alloc on an exhausted mempool guarantee (real BioSet) is woken by the in-flight bio's completion.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The sleeper woke and got the completed bio back.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The sleeper still sleeps after the completion: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned null or another bio.")
@State
public class SleepingBioAllocWokenByCompletionTest {
    private final SlabRig rig = BioFixture.tinyRig();
    private final BioSet set;
    private final Bio inFlight;

    public SleepingBioAllocWokenByCompletionTest() {
        set = BioSet.builder(rig.slab, Guarantees.mempool(rig.machine, MempoolPolicy.LINUX_2_5_1)).name("jcs")
                .maxVecs(1).poolEntries(1).create();
        set.bioCache().setFailslab(true);
        rig.slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
        inFlight = set.bioAlloc(Gfp.GFP_ATOMIC, 0);
        if (inFlight == null) {
            throw new IllegalStateException("setup: the pool's only bio could not be taken");
        }
    }

    @Actor
    public void bioAlloc() {
        Bio got = set.bioAlloc(Gfp.GFP_NOIO, 0);
        if (got != inFlight) {
            throw new IllegalStateException("bio_alloc returned " + got + ", not the completed " + inFlight);
        }
    }

    @Signal
    public void completion() {
        try (Task.IrqScope irq = rig.machine.current().irqEnter()) {
            inFlight.put();
        }
    }
}
