// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

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
 * can spin for as long as such a lock is held, and as long as the holder is parked waiting for
 * it (a {@link SpinLock}, which parks where this lock yields: every CPU's threads contend for
 * it, where this one sees at most the threads sharing a CPU id and the occasional remote
 * drain); that is the price of the uncommon case. Not
 * reentrant: no path takes a per-CPU lock it holds, and one that did would wait for itself
 * forever. So the lock word holds the holder's identity, its thread id (with the top bit set,
 * so that it is never 0, whatever a {@code Thread} subclass's {@code getId} returns): the CAS
 * that takes the lock writes it at no extra cost, and the contended path, seeing its own id
 * there, throws instead of spinning, with or without assertions.
 *
 * <p>Padding: the lock word follows a {@link LeadingPad}; each concrete structure ends with a
 * trailing pad class of its own (see the package comment, "Padding").
 *
 * <p>Memory: {@link #lock()} is a volatile CAS, {@link #unlock()} a release store of the word the
 * next {@link #lock()} reads, so everything a holder wrote happens-before whatever the next
 * holder reads.
 */
public abstract class PerCpuLock extends LeadingPad {
    private static final VarHandle LOCKED;

    static {
        try {
            LOCKED = MethodHandles.lookup().findVarHandle(PerCpuLock.class, "locked", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Spins (with {@link Thread#onSpinWait()}) before yielding to the holder. */
    private static final int SPINS = 100;
    /** Set in every held lock word: a thread id of 0 (only a lying getId gives one) still locks. */
    private static final long HELD = Long.MIN_VALUE;

    /**
     * 0 when free, else {@link #HELD} | the holder's thread id. Only the holder writes its own
     * id here, so a thread that reads its own id holds the lock: it wrote that id last and has
     * not released it. A long (a thread id), not the {@code Thread}, so that the CAS and the
     * release store have no GC barrier and {@link #lock()} needs no lookup beyond
     * {@code Thread.currentThread().getId()}, a field load.
     */
    private volatile long locked;

    protected PerCpuLock() {
    }

    /** The lock word the calling thread writes when it takes the lock. */
    private static long me() {
        return HELD | Thread.currentThread().getId();
    }

    /**
     * Takes the lock, spinning and then yielding while another thread holds it.
     *
     * @throws IllegalStateException if the calling thread holds it already (it is not
     *         reentrant); the lock stays held
     */
    public final void lock() {
        long me = me();
        if (!LOCKED.compareAndSet(this, 0L, me)) {
            lockContended(me);
        }
    }

    private void lockContended(long me) {
        if (locked == me && idIsUnique(Thread.currentThread())) {
            throw new IllegalStateException(this + " taken twice by thread " + Thread.currentThread().getName()
                    + ": a per-CPU lock is not reentrant");
        }
        int spins = 0;
        for (;;) {
            if (locked == 0 && LOCKED.compareAndSet(this, 0L, me)) {
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

    /**
     * True if {@code t}'s class inherits {@code Thread.getId}, whose ids are unique. A subclass
     * may override it and give two threads one id; its own id in the word then proves nothing,
     * and such a thread only waits, as every thread did before the word held an id. Reflection,
     * but only on the way to the exception (or for such a thread, at the start of a wait).
     */
    private static boolean idIsUnique(Thread t) {
        try {
            return t.getClass().getMethod("getId").getDeclaringClass() == Thread.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("Thread.getId is public", e);
        }
    }

    /** Takes the lock if it is free, without waiting; false if held, by this thread or another. */
    public final boolean tryLock() {
        return locked == 0 && LOCKED.compareAndSet(this, 0L, me());
    }

    /** Releases the lock; the caller must hold it (checked by assertion only). */
    public final void unlock() {
        assert locked == me() : this + " released by thread " + Thread.currentThread().getName()
                + ", which does not hold it";
        LOCKED.setRelease(this, 0L);
    }

    /** True while some thread holds the lock; for assertions and tests. */
    public final boolean isLocked() {
        return locked != 0;
    }

    /** The holder's thread id (as its {@code getId} gave it), or -1 when free; for messages and tests. */
    public final long holderId() {
        long w = locked;
        return w == 0 ? -1 : w & ~HELD;
    }

    /** Names the lock for messages: its class, identity and holder. */
    @Override
    public String toString() {
        long holder = holderId();
        return getClass().getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(this))
                + (holder < 0 ? " (free)" : " (held by thread id " + holder + ")");
    }
}
