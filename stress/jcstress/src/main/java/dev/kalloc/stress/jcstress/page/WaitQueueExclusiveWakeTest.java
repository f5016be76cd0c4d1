// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.WaitQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * WaitQueue guarantee 1 for an exclusive sleeper: queue with {@code prepareToWait(true)}, re-test
 * the condition, {@code schedule}; the waker sets a volatile flag and then calls {@code wakeUp()}.
 * Either the sleeper's re-test sees the flag, or the waker finds it queued and picks it as the one
 * exclusive waiter to wake.
 */
@JCStressTest(Mode.Termination)
@Description("An exclusive WaitQueue sleeper (prepareToWait/re-test/schedule) is woken by flag = true; wakeUp().")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The sleeper returned: its re-test after queueing saw the "
        + "flag, or wakeUp() found it queued and woke it.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The sleeper still sleeps with the flag set: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the sleeper threw.")
@State
public class WaitQueueExclusiveWakeTest {
    private final WaitQueue queue = new WaitQueue();
    private volatile boolean ready;

    @Actor
    public void sleeper() {
        for (;;) {
            WaitQueue.Entry wait = queue.prepareToWait(true);
            try {
                if (ready) {
                    return;
                }
                queue.schedule(wait);
            } finally {
                queue.finishWait(wait);
            }
        }
    }

    @Signal
    public void waker() {
        ready = true;
        queue.wakeUp();
    }
}
