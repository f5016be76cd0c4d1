// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

/**
 * The calling thread as the simulated kernel sees it: {@code current}, a {@code task_struct}
 * cut down to what the allocators read. One per thread per {@link Smp} (a booted machine),
 * created on the thread's first call into that machine and bound there to a CPU id
 * ({@code smp_processor_id()}).
 *
 * <p>The runtime knows nothing of memory management, so the pointers {@code task_struct} keeps
 * for mm code (LaHaise's {@code current->page_reservations}) are {@link Slot}s: an mm module
 * declares one, typed, and reads and writes it on any task. A task with any slot set is "inside
 * something" and may not move to another CPU ({@link Smp#bindCurrentThread}).
 *
 * <p>Only its own thread touches a task while that thread lives, so its fields are plain. Other
 * threads may read {@link #cpu()} and {@link #name()}, which never change after binding. One
 * write comes from another thread: a reservation that reaps a dead thread's scope clears the
 * task's reservation slot ({@code do_exit}'s {@code page_reservations = NULL}), and only once
 * {@link Thread#isAlive()} has returned false for it, which orders every write the thread made
 * before that one.
 */
public final class Task {
    /** Allocating to free memory: ignore watermarks ({@code PF_MEMALLOC}, 2.4 value). */
    public static final int PF_MEMALLOC = 0x00000800;
    /** Killed by the OOM killer, may use the last pages ({@code PF_MEMDIE}). */
    public static final int PF_MEMDIE = 0x00001000;
    /** Inside {@code balance_classzone}: freed pages go to the task's local list. */
    public static final int PF_FREE_PAGES = 0x00002000;

    private final String name;
    private final int cpu;
    /**
     * What {@link Smp#current()} checks to trust a table hit, instead of the {@code Thread}
     * itself: the machine's table keeps tasks until the machine closes, and must not keep ended
     * threads reachable with them. The thread's id if the thread is a plain {@code Thread}
     * (whose {@code getId} is the JVM's: unique, never reused), and -1 if it is a subclass (which
     * may override {@code getId}) or once {@link Smp#bindCurrentThread} has replaced the task
     * (written then by the task's own thread, the only one whose lookups can match it). Only a
     * task whose key is its thread's id goes in the table.
     */
    long tableKey;
    private int flags;
    private int irqDepth;
    /** The values of the {@link Slot}s, by {@link Slot#index}; null where unset. */
    private final Object[] slots = new Object[Slot.MAX];
    /** The machine's counters, and this thread's cells in them (null until the first count). */
    private final TaskCounters counters;
    private TaskCounters.Area counterArea;
    /**
     * {@code counterArea}'s cells, read plainly: only this thread writes them, and only this
     * thread replaces the array (the area's volatile copy is for readers). Empty until the
     * first count, so the bounds test is the only test on the way.
     */
    private long[] counterCells = TaskCounters.NO_CELLS;

    /**
     * A task for {@code thread} on {@code cpu}; {@code previous} is the task it replaces on a
     * rebind (or null), whose counter cells it takes over: they belong to the thread.
     */
    Task(Thread thread, int cpu, TaskCounters counters, Task previous) {
        this.tableKey = thread.getClass() == Thread.class ? thread.getId() : -1;
        this.name = thread.getName();
        this.cpu = cpu;
        this.counters = counters;
        if (previous != null) {
            // Moved, not shared: if the thread still counted through the old task and one of
            // the two grew the cells, the other would go on writing an array no sum reads. The
            // old task starts a new area of the same thread instead (summed, and folded when the
            // thread ends, like any other). The caller is the thread itself.
            this.counterArea = previous.counterArea;
            this.counterCells = previous.counterCells;
            previous.counterArea = null;
            previous.counterCells = TaskCounters.NO_CELLS;
        }
    }

    /**
     * Adds one to this thread's cell of counter {@code slot} of the machine's
     * {@link TaskCounters}: a load and a store to a line no other thread writes. Only the task's
     * own thread may call it.
     *
     * @throws IllegalArgumentException if {@code slot} was never allocated
     */
    public void count(int slot) {
        long[] c = counterCells;
        // Valid slots are [PAD, length - PAD): one unsigned compare sends every other value,
        // padding and negatives included, to growCounters, which refuses what was never allocated.
        if (Integer.compareUnsigned(slot - TaskCounters.PAD, c.length - 2 * TaskCounters.PAD) >= 0) {
            c = growCounters(slot);
        }
        TaskCounters.increment(c, slot);
    }

    private long[] growCounters(int slot) {
        counterArea = counters.areaFor(counterArea, slot);
        return counterCells = counterArea.cells;
    }

    /** The thread name this task was created for. */
    public String name() {
        return name;
    }

    /** {@code smp_processor_id()}: the CPU this thread is bound to. */
    public int cpu() {
        return cpu;
    }

    /** {@code current->flags}. */
    public int flags() {
        return flags;
    }

    /** Sets PF_* bits, returning the previous flags so the caller can restore them. */
    public int setFlags(int bits) {
        int old = flags;
        flags |= bits;
        return old;
    }

    /** Restores the flags saved by {@link #setFlags(int)}. */
    public void restoreFlags(int saved) {
        flags = saved;
    }

    /** {@code in_interrupt()}: true between {@link #irqEnter()} and the matching exit. */
    public boolean inInterrupt() {
        return irqDepth > 0;
    }

    /**
     * {@code irq_enter}: marks this thread as running in interrupt context until the returned
     * scope is closed. Block-device completion threads run their handlers inside one.
     */
    public IrqScope irqEnter() {
        irqDepth++;
        return irqScope;
    }

    private final IrqScope irqScope = new IrqScope();

    /** The interrupt-context scope returned by {@link #irqEnter()}; closing it is {@code irq_exit}. */
    public final class IrqScope implements AutoCloseable {
        private IrqScope() {
        }

        @Override
        public void close() {
            if (irqDepth == 0) {
                throw new KernelBug("irq_exit without irq_enter on " + name);
            }
            irqDepth--;
        }
    }

    /** The value of {@code slot} on this task, or null if unset. */
    public <T> T get(Slot<T> slot) {
        return slot.type.cast(slots[slot.index]);
    }

    /**
     * Sets {@code slot} on this task (null to clear it), returning the previous value for
     * restoring; nesting is the caller's to keep.
     *
     * @throws ClassCastException if {@code value} is not of the slot's type (nothing changes)
     */
    public <T> T set(Slot<T> slot, T value) {
        T old = get(slot);
        slots[slot.index] = slot.type.cast(value);
        return old;
    }

    /** True if any slot is set: the task is inside something an mm module tracks. */
    public boolean hasSlotSet() {
        for (Object v : slots) {
            if (v != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * A pointer that mm code keeps in every task, as {@code task_struct} keeps
     * {@code page_reservations}: declared once, as a constant, by the module that owns it.
     * Slots are few and never freed ({@link #MAX} in all, per JVM), since every task carries
     * room for each.
     *
     * @param <T> what the slot points to
     */
    public static final class Slot<T> {
        /**
         * Slots a JVM may declare; every task has room for each. Generous, so that declarations
         * by users' code never take the room of an mm module's (PageReservation's is one).
         */
        static final int MAX = 16;
        private static int declared;

        final int index;
        final Class<T> type;
        private final String name;

        private Slot(int index, Class<T> type, String name) {
            this.index = index;
            this.type = type;
            this.name = name;
        }

        /**
         * Declares a slot; call it once, from a static initializer.
         *
         * @throws IllegalStateException if {@link #MAX} slots are declared already
         */
        public static synchronized <T> Slot<T> declare(Class<T> type, String name) {
            if (type == null || type.isPrimitive()) {
                throw new IllegalArgumentException("task slot " + name + ": the type must be a reference type, got "
                        + type);
            }
            if (declared == MAX) {
                throw new IllegalStateException("cannot declare task slot " + name + ": all " + MAX
                        + " task slots are taken");
            }
            return new Slot<>(declared++, type, name);
        }

        @Override
        public String toString() {
            return "task slot " + name + " (" + type.getSimpleName() + ")";
        }
    }

    @Override
    public String toString() {
        return "task " + name + " on cpu " + cpu;
    }
}
