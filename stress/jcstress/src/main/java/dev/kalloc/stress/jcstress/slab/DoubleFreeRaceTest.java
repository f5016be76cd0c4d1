// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.slab;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.slab.SlabBug;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A double free on two CPUs at once: each free takes its own CPU's array lock, so only the CAS
 * on the object's state separates them. Exactly one free goes through; the other is refused with
 * a {@link SlabBug}, and the object sits in exactly one array.
 *
 * <p>Before: limit 4, batch 2; a is allocated; CPU 0's array holds the other object its refill took.
 * <br>Result: (actor 1 freed, actor 2 freed, {@link SlabVerdict}).
 */
@JCStressTest
@Description("Two racing frees of one object: exactly one succeeds, the other is reported.")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "CPU 0's free won the CAS; CPU 1's was refused as a double "
        + "free.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "CPU 1's free won; CPU 0's was refused.")
@Outcome(expect = FORBIDDEN, desc = SlabVerdict.FORBIDDEN_DESC)
@State
public class DoubleFreeRaceTest {
    private final SlabFixture f = new SlabFixture(2, 4, 2);
    private final long a = f.alloc();
    private int freed1;
    private int freed2;

    {
        f.expect(0, 1, 0, 1);
    }

    @Actor
    public void freeOnCpu0() {
        f.on(0);
        freed1 = tryFree();
    }

    @Actor
    public void freeOnCpu1() {
        f.on(1);
        freed2 = tryFree();
    }

    private int tryFree() {
        try {
            f.cache.free(a);
            return 1;
        } catch (SlabBug doubleFree) {
            return 0;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = freed1;
        r.r2 = freed2;
        // The winner pushed a next to the refilled object: two in arrays, none allocated.
        r.r3 = f.cache.cpuCachedObjects() == 2 ? SlabVerdict.of(f, 0) : SlabVerdict.LOST_OR_FOUND;
    }
}
