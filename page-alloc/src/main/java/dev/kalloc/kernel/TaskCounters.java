// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Event counters that each thread increments in cells of its own and a reader sums: the port's
 * stand-in for the kernel's per-CPU statistics ({@code alloc_percpu} areas, {@code
 * percpu_counter}, the {@code vm_stat} diffs), which a CPU bumps with a plain add because nothing
 * else writes its copy. Here the owner of a cell is a thread, not a CPU id, because two threads
 * may be bound to one CPU id and a plain add by both would lose counts.
 *
 * <p>One per {@link Smp} (a booted machine). {@link #allocate} hands out slots ({@code alloc_percpu}); every
 * thread's {@link Task} has an area with one cell per slot, created on the thread's first
 * {@link Task#count} and moved to the new task when {@link Smp#bindCurrentThread} gives the thread a
 * new task. {@link #sum} adds every area's cell to what ended threads left behind.
 *
 * <h2>Why not {@code LongAdder}</h2>
 * An uncontended {@code LongAdder.increment} is a CAS on its base, a locked instruction that
 * waits for the store buffer to drain; with contention it moves to striped cells, each still
 * updated with a CAS. Here the increment is a load and a release store (a plain move on x86) to
 * a line only the counting thread writes, plus the task lookup when the caller has not made it
 * already. Alone, the two cost about the same ({@code PiecesBench}'s {@code taskCount} and
 * {@code longAdder} in stress/jmh); inside a mempool's fast path, whose allocator has just
 * made locked instructions of its own, the cells measured about 3 ns less per alloc+free than
 * the adders (FastPathBench, mempool-64 against slabobj-64; see stress/jmh/README.md).
 *
 * <h2>Guarantees</h2>
 * <ol>
 *   <li>No count is lost: a cell has one writer, its thread, for as long as the thread lives.</li>
 *   <li>A {@link #sum} is exact for every increment that happens-before it (the counting thread
 *       was joined, or handed its work over through a lock or a volatile), and never counts an
 *       increment twice. Increments racing with it may or may not be in it, as with
 *       {@code percpu_counter_sum}.</li>
 *   <li>A cell is written with a release store and read with an acquire load (on x86 both are
 *       plain moves): never torn, and a reader that sees an increment also sees everything that
 *       happened-before it, in particular the increments of other threads that handed this one
 *       its work. So of two counters where one event always follows another (an element freed
 *       after it was allocated), reading the later one's sum first never shows more of the
 *       later events than of the earlier.</li>
 *   <li>An ended thread's counts survive it: the first {@link #sum} after the thread is seen dead
 *       folds its area into the machine's totals and drops the area, so areas do not pile up
 *       with thread churn. The area refers to its thread weakly and keeps it alive no longer.</li>
 * </ol>
 *
 * <h2>Memory ordering of the fold</h2>
 * An area is folded only when its thread is gone: {@code Thread.isAlive()} returned false, which
 * orders every write the thread made before the fold (JLS 17.4.4), or the thread object was
 * collected, which a live thread never is. The second is not a happens-before edge of the memory
 * model; it is safe in practice (the thread ended long before a collection could clear the
 * reference, and the collector's safepoints order memory), and the reads are acquire loads. Slots are never reused (a pool that is destroyed
 * leaves its two slots behind: 16 bytes per thread).
 *
 * <h2>Layout</h2>
 * Slots start at {@link #PAD} and every area's array ends with {@link #PAD} unused cells, so two
 * threads' cells, in arrays the collector may place side by side, never share a cache line or an
 * adjacent-line prefetch pair (128 bytes each side, as {@link PerCpuLock}'s padding).
 */
public final class TaskCounters {
    /** Unused cells at each end of an area: 16 longs, 128 bytes. */
    static final int PAD = 16;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);

    private final Object lock = new Object();
    /** The next free slot. Guarded by {@code lock}. */
    private int nextSlot = PAD;
    /** The areas of threads not yet seen dead. Guarded by {@code lock}. */
    private final List<Area> areas = new ArrayList<>();
    /** What ended threads counted, by slot. Guarded by {@code lock}. */
    private long[] ended = new long[PAD];

    /** One thread's cells. Written by that thread only; read by {@link #sum}. */
    static final class Area {
        final WeakReference<Thread> owner;
        /** Replaced (grown) by the owner only; volatile so a reader never sees a half-copied array. */
        volatile long[] cells;

        Area(Thread owner, int length) {
            this.owner = new WeakReference<>(owner);
            this.cells = new long[length];
        }

        boolean ownerEnded() {
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    TaskCounters() {
    }

    /**
     * {@code alloc_percpu}: reserves {@code n} consecutive counters, zero in every thread.
     *
     * @return the first slot; the others follow it
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public int allocate(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("allocate " + n + " counters: at least 1");
        }
        synchronized (lock) {
            int base = nextSlot;
            nextSlot = Math.addExact(base, n);
            ended = Arrays.copyOf(ended, nextSlot);
            return base;
        }
    }

    /**
     * The sum of counter {@code slot} over every thread that ever counted it. Takes a lock
     * (readers only); never blocks a counting thread.
     *
     * @throws IllegalArgumentException if {@code slot} was never allocated
     */
    public long sum(int slot) {
        synchronized (lock) {
            if (slot < PAD || slot >= nextSlot) {
                throw new IllegalArgumentException("counter slot " + slot + " was never allocated");
            }
            long total = ended[slot];
            for (Iterator<Area> it = areas.iterator(); it.hasNext();) {
                Area a = it.next();
                if (a.ownerEnded()) {
                    fold(a);
                    it.remove();
                    total += cell(a.cells, slot);
                } else {
                    total += cell(a.cells, slot);
                }
            }
            return total;
        }
    }

    /** Adds an ended thread's cells to {@code ended}. Lock held. */
    private void fold(Area a) {
        long[] c = a.cells;
        for (int s = PAD; s < Math.min(nextSlot, c.length - PAD); s++) {
            ended[s] += cell(c, s);
        }
    }

    private static long cell(long[] cells, int slot) {
        return slot < cells.length - PAD ? (long) CELL.getAcquire(cells, slot) : 0;
    }

    /** The number of areas not yet folded; for tests. */
    int liveAreas() {
        synchronized (lock) {
            return areas.size();
        }
    }

    // ---------------------------------------------------------------------------------------
    // The owner's side, called through Task
    // ---------------------------------------------------------------------------------------

    /** A thread's cells before its first count: both paddings and no slot, so every count grows it. */
    static final long[] NO_CELLS = new long[2 * PAD];

    /** Increments the owner's cell; the caller is the thread whose area {@code cells} is. */
    static void increment(long[] cells, int slot) {
        // The owner is the only writer: a plain read of its own last write, a release store.
        CELL.setRelease(cells, slot, cells[slot] + 1);
    }

    /**
     * The slow half of {@link Task#count}: creates the calling thread's area, or grows it to
     * cover every slot allocated so far, then returns it.
     *
     * @throws IllegalArgumentException if {@code slot} was never allocated
     */
    Area areaFor(Area area, int slot) {
        synchronized (lock) {
            if (slot < PAD || slot >= nextSlot) {
                throw new IllegalArgumentException("counter slot " + slot + " was never allocated");
            }
            int length = nextSlot + PAD;
            if (area == null) {
                area = new Area(Thread.currentThread(), length);
                areas.add(area);
            } else {
                // Only the owner grows its area, so nothing is written to the old array after
                // this copy: the readers switch over with the volatile write.
                area.cells = Arrays.copyOf(area.cells, length);
            }
            return area;
        }
    }
}
