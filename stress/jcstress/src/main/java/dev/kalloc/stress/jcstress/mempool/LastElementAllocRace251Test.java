// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.MempoolPolicy;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/** {@link LastElementAllocRace} on the 2.5.1 policy. */
@JCStressTest
@Description("2.5.1 policy: two atomic mempool_allocs race for the last idle element; exactly one gets it.")
@State
public class LastElementAllocRace251Test extends LastElementAllocRace {
    public LastElementAllocRace251Test() {
        super(MempoolPolicy.LINUX_2_5_1);
    }

    @Actor
    @Override
    public void allocFirst() {
        super.allocFirst();
    }

    @Actor
    @Override
    public void allocSecond() {
        super.allocSecond();
    }

    @Arbiter
    @Override
    public void arbiter(IIII_Result r) {
        super.arbiter(r);
    }
}
