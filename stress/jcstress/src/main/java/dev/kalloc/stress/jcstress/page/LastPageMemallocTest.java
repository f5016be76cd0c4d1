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
 * Two {@code PF_MEMALLOC} allocations race for the only free page of the zone: {@code rmqueue}
 * under the zone lock must hand it to exactly one of them.
 *
 * <p>Result: (actor1 got a page, actor2 got a page, {@link Verdict}).
 */
@JCStressTest
@Description("Two PF_MEMALLOC order-0 allocations race for the last free page of a zone (buddy lists only).")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "actor1's rmqueue took the zone lock first and the last "
        + "page; actor2 found every free list empty and got null.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "actor2's rmqueue took the zone lock first and the last "
        + "page; actor1 found every free list empty and got null.")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Both got a page though one was free: a page handed out "
        + "twice, or one conjured.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Neither got the free page: it was lost.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class LastPageMemallocTest {
    /** The one page left free: its buddy 4 stays allocated, so it sits alone on the order-0 list. */
    private static final int LAST_FREE_PFN = 5;

    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY).takeAll().release(LAST_FREE_PFN)
            .expect(1, 0);
    private Page p1;
    private Page p2;

    @Actor
    public void actor1() {
        p1 = m.allocMemalloc(0);
    }

    @Actor
    public void actor2() {
        p2 = m.allocMemalloc(0);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = p1 != null ? 1 : 0;
        r.r2 = p2 != null ? 1 : 0;
        r.r3 = Verdict.of(m, m.allocatedByFixture() + r.r1 + r.r2, p1, p2);
    }
}
