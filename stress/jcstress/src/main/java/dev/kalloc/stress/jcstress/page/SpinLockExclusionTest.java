// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.SpinLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The spinlock with its default spins, two threads on two CPUs: the uncontended CAS, the
 * test-and-test-and-set spin, and (when a holder is descheduled) the park. Each actor makes a
 * plain read-modify-write of two fields under the lock and reports the count it read. The CAS
 * must let one in at a time, and the unlock (a CAS, or the slow path's store) must publish the
 * first holder's writes to the second: a lost update, a torn pair or a stale read shows.
 *
 * <p>Result: (the count actor1 read, the count actor2 read, the count at the end; -1 instead if
 * at the end the shadow differs from the count, or the lock is still held or shows waiters).
 */
@JCStressTest
@Description("SpinLock: two plain read-modify-writes under it never interleave, and each sees the one before.")
@Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "actor1 took the lock first, actor2 read its update.")
@Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "actor2 took the lock first, actor1 read its update.")
@Outcome(expect = FORBIDDEN, desc = "Both read the same count (both were in at once, or the unlock did not publish), "
        + "or the pair was torn.")
@State
public class SpinLockExclusionTest {
    private final SpinLock lock = new SpinLock();
    private int count;
    private int shadow;

    private int bump() {
        lock.lock();
        try {
            int c = count;
            int s = shadow;
            count = c + 1;
            shadow = s + 1;
            return c;
        } finally {
            lock.unlock();
        }
    }

    @Actor
    public void actor1(III_Result r) {
        r.r1 = bump();
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = bump();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        boolean clean = shadow == count && !lock.isLocked() && !lock.hasParkedWaiters();
        r.r3 = clean ? count : -1;
    }
}
