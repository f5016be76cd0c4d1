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
 * The 2.5.1 level 5: a GFP_NOIO allocation on an empty pool, over an allocator that always
 * fails, sleeps (exclusively, without a timeout) until the signal frees the element that is out.
 *
 * <p>The free adds the element under the pool lock and then wakes one exclusive sleeper. The
 * sleeper queues first and then reads {@code curr_nr} under the same lock: if the free's critical
 * section came first it sees the element and does not sleep; otherwise its queueing happened
 * before the free took the lock, so the free finds it queued. It must return exactly that element.
 *
 * <p>The body and outcomes are {@link SleepingAllocWokenByFree}'s.
 */
@JCStressTest(Mode.Termination)
@Description("2.5.1 policy: a sleeping mempool_alloc on an empty pool is woken by mempool_free.")
@State
public class SleepingAllocWokenByFree251Test extends SleepingAllocWokenByFree {
    public SleepingAllocWokenByFree251Test() {
        super(MempoolPolicy.LINUX_2_5_1);
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
