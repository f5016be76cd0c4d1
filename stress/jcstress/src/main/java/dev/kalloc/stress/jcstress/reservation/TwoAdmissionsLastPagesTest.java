// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Gfp;
import dev.kalloc.reservation.Reservation;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two atomic admissions race for the last reservable pages: 3 can be had without I/O (1 free
 * page, 2 clean page-cache pages, {@code pages_min} 0) and each asks for 2. Admission decides
 * under the zone lock from free + clean - reserved, so exactly one is granted: never both (an
 * overcommit: 4 pages promised against 3), never neither (whoever locks first sees 3).
 *
 * <p>Result: (actor1 granted, actor2 granted, {@link Verdict} with the zone's reserved count
 * expected at 2).
 */
@JCStressTest
@Description("Two GFP_ATOMIC reserve_pages(2) race for 3 reservable pages (1 free + 2 clean).")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "actor1's admission locked the zone first and took 2 of the 3 "
        + "reservable pages; actor2 then saw 1 and, not allowed to sleep, was refused.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "actor2's admission locked the zone first; actor1 was refused.")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Both granted: 4 pages promised against 3, an overcommit.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Both refused though the first to lock saw 3 reservable pages.")
@Outcome(expect = FORBIDDEN, desc = Verdict.FORBIDDEN_DESC)
@State
public class TwoAdmissionsLastPagesTest {
    private final RsvMachine m = new RsvMachine().takeAll().release(5).cache(9, 12);
    private final Reservation a = m.reservation("a", 0);
    private final Reservation b = m.reservation("b", 0);
    private boolean grantedA;
    private boolean grantedB;

    {
        m.expect(1, 2, 0);
    }

    @Actor
    public void actor1() {
        grantedA = a.reserve(Gfp.GFP_ATOMIC, 2);
    }

    @Actor
    public void actor2() {
        grantedB = b.reserve(Gfp.GFP_ATOMIC, 2);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = grantedA ? 1 : 0;
        r.r2 = grantedB ? 1 : 0;
        r.r3 = Verdict.of(m, 2 * (r.r1 + r.r2));
    }
}
