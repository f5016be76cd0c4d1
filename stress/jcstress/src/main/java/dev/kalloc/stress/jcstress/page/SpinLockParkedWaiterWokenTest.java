// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.SpinLock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * No lost wake-up of a parked waiter. The state is built, and the lock taken, by the thread that
 * later runs the signal (jcstress builds a termination test's state in its control thread). The
 * actor calls {@code lock()}, spins its default spins and parks; the signal waits until the lock
 * shows the waiter queued ({@code PARKED} in the word) and then unlocks, so every sample has a
 * waiter on the park path when the unlock comes: the unlock's CAS fails on {@code PARKED}, it
 * unlinks the waiter and unparks it. The actor must always get the lock and return.
 *
 * <p>jcstress runs a termination test's fork on one CPU (the forked JVM's affinity mask has one
 * CPU: one per actor, and the control thread shares it), so the signal yields while it waits:
 * the actor runs until it parks, or until the scheduler preempts it on its way there, and the
 * unlock comes after the park or, in those preempted samples, in the middle of the queueing.
 * Every point of that way is explored schedule by schedule in stress/schedules
 * ({@code SpinLockScheduleTest}), where a lost wake-up shows as a deadlock.
 *
 * <p>The signal gives up waiting after a second and unlocks anyway, so a lock that never shows
 * the waiter still gets a verdict (TERMINATED or STALE) instead of hanging the run.
 */
@JCStressTest(Mode.Termination)
@Description("A waiter parked in SpinLock.lock() is woken by the holder's unlock.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The waiter queued and parked (or was about to), the unlock "
        + "found it queued, woke it, and it took the lock.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The waiter still parked after the unlock: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: lock() or unlock() threw.")
@State
public class SpinLockParkedWaiterWokenTest {
    private final SpinLock lock = new SpinLock();

    public SpinLockParkedWaiterWokenTest() {
        lock.lock();
    }

    @Actor
    public void waiter() {
        lock.lock();
        lock.unlock();
    }

    @Signal
    public void unlock() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!lock.hasParkedWaiters() && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
        lock.unlock();
    }
}
