// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.reservation.Reservation;
import dev.kalloc.reservation.ReservationScope;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * An allocation from a reservation races an ordinary allocation for the last free page. The zone
 * has 1 free page and 1 clean page-cache page, and a reservation holds 1 page (backed by either:
 * free + clean - reserved = 1). The ordinary allocation is a {@code PF_MEMALLOC} one, the only
 * kind that may take the last free page; its test under the zone lock
 * ({@code free >= 1 && free + clean - reserved >= 1}) lets it. The reservation's actor allocates
 * GFP_ATOMIC inside its scope: the watermark passes fail (free is not above 1), so the
 * reservation serves it. The reservation must always get a page, either the free one or, if the
 * ordinary allocation took that, the clean page it drops synchronously.
 *
 * <p>Result: (reservation got a page, ordinary got a page, clean pages dropped, {@link Verdict}
 * with the reserved count expected at 0).
 */
@JCStressTest
@Description("Allocation from a reservation vs a PF_MEMALLOC allocation for the last free page (1 free, 1 clean, "
        + "1 reserved).")
@Outcome(id = "1, 0, 0, 0", expect = ACCEPTABLE, desc = "The reservation locked the zone first and took the free "
        + "page; the ordinary allocation then found no free page (the clean one is not its to drop) and got null.")
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "The ordinary allocation took the free page first (the clean "
        + "page still backed the reservation); the reservation found none free, dropped the clean page and took it.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "The allocation from the reservation failed.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class ReservedVsOrdinaryLastPageTest {
    private final RsvMachine m = new RsvMachine().takeAll().release(5).cache(9);
    private final Reservation rsv = m.reservation("rsv", 1);
    private Page mine;
    private Page theirs;

    {
        m.expect(1, 1, 1);
    }

    @Actor
    public void reservation() {
        try (ReservationScope scope = rsv.enter()) {
            mine = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
        }
    }

    @Actor
    public void ordinary() {
        Task task = m.machine.current();
        int saved = task.setFlags(Task.PF_MEMALLOC);
        try {
            theirs = m.machine.pageAlloc().allocPages(Gfp.GFP_ATOMIC, 0);
        } finally {
            task.restoreFlags(saved);
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = mine != null ? 1 : 0;
        r.r2 = theirs != null ? 1 : 0;
        r.r3 = (int) rsv.account().droppedClean();
        r.r4 = Verdict.of(m, 0, mine, theirs);
    }
}
