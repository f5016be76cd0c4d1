// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two GFP_ATOMIC allocations race for the last two free pages of a zone whose watermarks are 0.
 * An order-0 allocation passes the watermark while {@code free_pages > 2^0 + pages_low = 1}, a
 * test {@code __alloc_pages} makes without the zone lock, exactly as 2.4 does. So the second
 * allocation may or may not see the first one's page gone: both outcomes are the kernel's. What
 * must never happen is a page handed out twice, or both failing.
 *
 * <p>Result: (actor1 got a page, actor2 got a page, {@link Verdict}).
 */
@JCStressTest
@Description("Two GFP_ATOMIC order-0 allocations race for the last two free pages; the watermark is read unlocked.")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "Both read free_pages = 2 before either "
        + "took a page, both passed the unlocked watermark test, and the zone lock served them one after the "
        + "other: two distinct pages, the zone now empty. The kernel's race too.")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "actor1 allocated first; actor2 then read free_pages = 1, "
        + "not above the watermark, and GFP_ATOMIC may not wait: null.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "actor2 allocated first; actor1 then read free_pages = 1, "
        + "not above the watermark, and GFP_ATOMIC may not wait: null.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Both failed though two pages were free: whoever read "
        + "free_pages first saw 2 and must have got one.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class LastPagesAtomicTest {
    /** Two free pages, neither the other's buddy: both sit on the order-0 list. */
    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY).takeAll().release(5, 10).expect(2, 0);
    private Page p1;
    private Page p2;

    @Actor
    public void actor1() {
        p1 = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
    }

    @Actor
    public void actor2() {
        p2 = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = p1 != null ? 1 : 0;
        r.r2 = p2 != null ? 1 : 0;
        r.r3 = Verdict.of(m, m.allocatedByFixture() + r.r1 + r.r2, p1, p2);
    }
}
