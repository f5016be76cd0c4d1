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
 * The waker's fast path every free in the page allocator takes: {@code if (waitqueue_active(q))
 * wake_up(q)}, with no lock between setting the condition and looking for sleepers. It is safe
 * only because the flag write and the queue-length read on the waker's side, and the queue-length
 * write and the flag read on the sleeper's side, are volatile (the Dekker pair of the kernel's
 * {@code smp_mb()}): at least one side sees the other. The sleeper uses {@code waitEvent}, the
 * non-exclusive {@code wait_event}.
 */
@JCStressTest(Mode.Termination)
@Description("waitEvent(flag) is woken by a waker that sets the flag and wakes only if waitqueue_active().")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The sleeper returned: its re-test saw the flag, or the "
        + "waker saw it queued (active() true) and woke it.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The waker read an empty queue and the sleeper read a clear flag: "
        + "the Dekker pair failed, the wake-up was lost.")
@Outcome(expect = FORBIDDEN, desc = "ERROR: the sleeper threw.")
@State
public class WaitQueueActiveCheckTest {
    private final WaitQueue queue = new WaitQueue();
    private volatile boolean ready;

    @Actor
    public void sleeper() {
        queue.waitEvent(() -> ready);
    }

    @Signal
    public void waker() {
        ready = true;
        if (queue.active()) {
            queue.wakeUp();
        }
    }
}
