package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
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
 */
@JCStressTest(Mode.Termination)
@Description("Modern policy: a sleeping mempool_alloc on an empty pool is woken by mempool_free.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned the freed element: the free came "
        + "first, or it woke the sleeper.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps after the free: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned something other than the freed element.")
@State
public class SleepingAllocWokenByFreeModernTest {
    private final PoolFixture f = new PoolFixture(MempoolPolicy.MODERN, 1);
    private final PoolFixture.Elem held = f.pool.alloc(Gfp.GFP_ATOMIC);

    @Actor
    public void allocate() {
        PoolFixture.Elem got = f.pool.alloc(Gfp.GFP_NOIO);
        if (got != held) {
            throw new IllegalStateException("the sleeping allocation returned " + got + ", not " + held);
        }
    }

    @Signal
    public void free() {
        f.pool.free(held);
    }
}
