// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.MempoolPolicy;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/** {@link LastElementAllocRace} on the modern policy. */
@JCStressTest
@Description("Modern policy: two atomic mempool_allocs race for the last idle element; exactly one gets it.")
@State
public class LastElementAllocRaceModernTest extends LastElementAllocRace {
    public LastElementAllocRaceModernTest() {
        super(MempoolPolicy.MODERN);
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
