package dev.kalloc.stress.jcstress.bio;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.ElementSource;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A bio allocation races a bio free at the pool's last element. The MEMPOOL guarantee's bio
 * source is a 2.5.1 pool of one element (element 1, the prefill) over an allocator that made one
 * more (element 2, held by an in-flight bio) and then fails. The allocator ({@code GFP_ATOMIC},
 * as from a completion) must get element 1, the pool's last; the free of element 2 refills the
 * pool if the allocation emptied it first, and goes to the allocator if the pool was still full.
 * r1 is the element allocated, r2 the frees that reached the allocator.
 */
@JCStressTest
@Description("bio allocation racing a free at the mempool guarantee's last element.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Allocation first: it took the last element; the free refilled the pool.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Free first: the pool was full, the element went to the allocator; "
        + "the allocation took the last element.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "The allocation failed with an element in the pool.")
@Outcome(expect = FORBIDDEN, desc = "Any other: an element handed out twice, or lost.")
@State
public class LastElementAllocFreeRaceTest {
    private int made;
    private volatile int underlyingFrees;
    private final ElementSource<Integer> bios = Guarantees.mempool(BioFixture.MACHINE, MempoolPolicy.LINUX_2_5_1)
            .source("jcs-last", 1, 0, gfp -> made < 2 ? Integer.valueOf(++made) : null, e -> underlyingFrees++);
    private final Integer inFlight = bios.alloc(Gfp.GFP_ATOMIC);

    @Actor
    public void bioAlloc(II_Result r) {
        Integer got = bios.alloc(Gfp.GFP_ATOMIC);
        r.r1 = got == null ? 0 : got;
    }

    @Actor
    public void bioFree() {
        bios.free(inFlight);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = underlyingFrees;
    }
}
