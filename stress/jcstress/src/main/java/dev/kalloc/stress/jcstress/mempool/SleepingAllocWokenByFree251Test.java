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
 * The 2.5.1 level 5: a GFP_NOIO allocation on an empty pool, over an allocator that always
 * fails, sleeps (exclusively, without a timeout) until the signal frees the element that is out.
 *
 * <p>The free adds the element under the pool lock and then wakes one exclusive sleeper. The
 * sleeper queues first and then reads {@code curr_nr} under the same lock: if the free's critical
 * section came first it sees the element and does not sleep; otherwise its queueing happened
 * before the free took the lock, so the free finds it queued. It must return exactly that element.
 */
@JCStressTest(Mode.Termination)
@Description("2.5.1 policy: a sleeping mempool_alloc on an empty pool is woken by mempool_free.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned the freed element: the free came "
        + "first, or it woke the sleeper.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps after the free: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned something other than the freed element.")
@State
public class SleepingAllocWokenByFree251Test {
    private final PoolFixture f = new PoolFixture(MempoolPolicy.LINUX_2_5_1, 1);
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
