// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Gfp;
import dev.kalloc.reservation.Reservation;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * A sleeping admission waits for pages another reservation holds, and must be woken when that
 * reservation is released: no lost wake-up.
 *
 * <p>The zone has 3 free pages, {@code pages_min} 0, and reservation "holder" has all 3. The
 * actor's GFP_KERNEL {@code reserve_pages(2)} finds nothing reservable, records a debt of 2 on
 * the zone's depleted list, runs its reclaim rounds (nothing to reclaim) and sleeps on the
 * allocator's wait queue. The signal destroys "holder": under the zone lock the 3 pages leave
 * the reserved count and repay the debt at once, then the queue is woken. Either order works:
 * <ul>
 *   <li>release first: the admission sees 3 reservable pages and is granted at once;</li>
 *   <li>admission first: it queues, re-tests its debt (a repayment lowers the debt before the
 *       wake-up, and the queue length is volatile: the Dekker pair of every sleeper here), sleeps,
 *       and the release's wake-up ends the sleep.</li>
 * </ul>
 * The actor then checks it holds the 2 pages; a failure is thrown and reported as ERROR.
 */
@JCStressTest(Mode.Termination)
@Description("A GFP_KERNEL reserve_pages sleeping for pages another reservation holds is woken by its destroy.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The admission was granted: the release came first, or it "
        + "repaid the debt and woke the sleeper.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The admission still sleeps after the release: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the admission was refused or the accounting is wrong afterwards.")
@State
public class AdmissionWokenByReleaseTest {
    private final RsvMachine m = new RsvMachine().takeAll().release(5, 9, 12);
    private final Reservation holder = m.reservation("holder", 3);
    private final Reservation waiter = m.reservation("waiter", 0);

    @Actor
    public void admit() {
        if (!waiter.reserve(Gfp.GFP_KERNEL, 2)) {
            throw new IllegalStateException("a sleeping reserve_pages was refused");
        }
        if (waiter.avail() != 2 || waiter.debt() != 0 || waiter.pending() != 0) {
            throw new IllegalStateException("after the admission: avail " + waiter.avail() + ", debt "
                    + waiter.debt() + ", pending " + waiter.pending());
        }
    }

    @Signal
    public void release() {
        holder.destroy();
    }
}
