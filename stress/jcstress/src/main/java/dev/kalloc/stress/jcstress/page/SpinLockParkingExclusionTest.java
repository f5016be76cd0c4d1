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
 * {@link SpinLockExclusionTest} on a lock built with no spins, so that an actor that finds the
 * lock held queues and parks at once: exclusion and publication through the park path (the
 * unlock's failed CAS, the wait for QLOCK, the store that frees lock and list together, the
 * unpark) rather than the spin. At the end the lock must be free with no waiter left queued.
 *
 * <p>Three actors, one more than the 2 CPUs of the benchmark machine, would be the natural
 * test, but jcstress 0.16 gives each actor a CPU and will not schedule a test with more actors
 * than CPUs ("No scheduling is possible"); stress/schedules explores three threads with Fray.
 *
 * <p>Result: (the count actor1 read, the count actor2 read, the count at the end; -1 instead if
 * at the end the shadow differs from the count, or the lock is still held or shows waiters).
 */
@JCStressTest
@Description("SpinLock with no spins: read-modify-writes through the park path never interleave.")
@Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "actor1 took the lock first (actor2 parked or came later), "
        + "actor2 read its update.")
@Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "actor2 took the lock first (actor1 parked or came later), "
        + "actor1 read its update.")
@Outcome(expect = FORBIDDEN, desc = "Both read the same count (both were in at once, or the unlock did not publish), "
        + "the pair was torn, or a waiter was left queued.")
@State
public class SpinLockParkingExclusionTest {
    private final SpinLock lock = new SpinLock(0);
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
