// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The sleeping allocation of {@link SleepingAllocWokenByFreeTest} with per-CPU lists on and two
 * CPUs: the sleeper runs on cpu 1 and the free on cpu 0, so the freed page lands on cpu 0's hot
 * list, invisible to the watermark test, which counts buddy pages only. The free still wakes the
 * sleeper; its next round drains every CPU's lists after queueing itself ({@code drain_all_pages})
 * and then finds two buddy pages. If the free came first, the page is already on cpu 0's list
 * when the allocation starts, and the same drain finds it.
 */
@JCStressTest(Mode.Termination)
@Description("A sleeping GFP_KERNEL allocation on cpu 1 is woken by a free that lands on cpu 0's per-CPU list.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned a page: it drained the freed page "
        + "from cpu 0's list, before sleeping (free first) or after being woken.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps: a lost wake-up, or a free page "
        + "left hidden on another CPU's list.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned null or left the zone inconsistent.")
@State
public class SleepingAllocRemoteFreeTest {
    private static final int SLEEPER_CPU = 1;
    private static final int FREEING_CPU = 0;

    private final TinyMachine m = newMachine();
    private final Page victim = m.take(10);

    private static TinyMachine newMachine() {
        TinyMachine tm = new TinyMachine(TinyMachine.TWO_CPU_PCP_WAITING);
        tm.machine.bindCurrentThread(FREEING_CPU);
        tm.takeAll().release(5).drain().expect(1, 0);
        return tm;
    }

    @Actor
    public void allocate() {
        m.machine.bindCurrentThread(SLEEPER_CPU);
        Page page = m.machine.pageAlloc().allocPages(Gfp.GFP_KERNEL, 0);
        SleepChecks.gotPage(m, page);
    }

    @Signal
    public void free() {
        m.machine.bindCurrentThread(FREEING_CPU);
        m.machine.pageAlloc().freePage(victim);
    }
}
