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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two frees whose merges meet one level up: freeing pfn 5 merges with free pfn 4 into the
 * order-1 block 4-5, freeing pfn 6 merges with free pfn 7 into 6-7, and those two order-1 blocks
 * are buddies. Whichever free finishes second must carry its merge on to the order-2 block 4-7;
 * neither order-1 block may stay behind, and the order-2 block must be listed once.
 *
 * <p>Before: order 0 {1, 4, 7}, order 1 {2-3}, order 2 {8-11, 12-15}; pfns 5 and 6 allocated.
 * <br>Result: (order-0 blocks, order-1 blocks, order-2 blocks, {@link Verdict}) after both frees.
 */
@JCStressTest
@Description("Concurrent frees of pfns 5 and 6, each merging with a free neighbour, must meet in one order-2 block.")
@Outcome(id = "1, 1, 3, 0", expect = ACCEPTABLE, desc = "Either free ran first and stopped at order 1 (its "
        + "order-1 buddy still had an allocated page); the second merged at order 0 and again at order 1: "
        + "order 0 {1}, order 1 {2-3}, order 2 {4-7, 8-11, 12-15}.")
@Outcome(id = "1, 3, 2, .*", expect = FORBIDDEN, desc = "Both order-1 blocks 4-5 and 6-7 free but unmerged: "
        + "each free missed the other's order-1 block.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class BuddyCascadeFreeTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY).takeAll().release(1, 2, 3, 4, 7)
            .releaseRange(8, 15).expect(13, 0);
    private final Page five = m.take(5);
    private final Page six = m.take(6);

    @Actor
    public void actor1() {
        m.machine.pageAlloc().freePage(five);
    }

    @Actor
    public void actor2() {
        m.machine.pageAlloc().freePage(six);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = m.zone.nrFree(0);
        r.r2 = m.zone.nrFree(1);
        r.r3 = m.zone.nrFree(2);
        r.r4 = Verdict.of(m, m.allocatedByFixture());
    }
}
