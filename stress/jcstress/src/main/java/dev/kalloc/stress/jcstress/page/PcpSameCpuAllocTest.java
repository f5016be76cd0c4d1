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
 * Two order-0 allocations from the same CPU's hot list at once: the CPU-id collision that the
 * kernel cannot have (one CPU runs one task at a time) and the port must survive. The first takes
 * the head; the second finds the list at {@code low} and refills one page before taking the
 * head. The two must get different pages.
 *
 * <p>Before: hot list {6, 5, 4}, buddy lists 8 pages (8-11, 12-15).
 * <br>Result: (pages handed out, per-CPU pages, buddy free pages, {@link Verdict}).
 */
@JCStressTest
@Description("Two order-0 allocations from the same CPU's per-CPU list get two different pages.")
@Outcome(id = "2, 2, 7, 0", expect = ACCEPTABLE, desc = "Either allocation first: it took pfn 6; the other "
        + "found 2 pages (low), refilled one from the buddy lists and took pfn 5: list {4, refilled page}.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class PcpSameCpuAllocTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.ONE_CPU_PCP).takeAll().releaseRange(8, 15).drain()
            .release(4, 5, 6).expect(8, 3);
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
    public void arbiter(IIII_Result r) {
        r.r1 = (p1 != null ? 1 : 0) + (p2 != null ? 1 : 0);
        r.r2 = m.zone.perCpuPages();
        r.r3 = m.zone.freePages();
        r.r4 = Verdict.of(m, m.allocatedByFixture() + r.r1, p1, p2);
    }
}
