package dev.kalloc.page;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock of one CPU's per-CPU structure ({@code struct per_cpu_pages}, the slab's
 * {@code cpucache_t}), the port's stand-in for the kernel's {@code local_irq_save}: the
 * structure's own fields live in a subclass, so they share cache lines with this lock word and
 * with nothing else.
 *
 * <p>Why a lock: two threads may be bound to one CPU id, and {@code drain_all_pages}, the slab
 * reaper, {@code kmem_cache_shrink} and {@code kmem_tune_cpucache} reach other CPUs' structures.
 * A fast path for the owning thread without any atomic instruction was considered and rejected:
 * a remote drain must know the owner is not half-way through a plain push or pop, and without a
 * store-load fence on the owner's side (the cost of the CAS it would replace) or an
 * operating-system barrier Java 17 does not expose, the only safe scheme left is to let the
 * owner do the drain, which never happens if the owner is idle, parked in the allocator, or busy
 * elsewhere: a thread sleeping for free pages could then wait forever for pages parked on the
 * list of a thread that is waiting for it. So the fast path pays one atomic instruction per
 * operation, and nothing else.
 *
 * <p>Why not {@code ReentrantLock}: uncontended, {@link #lock()} here is one CAS and
 * {@link #unlock()} a release store, a plain {@code mov} on x86, where {@code ReentrantLock}'s
 * unlock is a volatile store (a full fence) followed by a read of its queue. Measured on the
 * 2-core benchmark machine: a lock/unlock pair around a push and one around a pop cost 4.3 ns
 * here, 9.5 ns with {@code ReentrantLock}. The lock word is a field of the structure, not a
 * separate object the garbage collector may move next to another CPU's.
 *
 * <p>Contention (two threads on one CPU id, or a remote drain) spins briefly and then yields
 * until the holder lets go. Holders keep it for a bounded piece of work, but that may include
 * taking a zone lock or a slab cache's spinlock (lock order: per-CPU lock first), so a waiter
 * can spin for as long as such a lock is held; that is the price of the uncommon case. Not
 * reentrant: no path takes a per-CPU lock it holds.
 *
 * <p>Memory: {@link #lock()} is a volatile CAS, {@link #unlock()} a release store of the word the
 * next {@link #lock()} reads, so everything a holder wrote happens-before whatever the next
 * holder reads.
 */
public abstract class PerCpuLock extends PerCpuLockPad {
    private static final VarHandle LOCKED;

    static {
        try {
            LOCKED = MethodHandles.lookup().findVarHandle(PerCpuLock.class, "locked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Spins (with {@link Thread#onSpinWait()}) before yielding to the holder. */
    private static final int SPINS = 100;

    private volatile int locked;
    /**
     * The id of the holding thread, or 0, with assertions on: plain, written by the holder only,
     * read only to turn an attempt to take the lock twice (it is not reentrant) into an
     * exception instead of a hang. A thread reading its own id here holds the lock: it wrote that id last, and nobody
     * else writes it. A long, not the {@code Thread}, so that the store has no GC barrier.
     */
    private long holder;
    /**
     * Holder tracking costs two plain stores and a thread-id read per lock and unlock, half a
     * nanosecond each on the benchmark machine, so it is on only where assertions are (tests).
     */
    private static final boolean TRACK_HOLDER = PerCpuLock.class.desiredAssertionStatus();

    protected PerCpuLock() {
    }

    /**
     * Takes the lock, spinning and then yielding while another thread holds it.
     *
     * @throws IllegalStateException if the calling thread holds it already (detected with
     *         assertions on; without them that is a hang)
     */
    public final void lock() {
        if (!LOCKED.compareAndSet(this, 0, 1)) {
            lockContended();
        }
        if (TRACK_HOLDER) {
            holder = Thread.currentThread().getId();
        }
    }

    private void lockContended() {
        if (TRACK_HOLDER && holder == Thread.currentThread().getId()) {
            throw new IllegalStateException("per-CPU lock taken twice by " + Thread.currentThread().getName()
                    + ": it is not reentrant");
        }
        int spins = 0;
        for (;;) {
            if (locked == 0 && LOCKED.compareAndSet(this, 0, 1)) {
                return;
            }
            if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Takes the lock if it is free, without waiting. */
    public final boolean tryLock() {
        if (locked == 0 && LOCKED.compareAndSet(this, 0, 1)) {
            if (TRACK_HOLDER) {
                holder = Thread.currentThread().getId();
            }
            return true;
        }
        return false;
    }

    /** Releases the lock; the caller must hold it (checked by assertion only). */
    public final void unlock() {
        if (TRACK_HOLDER) {
            assert holder == Thread.currentThread().getId() : "per-CPU lock released by a thread that does not hold it";
            holder = 0;
        }
        LOCKED.setRelease(this, 0);
    }

    /** True while some thread holds the lock; for assertions and tests. */
    public final boolean isLocked() {
        return locked != 0;
    }
}

/**
 * 128 bytes ahead of the lock word and the fields after it: two CPUs' structures, allocated one
 * after the other, never share a cache line or an adjacent-line prefetch pair. The int fills the
 * 4-byte hole after the object header that the JVM could otherwise give to a subclass field.
 * The subclasses end with the same padding on the other side.
 */
abstract class PerCpuLockPad {
    int p0;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
    long p09;
    long p10;
    long p11;
    long p12;
    long p13;
    long p14;
    long p15;
    long p16;
}
