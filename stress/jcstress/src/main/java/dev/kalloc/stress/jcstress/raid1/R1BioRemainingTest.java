// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.raid1;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.Bio;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * The r1bio {@code remaining} counter of a mirrored write, with its two clones completing at
 * once on two completion threads: mirror 0 succeeds, mirror 1 fails (so its completion also
 * runs the md error handler). Whichever decrement reaches zero ends the master, exactly once,
 * and the master is uptodate because an in-sync mirror wrote it, whatever the order.
 *
 * <p>Before: a two-way array without daemons; the write was submitted, {@code remaining} set to
 * 2 + the submitter's bias, both clones captured, the bias dropped. Result: (master end-io
 * calls, master uptodate 1/0, working disks, r1bios still allocated).
 */
@JCStressTest
@Description("raid1 write: two mirror completions race on r1bio->remaining; the master ends exactly once.")
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "The master ended once, uptodate; mirror 1 is faulty; "
        + "the r1bio went back to its pool.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "Lost: neither completion ended the master.")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "Both completions ended the master.")
@Outcome(id = "1, 0, .*", expect = FORBIDDEN, desc = "The failing mirror's status decided the master's.")
@Outcome(expect = FORBIDDEN, desc = "Any other: a wrong disk count or a leaked r1bio.")
@State
public class R1BioRemainingTest {
    private final Raid1Fixture f = new Raid1Fixture(2, Bio.WRITE);

    @Actor
    public void mirror0Completes() {
        f.complete(0, true);
    }

    @Actor
    public void mirror1Fails() {
        f.complete(1, false);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = f.masterEnds.get();
        r.r2 = f.master.testFlag(Bio.BIO_UPTODATE) ? 1 : 0;
        r.r3 = f.array.workingDisks();
        r.r4 = (int) f.array.r1bioPool().outstanding();
    }
}
