// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.page;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Machine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@code Machine.current()}'s table of tasks by thread id against {@code bindCurrentThread}, on a
 * fresh machine whose table is still small: both threads' first calls may grow it at once (a
 * grow copies the other thread's slot, or loses a store made to the old table meanwhile), and
 * each thread then binds itself to the other CPU, retiring a task that a copy may still hold.
 * Whatever the interleaving, each thread must find exactly the task it bound last.
 *
 * <p>Each actor binds to CPU 0, looks itself up, then binds to CPU 1 and looks itself up again;
 * the arbiter then looks itself up.
 * <br>Result: (actor 1 found its tasks, actor 2 found its tasks, the arbiter got no retired task).
 */
@JCStressTest
@Description("Task lookup by thread id: a racing table grow and a rebind never hand a thread a stale task.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Both threads see the task of their last bind.")
@Outcome(expect = FORBIDDEN, desc = "A thread found a retired task, another thread's task, or its binding was lost.")
@State
public class TaskTableBindTest {
    private final Machine m = new TinyMachine(TinyMachine.TWO_CPU_PCP_WAITING).machine;

    /** The tasks each actor bound, first and second. */
    private final Task[] bound = new Task[4];

    private int rebind(int slot) {
        Task first = m.bindCurrentThread(0);
        boolean ok = m.current() == first;
        Task second = m.bindCurrentThread(1);
        ok &= m.current() == second && second != first;
        bound[slot] = first;
        bound[slot + 1] = second;
        return ok ? 1 : 0;
    }

    private int a1;
    private int a2;

    @Actor
    public void actor1() {
        a1 = rebind(0);
    }

    @Actor
    public void actor2() {
        a2 = rebind(2);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = a1;
        r.r2 = a2;
        // jcstress runs the arbiter on one of the actors' threads (or a third): whichever, it
        // must not be handed a retired task.
        Task mine = m.current();
        r.r3 = mine != bound[0] && mine != bound[2] ? 1 : 0;
    }
}
