// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Page;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The zone's only free memory is one order-1 block (pfns 2-3). An order-1 allocation wants all of
 * it while an order-0 allocation would split it ({@code expand}); both are {@code PF_MEMALLOC}, so
 * only the free lists decide. Exactly one may succeed, and never with overlapping pages.
 *
 * <p>Result: (actor1 got the order-1 block, actor2 got an order-0 page, {@link Verdict}).
 */
@JCStressTest
@Description("An order-1 and an order-0 PF_MEMALLOC allocation race for the zone's only free block, of order 1.")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "The order-1 allocation took the block whole; the order-0 "
        + "one found every list empty.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "The order-0 allocation split the block, taking pfn 3 and "
        + "leaving pfn 2 on the order-0 list; the order-1 one then found no block of order >= 1.")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Both succeeded: the block and one of its halves handed "
        + "out together.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Both failed: the block was lost.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class LastBlockSplitRaceTest {
    /** Freeing the buddy pair 2 and 3 merges them into one order-1 block (pfn 0-1 is not free). */
    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY).takeAll().release(2, 3).expect(2, 0);
    private Page block;
    private Page page;

    @Actor
    public void actor1() {
        block = m.allocMemalloc(1);
    }

    @Actor
    public void actor2() {
        page = m.allocMemalloc(0);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = block != null ? 1 : 0;
        r.r2 = page != null ? 1 : 0;
        r.r3 = Verdict.of(m, m.allocatedByFixture() + 2 * r.r1 + r.r2, block, page);
    }
}
