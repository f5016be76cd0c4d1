// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.page.Gfp;
import org.openjdk.jcstress.annotations.Outcome;

/**
 * The body of {@link SleepingAllocWokenByFree251Test} and {@link SleepingAllocWokenByFreeModernTest}:
 * a GFP_NOIO allocation on an empty pool, over an allocator that always fails, sleeps until the
 * signal frees the element that is out, and must return exactly that element. How each policy
 * sleeps, and why no wake-up can be lost, is in each test's comment. The outcomes are the same
 * for both policies and are inherited; jcstress takes the actor and the signal only from the
 * test class's own methods, so each test re-declares them, calling these.
 */
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The allocation returned the freed element: the free came "
        + "first, or it woke the sleeper.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation still sleeps after the free: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the allocation returned something other than the freed element.")
abstract class SleepingAllocWokenByFree {
    private final PoolFixture f;
    private final Elem held;

    SleepingAllocWokenByFree(MempoolPolicy policy) {
        f = new PoolFixture(policy, 1);
        held = f.pool.alloc(Gfp.GFP_ATOMIC);
    }

    public void allocate() {
        Elem got = f.pool.alloc(Gfp.GFP_NOIO);
        if (got != held) {
            throw new IllegalStateException("the sleeping allocation returned " + got + ", not " + held);
        }
    }

    public void free() {
        f.pool.free(held);
    }
}
