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
 * A GFP_KERNEL allocation on an exhausted machine sleeps on the allocator's wait queue
 * ({@code OomPolicy.waitForFree()}) and must be woken by a free: no lost wake-up.
 *
 * <p>The zone has one free page, and an order-0 allocation needs {@code free_pages > 1}; there is
 * no page cache to reclaim and no {@code PF_MEMALLOC}. So the allocation cannot succeed until the
 * signal frees a second page, whichever runs first:
 * <ul>
 *   <li>free first: the allocation's fast pass sees 2 free pages and takes one;</li>
 *   <li>allocation first: it reclaims nothing, queues itself, re-tests the watermark (the re-test
 *       after queueing pairs with the free's {@code waitqueue_active} check after raising
 *       {@code free_pages}), sleeps, and the free's {@code wake_up_all} sends it round again.</li>
 * </ul>
 * Either way it returns a page and the zone's invariants hold once it has; a null or a broken
 * invariant is thrown and reported as ERROR.
 */
@JCStressTest(Mode.Termination)
@Description("A sleeping GFP_KERNEL allocation on an exhausted zone is woken by a free (buddy lists only).")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned a page: the free came first, or "
        + "it woke the sleeper.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps after the free: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned null or left the zone inconsistent.")
@State
public class SleepingAllocWokenByFreeTest {
    private final TinyMachine m = new TinyMachine(TinyMachine.BUDDY_ONLY_WAITING).takeAll().release(5).expect(1, 0);
    private final Page victim = m.take(10);

    @Actor
    public void allocate() {
        Page page = m.machine.pageAlloc().allocPages(Gfp.GFP_KERNEL, 0);
        SleepChecks.gotPage(m, page);
    }

    @Signal
    public void free() {
        m.machine.pageAlloc().freePage(victim);
    }
}
