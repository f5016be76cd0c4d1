// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.raid1;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.bio.Bio;
import dev.kalloc.raid1.Raid1Array;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * raid1d's read retry racing the failure of the mirror it would redirect to. Three mirrors; a
 * read went to mirror 0 and failed, mirror 0 is faulty and the request waits on raid1d's retry
 * list. One actor is raid1d's pass ({@code map}: the first in-sync mirror, then the redirect);
 * the other fails mirror 1 ({@code mdadm --fail}, the error handler). The retry must go to a
 * mirror that was in sync when it was chosen; if that was mirror 1, its read then fails, and
 * the next retry must reach mirror 2. The arbiter plays the disks: it fails every read sent to
 * a faulty mirror and runs raid1d again, and completes the first read sent to an in-sync one.
 *
 * <p>Result: (the mirror the race's retry went to, master end-io calls, master uptodate 1/0,
 * working disks).
 */
@JCStressTest
@Description("raid1 read retry (raid1d map) races a mirror failure: the read still succeeds once.")
@Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "The retry chose mirror 1 before it failed; "
        + "that read failed too and the next retry reached mirror 2.")
@Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "Mirror 1 failed first; the retry went to mirror 2.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "The retry went back to the faulty mirror 0.")
@Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "No retry was sent: unrecoverable while mirror 2 was good.")
@Outcome(expect = FORBIDDEN, desc = "Any other: the master ended twice or failed, or a wrong disk count.")
@State
public class ReadRetryVsMirrorFailureTest {
    private final Raid1Fixture f = new Raid1Fixture(3, Bio.READ);
    private int firstRetry;

    public ReadRetryVsMirrorFailureTest() {
        if (f.capturedSlot() != 0) {
            throw new IllegalStateException("setup: read balancing sent the read to " + f.capturedSlot());
        }
        f.complete(0, false);
        if (f.array.state(0) != Raid1Array.MirrorState.FAULTY) {
            throw new IllegalStateException("setup: mirror 0 is " + f.array.state(0));
        }
    }

    @Actor
    public void raid1d() {
        f.array.runRaid1d();
    }

    @Actor
    public void mirror1Fails() {
        f.array.setFaulty(f.members[1]);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        firstRetry = f.capturedSlot();
        r.r1 = firstRetry;
        for (int slot = firstRetry, rounds = 0; slot >= 0 && rounds < 3; slot = f.capturedSlot(), rounds++) {
            boolean inSync = f.array.state(slot) == Raid1Array.MirrorState.IN_SYNC;
            f.complete(slot, inSync);
            if (!inSync) {
                f.array.runRaid1d();
            }
        }
        r.r2 = f.masterEnds.get();
        r.r3 = f.master.testFlag(Bio.BIO_UPTODATE) ? 1 : 0;
        r.r4 = f.array.workingDisks();
    }
}
