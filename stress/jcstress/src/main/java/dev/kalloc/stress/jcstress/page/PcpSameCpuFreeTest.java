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
 * Two frees to the same CPU's hot list at once, one page below {@code high}. The first pushes
 * without draining; the second finds the list at {@code high} and returns its cold tail (pfn 1)
 * to the buddy lists first. Neither push may be lost and the drained page must land on the buddy
 * lists exactly once.
 *
 * <p>Before: hot list {6, 5, 4, 2, 1}, buddy lists 8 pages (8-11, 12-15); pfns 3 and 7 allocated.
 * <br>Result: (per-CPU pages, buddy free pages, {@link Verdict}).
 */
@JCStressTest
@Description("Two frees to the same CPU's per-CPU list, one below high: exactly one free_pages_bulk drain.")
@Outcome(id = "6, 9, 0", expect = ACCEPTABLE, desc = "Either free first: it pushed its page (6 = high); the "
        + "other drained pfn 1 to the buddy lists, then pushed: 6 on the list, 9 buddy pages.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class PcpSameCpuFreeTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.ONE_CPU_PCP).takeAll().releaseRange(8, 15).drain()
            .release(1, 2, 4, 5, 6).expect(8, 5);
    private final Page three = m.take(3);
    private final Page seven = m.take(7);

    @Actor
    public void actor1() {
        m.machine.pageAlloc().freePage(three);
    }

    @Actor
    public void actor2() {
        m.machine.pageAlloc().freePage(seven);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = m.zone.perCpuPages();
        r.r2 = m.zone.freePages();
        r.r3 = Verdict.of(m, m.allocatedByFixture());
    }
}
