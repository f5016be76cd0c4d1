// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@code free_pages_bulk} against an allocation on one CPU's hot list. Both threads are bound to
 * cpu 0. The list holds {@value TinyMachine#PCP_HIGH} pages, its {@code high}: a free that runs
 * first returns one page from the cold end (the tail, pfn 1) to the buddy lists before pushing
 * pfn 3; an allocation that runs first takes the head and leaves the free room to push without
 * draining.
 *
 * <p>Before: hot list {7, 6, 5, 4, 2, 1}, buddy lists 8 pages (8-11, 12-15); pfn 3 allocated.
 * <br>Result: (actor1 got the page actor2 freed, per-CPU pages, buddy free pages, {@link Verdict}).
 */
@JCStressTest
@Description("Same-CPU free at the per-CPU high mark (free_pages_bulk drain) races an order-0 allocation.")
@Outcome(id = "0, 6, 8, 0", expect = ACCEPTABLE, desc = "Allocation first: it took the head (pfn 7), leaving 5; "
        + "the free pushed pfn 3 without draining: 6 on the list, 8 buddy pages.")
@Outcome(id = "1, 5, 9, 0", expect = ACCEPTABLE, desc = "Free first: the list was at high, so one page (pfn 1, "
        + "the cold tail) went back to the buddy lists and pfn 3 was pushed; the allocation took pfn 3: 5 on the "
        + "list, 9 buddy pages.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class PcpDrainAtHighVsAllocTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.ONE_CPU_PCP).takeAll().releaseRange(8, 15).drain()
            .release(1, 2, 4, 5, 6, 7).expect(8, 6);
    private final Page freed = m.take(3);
    private Page got;

    @Actor
    public void actor1() {
        got = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
    }

    @Actor
    public void actor2() {
        m.machine.pageAlloc().freePage(freed);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = got == freed ? 1 : 0;
        r.r2 = m.zone.perCpuPages();
        r.r3 = m.zone.freePages();
        r.r4 = got == null ? Verdict.LOST_OR_FOUND : Verdict.of(m, m.allocatedByFixture() + 1, got);
    }
}
