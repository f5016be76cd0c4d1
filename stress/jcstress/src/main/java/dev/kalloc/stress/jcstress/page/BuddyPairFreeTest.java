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
 * Two threads free the two halves of one buddy pair (pfns 6 and 7) at once, per-CPU lists off, so
 * both frees run the merge loop of {@code __free_pages_ok} on the buddy lists. Whichever takes
 * the zone lock second finds its buddy free at order 0 (the pair's bitmap bit is 1), merges, and
 * keeps merging: the order-1 block 6-7 meets its free buddy 4-5 and becomes the order-2 block 4-7.
 * Merging must happen exactly once: neither page left on the order-0 list, no block on two lists.
 *
 * <p>Before: order 0 {1}, order 1 {2-3, 4-5}, order 2 {8-11, 12-15}; pfns 6 and 7 allocated.
 * <br>Result: (order-0 blocks, order-1 blocks, order-2 blocks, {@link Verdict}) after both frees.
 */
@JCStressTest
@Description("Concurrent free of both halves of a buddy pair: they merge once, up to order 2 (buddy lists only).")
@Outcome(id = "1, 1, 3, 0", expect = ACCEPTABLE, desc = "Either free ran first and put its page on the order-0 "
        + "list; the second found that buddy free, merged to 6-7 at order 1 and on with 4-5 to 4-7 at order 2: "
        + "order 0 {1}, order 1 {2-3}, order 2 {4-7, 8-11, 12-15}.")
@Outcome(id = "3, 2, 2, .*", expect = FORBIDDEN, desc = "No merge: each free saw the other's page as in use "
        + "(the bitmap toggles were lost), leaving a free pair unmerged on the order-0 list.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class BuddyPairFreeTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY).takeAll().releaseRange(1, 5)
            .releaseRange(8, 15).expect(13, 0);
    private final Page low = m.take(6);
    private final Page high = m.take(7);

    @Actor
    public void actor1() {
        m.machine.pageAlloc().freePage(low);
    }

    @Actor
    public void actor2() {
        m.machine.pageAlloc().freePage(high);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = m.zone.nrFree(0);
        r.r2 = m.zone.nrFree(1);
        r.r3 = m.zone.nrFree(2);
        r.r4 = Verdict.of(m, m.allocatedByFixture());
    }
}
