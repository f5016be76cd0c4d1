// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.MempoolPolicy;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The modern sleep: a GFP_NOIO allocation on an empty pool, over an allocator that always fails,
 * retries with the full gfp, then sleeps (not exclusively) until the signal frees the element
 * that is out. The pool's timeout is an hour, so only a wake-up can end the sleep within the
 * test: a lost one shows as STALE rather than as a retry after {@code io_schedule_timeout}.
 *
 * <p>The sleeper queues while it still holds the pool lock under which it saw the pool empty; the
 * free adds under that lock and then wakes every sleeper. If the free's critical section came
 * first, the sleeper finds the element and does not queue; otherwise the free finds it queued.
 * It must return exactly the freed element.
 *
 * <p>The body and outcomes are {@link SleepingAllocWokenByFree}'s.
 */
@JCStressTest(Mode.Termination)
@Description("Modern policy: a sleeping mempool_alloc on an empty pool is woken by mempool_free.")
@State
public class SleepingAllocWokenByFreeModernTest extends SleepingAllocWokenByFree {
    public SleepingAllocWokenByFreeModernTest() {
        super(MempoolPolicy.MODERN);
    }

    @Actor
    @Override
    public void allocate() {
        super.allocate();
    }

    @Signal
    @Override
    public void free() {
        super.free();
    }
}
