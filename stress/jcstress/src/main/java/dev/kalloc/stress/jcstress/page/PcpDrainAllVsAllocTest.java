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
 * {@code drain_all_pages} from one thread against an order-0 allocation from the CPU whose list
 * it drains. The drain takes each list's lock, so it sees the list either before the allocation
 * (3 pages, and the allocation then refills from the buddy lists) or after it (2 pages).
 *
 * <p>Before: hot list {6, 5, 4}, buddy lists 8 pages (8-11, 12-15).
 * <br>Result: (pages drained, per-CPU pages, buddy free pages, {@link Verdict}).
 */
@JCStressTest
@Description("drainAllPages() races a same-CPU order-0 allocation from the list being drained.")
@Outcome(id = "2, 0, 10, 0", expect = ACCEPTABLE, desc = "Allocation first: it took pfn 6 from the list; the "
        + "drain then returned the other 2 to the buddy lists.")
@Outcome(id = "3, 0, 10, 0", expect = ACCEPTABLE, desc = "Drain first: all 3 went back to the buddy lists; the "
        + "allocation found the list empty (at low), refilled one page with rmqueue_bulk and took it.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class PcpDrainAllVsAllocTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.ONE_CPU_PCP).takeAll().releaseRange(8, 15).drain()
            .release(4, 5, 6).expect(8, 3);
    private Page got;
    private int drained;

    @Actor
    public void actor1() {
        got = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
    }

    @Actor
    public void actor2() {
        drained = m.machine.pageAlloc().drainAllPages();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = drained;
        r.r2 = m.zone.perCpuPages();
        r.r3 = m.zone.freePages();
        r.r4 = got == null ? Verdict.LOST_OR_FOUND : Verdict.of(m, m.allocatedByFixture() + 1, got);
    }
}
