// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.highmem;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.highmem.Highmem;
import dev.kalloc.highmem.PageFault;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two threads kmap and kunmap the same highmem page P at once, in a window of only two slots.
 * The holder keeps P mapped while it cycles two other pages through the second slot, so the
 * window wraps and {@code flush_all_zero_pkmaps} runs while P is in use; then it reads P through
 * the address it got first. Meanwhile the other thread's kmap/kunmap of P raises and lowers the
 * same count. A torn count (a lost increment or decrement under the race) would leave P's slot
 * at 1 while the holder still uses it, the flush would take it, and the holder's read would fault
 * or reach another page. At the end no slot has users and the window's invariants hold.
 */
@JCStressTest
@Description("Concurrent kmap/kunmap of one page while the window wraps: count never torn, mapping never reused in use.")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "Every read reached its page through a live mapping, whichever "
        + "way the kmaps, kunmaps and the flush interleaved; the window is consistent afterwards.")
@Outcome(expect = FORBIDDEN, desc = "A read reached another page (2) or faulted (3): P's mapping was flushed or reused "
        + "while in use; or the arbiter found broken invariants (last field 1) or slots still in use (2).")
@State
public class ConcurrentKmapOnePageTest {
    private final Highmem hm = Highmem.boot(HighmemFixture.MACHINE, 2);

    @Actor
    public void user(III_Result r) {
        r.r1 = HighmemFixture.kmapRead(hm, HighmemFixture.P);
    }

    @Actor
    public void holder(III_Result r) {
        long v = hm.kmap(HighmemFixture.P);
        try {
            int q = HighmemFixture.kmapRead(hm, HighmemFixture.Q);
            int rr = HighmemFixture.kmapRead(hm, HighmemFixture.R);
            int p;
            try {
                p = hm.getLong(v) == HighmemFixture.marker(HighmemFixture.P) ? HighmemFixture.READ_OK
                        : HighmemFixture.READ_WRONG_PAGE;
            } catch (PageFault f) {
                p = HighmemFixture.FAULTED;
            }
            r.r2 = p != HighmemFixture.READ_OK ? p : q != HighmemFixture.READ_OK ? q : rr;
        } finally {
            hm.kunmap(HighmemFixture.P);
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            hm.checkInvariants();
        } catch (AssertionError | RuntimeException broken) {
            r.r3 = 1;
            return;
        }
        r.r3 = hm.busySlots() == 0 && hm.kmapUsers(HighmemFixture.P) == 0 ? 0 : 2;
    }
}
