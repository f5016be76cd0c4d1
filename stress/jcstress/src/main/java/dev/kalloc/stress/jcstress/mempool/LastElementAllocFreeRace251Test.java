// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.MempoolPolicy;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/** {@link LastElementAllocFreeRace} on the 2.5.1 policy. */
@JCStressTest
@Description("2.5.1 policy: two atomic mempool_allocs race a mempool_free at the pool's last element.")
@State
public class LastElementAllocFreeRace251Test extends LastElementAllocFreeRace {
    public LastElementAllocFreeRace251Test() {
        super(MempoolPolicy.LINUX_2_5_1);
    }

    @Actor
    @Override
    public void allocTwice() {
        super.allocTwice();
    }

    @Actor
    @Override
    public void free() {
        super.free();
    }

    @Arbiter
    @Override
    public void arbiter(IIII_Result r) {
        super.arbiter(r);
    }
}
