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
 * {@code rmqueue_bulk} against {@code free_hot_cold_page} on one CPU's hot list. Both threads are
 * bound to cpu 0 (the machine has one CPU), the collision {@code PerCpuPages} guards with its
 * lock. The list holds {@value TinyMachine#PCP_LOW} pages, its {@code low}: an allocation that
 * runs first refills one page from the buddy lists before taking the head; a free that runs first
 * pushes pfn 3 on the head, the allocation then finds the list above {@code low} and takes pfn 3
 * straight back, with no refill.
 *
 * <p>Before: hot list {5, 4}, buddy lists 8 pages (8-11, 12-15); pfn 3 allocated.
 * <br>Result: (actor1 got the page actor2 freed, per-CPU pages, buddy free pages, {@link Verdict}).
 */
@JCStressTest
@Description("Same-CPU order-0 allocation at the per-CPU low mark (refill) races a free of another page.")
@Outcome(id = "0, 3, 7, 0", expect = ACCEPTABLE, desc = "Allocation first: the list was at low, rmqueue_bulk "
        + "moved one buddy page to its tail, the allocation took the head (pfn 5); the free then pushed pfn 3: "
        + "hot list {3, 4, refilled page}, 7 buddy pages.")
@Outcome(id = "1, 2, 8, 0", expect = ACCEPTABLE, desc = "Free first: pfn 3 went on the head (3 pages, above "
        + "low), so the allocation took pfn 3 back without a refill: hot list {5, 4}, 8 buddy pages.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class PcpRefillVsFreeTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.ONE_CPU_PCP).takeAll().releaseRange(8, 15).drain()
            .release(4, 5).expect(8, 2);
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
