// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulated multiprocessor a machine's threads run on: {@code nr_cpus} CPU ids,
 * {@code current} (the calling thread's {@link Task}) and {@code set_cpus_allowed} (binding the
 * thread to one CPU id), and the per-thread counters. A booted machine is one ({@code Machine}
 * extends it); two share nothing.
 *
 * <p>Invariants: every task a thread gets from {@link #current()} is that thread's, bound to a
 * CPU id in {@code [0, nrCpus)}; a thread's CPU id changes only through
 * {@link #bindCurrentThread}, and only while the task is in no context (no flags, no interrupt,
 * no {@link Task.Slot} set); the table below is a cache of the {@code ThreadLocal}, never the
 * truth.
 *
 * <p>A superclass rather than a field of the machine, so that {@link #current()}, called twice
 * by every alloc+free pair, reads the table from the object the caller already holds.
 */
public abstract class Smp {
    /** Thread ids at or above this use the {@code ThreadLocal} alone: the table stays small. */
    static final int MAX_TASK_TABLE = 1 << 16;

    private final int nrCpus;
    private final AtomicInteger nextCpu = new AtomicInteger();
    private final ThreadLocal<Task> current;
    /**
     * The same tasks indexed by thread id, so that {@link #current()} finds the caller's task
     * with a few dependent loads instead of a {@code ThreadLocal} probe (about 2.5 ns, paid twice
     * by every alloc+free pair). The {@code ThreadLocal} stays the truth; this is a cache of it:
     * a slot is written by its own thread only, a hit counts only if the task is the caller's and
     * not retired by {@link #bindCurrentThread}, and anything else (a slot lost to a racing
     * grow, an id beyond {@link #MAX_TASK_TABLE}, a {@code Thread} subclass) falls back to the
     * {@code ThreadLocal} and refills the slot.
     *
     * <p>A hit is recognised without a reference to the {@code Thread}: the table serves plain
     * {@code Thread}s only (the project's own threads all are), whose {@code getId} is the JVM's,
     * unique and never reused, and a hit needs the slot's task to carry the caller's id as its
     * {@link Task#tableKey}. So a slot keeps no {@code Thread} reachable after its thread ends; it
     * does keep the ended thread's task, a few dozen bytes, until {@link #forgetTasks()}. Measured
     * (FastPathBench, 1 thread, quiet 2-core machine, ns per alloc+free): page0-pcp 20.1 with a
     * strong {@code Thread} compare, 20.3-20.5 with this check (slab-64 21.1, 20.1-20.2); a
     * compare of the caller's class with one kept in the task (to serve {@code Thread}
     * subclasses that keep {@code getId}) made page0-pcp 24.0, and a {@code WeakReference} per
     * slot, which would let ended tasks go too, about as much. A {@code Thread} subclass pays
     * the {@code ThreadLocal} probe on every call instead.
     */
    private volatile Task[] tasksById = new Task[64];
    private final Object tasksByIdGrow = new Object();
    private final TaskCounters counters = new TaskCounters();

    /**
     * @throws IllegalArgumentException if {@code nrCpus} is not positive
     */
    protected Smp(int nrCpus) {
        if (nrCpus <= 0) {
            throw new IllegalArgumentException("nrCpus must be positive, got " + nrCpus);
        }
        this.nrCpus = nrCpus;
        this.current = ThreadLocal.withInitial(this::newTask);
    }

    /** {@code current}: the calling thread's task, created and bound to a CPU on first use. */
    public final Task current() {
        Thread thread = Thread.currentThread();
        long id = thread.getId();
        Task[] tab = tasksById;
        // A plain Thread's id is its own and positive; the class test is one compare with a
        // constant.
        if (thread.getClass() == Thread.class && id < tab.length) {
            Task t = tab[(int) id];
            if (t != null && t.tableKey == id) {
                return t;
            }
        }
        return currentSlow(id);
    }

    private Task currentSlow(long id) {
        Task t = current.get();
        remember(t, id);
        return t;
    }

    /**
     * Puts the calling thread's task in its slot. A grow racing with this store may copy the
     * old table without it; the next {@link #current()} then misses and stores again.
     */
    private void remember(Task t, long id) {
        if (id < 0 || id >= MAX_TASK_TABLE || t.tableKey != id) {
            return;
        }
        Task[] tab = tasksById;
        if (id >= tab.length) {
            synchronized (tasksByIdGrow) {
                tab = tasksById;
                if (id >= tab.length) {
                    tab = Arrays.copyOf(tab, (int) Math.min(MAX_TASK_TABLE, Math.max(2L * tab.length, id + 1)));
                    tasksById = tab;
                }
            }
        }
        tab[(int) id] = t;
    }

    /** Filled slots of the task table; for tests. */
    int tasksInTable() {
        int n = 0;
        for (Task t : tasksById) {
            if (t != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Binds the calling thread to {@code cpu}, like a task pinned with {@code set_cpus_allowed}.
     *
     * @throws IllegalArgumentException if {@code cpu} is not a CPU id of this machine
     * @throws IllegalStateException if the thread is in the middle of something that is bound to
     *         its CPU: PF_* flags set, interrupt context, or a task slot (a reservation) in force
     */
    public final Task bindCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= nrCpus) {
            throw new IllegalArgumentException("cpu " + cpu + " is outside [0, " + nrCpus + ")");
        }
        Task t = current.get();
        if (t.cpu() != cpu) {
            if (t.flags() != 0 || t.inInterrupt() || t.hasSlotSet()) {
                throw new IllegalStateException(t + " has flags, an interrupt context or a reservation in "
                        + "force; it cannot move to cpu " + cpu + " now");
            }
            // Retired first: a grow may have copied the old task into a table this thread reads
            // next; its key of -1 (this thread's own write) makes current() skip it there.
            t.tableKey = -1;
            t = new Task(Thread.currentThread(), cpu, counters, t);
            current.set(t);
            remember(t, Thread.currentThread().getId());
        }
        return t;
    }

    private Task newTask() {
        int cpu = Math.floorMod(nextCpu.getAndIncrement(), nrCpus);
        return new Task(Thread.currentThread(), cpu, counters, null);
    }

    /**
     * The machine's per-thread event counters ({@code alloc_percpu} statistics): counted with a
     * plain store by the counting thread, summed when read. See {@link TaskCounters}.
     */
    public final TaskCounters counters() {
        return counters;
    }

    /**
     * Empties the task table. Nothing in it is needed for correctness (the {@code ThreadLocal}
     * is the truth); a closed machine that someone keeps around should not keep the tasks of
     * ended threads. Each thread's next call refills its slot.
     */
    protected final void forgetTasks() {
        synchronized (tasksByIdGrow) {
            tasksById = new Task[64];
        }
    }
}
