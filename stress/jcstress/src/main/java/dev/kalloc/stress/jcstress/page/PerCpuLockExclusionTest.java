// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.PerCpuLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The per-CPU lock on its own (a CAS to take, a release store to drop): two threads, as two
 * threads bound to one CPU id are, each make a plain read-modify-write of two fields under it.
 * The release store must publish the first holder's writes to the second, and the CAS must let
 * only one in at a time; a lost update or a torn pair shows.
 *
 * <p>Result: (the counter, the counter's shadow), both incremented under the lock by each actor.
 */
@JCStressTest
@Description("PerCpuLock: two plain read-modify-writes under it, never interleaved.")
@Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Both updates, one after the other.")
@Outcome(expect = FORBIDDEN, desc = "An update lost: the lock let both in, or did not publish the first.")
@State
public class PerCpuLockExclusionTest extends PerCpuLock {
    private int count;
    private int shadow;

    private void bump() {
        lock();
        try {
            int c = count;
            int s = shadow;
            count = c + 1;
            shadow = s + 1;
        } finally {
            unlock();
        }
    }

    @Actor
    public void actor1() {
        bump();
    }

    @Actor
    public void actor2() {
        bump();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = count;
        r.r2 = shadow;
    }
}
