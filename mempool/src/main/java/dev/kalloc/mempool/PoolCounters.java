package dev.kalloc.mempool;

import dev.kalloc.page.Task;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * The hot counters of a {@link Mempool}: allocations served per {@link MempoolLevel}, and frees
 * to the pool and to the underlying allocator. They are the port's instrumentation, not part of
 * mm/mempool.c, so they must not cost what Ingo's "no added cost in the normal case" forbids:
 * a {@code LongAdder} increment is a CAS even uncontended, two per alloc+free.
 *
 * <p>How: one padded cell per CPU id. The first thread that counts on a CPU claims its cell
 * (one CAS, once) and from then on counts there with a plain read and a release store: it is
 * the only writer. Any other thread on that CPU (two threads may share a CPU id), a caller
 * without a {@link Task} (a pool without a machine) and every slow path count in the shared
 * {@code LongAdder}s. A sum reads the adders and the cells.
 *
 * <p>Exactness: every event is counted once, in the claimant's cell or in an adder. A sum taken
 * at a quiescent point (after the counting threads were joined, or otherwise happened-before
 * the read) is exact. Under traffic each value is some recent one; and because cells are
 * written with release and read with acquire, as the adders' volatile accesses are, a reader
 * that sees an element's free also sees its allocation when the element passed between the two
 * threads through any happens-before edge, which {@link Mempool#nrOut()} relies on.
 */
final class PoolCounters {
    /** Counter indexes: the levels' ordinals first. */
    static final int FREED_TO_POOL = MempoolLevel.values().length;
    static final int FREED_TO_ALLOCATOR = FREED_TO_POOL + 1;
    static final int COUNT = FREED_TO_ALLOCATOR + 1;

    private final LongAdder[] shared = new LongAdder[COUNT];
    /** One cell per CPU id, or null when the pool has no machine. */
    private final Cell[] cells;

    PoolCounters(int nrCpus) {
        for (int i = 0; i < COUNT; i++) {
            shared[i] = new LongAdder();
        }
        if (nrCpus > 0) {
            cells = new Cell[nrCpus];
            for (int i = 0; i < nrCpus; i++) {
                cells[i] = new Cell();
            }
        } else {
            cells = null;
        }
    }

    /** Counts one event of {@code counter} for the calling thread, whose task is {@code task} (or null). */
    void increment(int counter, Task task) {
        if (task != null && cells != null) {
            Cell c = cells[task.cpu()];
            Thread me = Thread.currentThread();
            Thread owner = c.owner;
            if (owner == me || (owner == null && c.claim(me))) {
                c.add(counter);
                return;
            }
        }
        shared[counter].increment();
    }

    /** Counts one event in the shared adders: slow paths and callers without a task. */
    void incrementShared(int counter) {
        shared[counter].increment();
    }

    /** The current total of {@code counter}; exact at a quiescent point. */
    long sum(int counter) {
        long s = shared[counter].sum();
        if (cells != null) {
            for (Cell c : cells) {
                s += c.get(counter);
            }
        }
        return s;
    }

    /**
     * One CPU's counts, written by its claimant only. The counts sit in the middle of a larger
     * array, so that the cache lines written on every alloc and free hold nothing of another
     * cell's, wherever the collector puts the array; the cell object itself is read-mostly.
     */
    static final class Cell {
        private static final int PAD = 16;
        private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
        private static final VarHandle OWNER;

        static {
            try {
                OWNER = MethodHandles.lookup().findVarHandle(Cell.class, "owner", Thread.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The claimant, set once; read by every counting thread of this CPU. */
        volatile Thread owner;
        private final long[] counts = new long[PAD + COUNT + PAD];

        boolean claim(Thread me) {
            return OWNER.compareAndSet(this, null, me);
        }

        /** Claimant only: a plain read of its own last value, a release store of the next. */
        void add(int counter) {
            COUNTS.setRelease(counts, PAD + counter, counts[PAD + counter] + 1);
        }

        long get(int counter) {
            return (long) COUNTS.getAcquire(counts, PAD + counter);
        }
    }
}
