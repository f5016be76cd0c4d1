// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code spinlock_t} with {@code spin_lock}, {@code spin_unlock}, {@code spin_trylock} and
 * {@code spin_is_locked} (include/asm-i386/spinlock.h of 2.4.15 / 2.5.1): the lock of a shared
 * structure held for a short, bounded piece of work ({@code zone->lock}, {@code pool->lock},
 * {@code cachep->spinlock}). A standalone object, a field of the structure it guards, padded so
 * that its lock word shares no cache line with anything else.
 *
 * <h2>The kernel's lock, and why this one parks</h2>
 * The 2.4 i386 {@code spin_lock} is a test-and-test-and-set: {@code lock; decb} on the lock byte,
 * and on failure a loop of {@code rep; nop} (PAUSE) reading the byte until it looks free, then
 * another {@code lock; decb}. {@code spin_unlock} is a plain byte store ({@code movb $1}), enough
 * on x86's ordered stores. It is not fair: whoever's {@code decb} comes first after the store
 * wins. It never sleeps, because a holder is never descheduled: 2.4 does not preempt the kernel,
 * and 2.5's {@code CONFIG_PREEMPT} makes {@code spin_lock} disable preemption. Java cannot stop
 * the scheduler from descheduling a holder, and a waiter spinning on it then burns a whole
 * timeslice (on a 2-core machine, half the machine) for nothing. So a waiter here spins like the
 * kernel's for a short, bounded time ({@link #SPINS} + 1 tries, with an exponential backoff of
 * {@link Thread#onSpinWait()}s, which is PAUSE, between them), and if the lock is still held it
 * parks until an unlock wakes it. It never
 * spins, and never yields, without bound on the lock itself.
 *
 * <h2>The lock word</h2>
 * One {@code long}, with every state the lock has:
 * <ul>
 *   <li>{@link #HELD} | the holder's thread id (its low 61 bits) while the lock is held; the id
 *       bits are 0 while it is free. Only the holder writes its id, so a thread that reads its
 *       own id there holds the lock: {@link #lock()} by the holder throws (see Reentry).</li>
 *   <li>{@link #PARKED}: the waiter list is not empty. Set with the CAS that links the first
 *       waiter, cleared only by the unlock that unlinks the last one. It may stay set while the
 *       lock is free (a waiter was woken and has not run yet, others still parked).</li>
 *   <li>{@link #QLOCK}: the waiter list is being changed. A bit lock held for a few
 *       instructions (link one node, or unlink one), never across a park, an allocation or a
 *       call out; its waiters spin with PAUSE and, should its holder have been descheduled
 *       inside those instructions, yield to it. It is taken only while {@code HELD} is set and
 *       dropped no later than {@code HELD}, so a free lock's word is 0 or {@code PARKED}.</li>
 * </ul>
 * Waiters are {@link Waiter} nodes, one per thread, made the first time a thread parks on any
 * spinlock and kept (in a {@code ThreadLocal}, looked up on the park path only) for reuse: a
 * thread waits for one lock at a time, and its node is off every list whenever {@code lock()}
 * returns. The list is FIFO, linked through the nodes ({@code head}, {@code tail}, {@code next},
 * plain fields guarded by QLOCK). So no acquisition allocates anything, contended or not, once
 * the thread has parked once: AQS, under {@code ReentrantLock}, allocates a node every time a
 * thread queues.
 *
 * <h2>The algorithm</h2>
 * <ol>
 *   <li>{@link #lock()}: one CAS of the word from 0 to {@code HELD|id}. On failure: if the word
 *       holds the caller's own id, throw. Otherwise spin: read the word, back off (1, 2, 4, ...
 *       up to {@link #MAX_BACKOFF} PAUSEs without touching it), and whenever it shows the lock free ({@code HELD} clear; {@code PARKED} may be set) CAS
 *       {@code HELD|id} into it, keeping {@code PARKED}.</li>
 *   <li>After {@link #SPINS} + 1 tries: CAS the word from (held, QLOCK clear) to the same
 *       {@code |PARKED|QLOCK}, which takes the list for this thread only while the lock is
 *       held (a free lock is tried again instead); link the thread's node at the tail, mark it
 *       waiting, store the word back without QLOCK; then park until the node is no longer
 *       waiting. Woken, start again at the spin (the lock is not handed over: unfair, like 2.4).</li>
 *   <li>{@link #unlock()}: one CAS of the word from {@code HELD|id} to 0. It fails if
 *       {@code PARKED} is set (with or without {@code QLOCK}), or the caller is not the holder
 *       (it throws). Then, once QLOCK is clear, CAS it in, unlink the head node, store the word
 *       as {@code PARKED} (if nodes remain) or 0, which frees the lock and the list in one
 *       write, then mark the node not waiting and unpark its thread.</li>
 * </ol>
 *
 * <h2>Memory ordering</h2>
 * Every access to the word is volatile: the CASes, the reads of the spin, and the stores of the
 * slow paths. So the unlock of a holder (its CAS, or the store that drops {@code HELD})
 * synchronizes-with the CAS by which the next holder takes the lock, which reads that write or a
 * later one: everything a holder wrote under the lock happens-before whatever the next holder
 * reads. The list fields are written only with QLOCK held, and QLOCK is taken with a CAS and
 * dropped with a volatile store of the word: each list change happens-before the next.
 * {@code Waiter.waiting} is volatile; the waker's write of false comes after it unlinked the node
 * and is paired with the waiter's read before each park, so a waiter that sees false sees its
 * node unlinked and may reuse it.
 *
 * <h2>Why unlock is a CAS and not PerCpuLock's release store</h2>
 * The unlocker must learn, atomically with its release, whether a waiter parked. A release store
 * of 0 followed by a read of a "waiters" flag does not: the store may still sit in the store
 * buffer when the read runs (x86 reorders a store with a later load), the read sees no waiter, a
 * waiter meanwhile reads the lock as still held, publishes itself and parks, and nobody wakes
 * it. Closing that needs a StoreLoad fence between the two, which costs what a locked
 * instruction costs; the CAS is one locked instruction that also does the test: it fails exactly
 * when {@code PARKED} or {@code QLOCK} is in the word.
 *
 * <h2>No lost wake-up</h2>
 * Claim: once a waiter has published itself, the next unlock wakes some parked waiter.
 * <ol>
 *   <li>A waiter parks only after its CAS set {@code PARKED|QLOCK} in a word with {@code HELD}
 *       set and QLOCK clear, it linked its node, and it dropped QLOCK.</li>
 *   <li>While QLOCK is held with {@code HELD} set, no one else writes the word: a would-be
 *       holder CASes only a word without {@code HELD}, another waiter only one without QLOCK,
 *       and the holder's unlock waits for QLOCK to clear. So the waiter's store that drops
 *       QLOCK writes back exactly what was there, {@code PARKED} included.</li>
 *   <li>{@code PARKED} is cleared only by an unlocker that holds QLOCK and unlinks the last
 *       node; so while any node is linked, {@code PARKED} is in the word.</li>
 *   <li>Step 1's CAS succeeded on a word with {@code HELD} set, so at that point in the word's
 *       order of writes the lock was held, and its holder's release (a write of the word) comes
 *       after the CAS. That unlock therefore finds {@code PARKED} set, its fast-path CAS fails,
 *       and its slow path unlinks the list's head (there is one, by 3) and wakes it. The same
 *       holds for every later unlock while the list is non-empty.</li>
 *   <li>The wake-up itself cannot be lost: the waker writes {@code waiting = false} before it
 *       unparks, the waiter reads {@code waiting} before every park, and an unpark that comes
 *       before the park leaves the thread a permit, so the park returns.</li>
 *   <li>A woken waiter that loses the race to a newcomer queues again; the newcomer's unlock
 *       then wakes the list's head (by 4). Each unlock with waiters parked wakes one, so
 *       the lock never sits free with every waiter parked. Waking is FIFO, but a woken waiter
 *       may lose to newcomers any number of times: not fair, and not meant to be.</li>
 * </ol>
 *
 * <h2>Reentry</h2>
 * Not reentrant, as no kernel spinlock is: a second {@code spin_lock} by the holder waits for
 * itself forever (from 2.6.16, {@code CONFIG_DEBUG_SPINLOCK} reports "recursion"). Here the contended path, seeing the
 * caller's own id in the word, throws {@link IllegalStateException} and leaves the lock held,
 * with or without assertions. As in {@link PerCpuLock}, a {@code Thread} subclass that overrides
 * {@code getId} can make two threads share an id; such a thread only waits. {@link #unlock()} by
 * a thread that does not hold the lock fails its assertion, and without assertions its CAS fails
 * and the slow path throws, leaving the lock as it was (unless the caller shares the holder's id).
 *
 * <h2>Interrupts</h2>
 * {@code spin_lock} cannot be interrupted and neither can {@link #lock()}: a parked waiter that
 * is interrupted parks again until it gets the lock, and returns with its interrupt status set.
 *
 * <h2>What it costs</h2>
 * Uncontended: a CAS to lock and a CAS to unlock (where {@link PerCpuLock} unlocks with a plain
 * store: its waiters never park, so it need not learn about them). Contended: the waiter's spin,
 * and if it parks, a {@code ThreadLocal} lookup, two writes of the word and a park; the
 * unlocker's slow path adds a CAS, a store and an unpark (a system call when the thread sleeps).
 * Memory: 256 bytes of padding per lock, and one small node per thread that ever parked.
 *
 * <p>Measured: stress/jmh/README.md has {@code PiecesBench}'s {@code spinLockOwn} and
 * {@code spinLockShared} (a pair on a lock of one thread, and on one lock both threads take)
 * beside {@code reentrantLockShared}, and the FastPathBench paths on the zone and pool locks,
 * one and two threads, from one run of {@code stress/jmh/run.sh}.
 */
public final class SpinLock extends SpinLockPadAfter {
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(SpinLockFields.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Backoffs before a waiter parks: it tries {@code SPINS + 1} times (a read of the word, and a
     * CAS when it shows the lock free), and after each failed try but the last it backs off for {@code min(2^i, }
     * {@link #MAX_BACKOFF}{@code )} {@link Thread#onSpinWait()}s (PAUSE) without touching the
     * word. Why back off: every read of the word by a waiter pulls its cache line over, and the
     * holder's next CAS must pull it back, so a waiter that reads after every PAUSE turns each of
     * the holder's acquisitions into a transfer between the cores; a waiter that reads rarely
     * lets the holder run batches with the line in its own cache. Measured with JMH on the
     * 2-core benchmark machine (AMD EPYC, KVM guest, JDK 17, FastPathBench with two threads on
     * one zone or pool lock, {@code -f 1 -wi 3 -i 5}): reading after every PAUSE and parking
     * after 128 of them, page3 425.1 ns and mempool-reserve-64 393.8 ns per operation per
     * thread; with this backoff 242.0 and 166.5 (one thread alone: 129.3 and 38.4); the run of
     * stress/jmh/README.md measured 261.6 and 207.9. One PAUSE took 65-75 ns there
     * (a KVM guest's PAUSE is slow: a plain loop of two million of them timed with
     * {@code System.nanoTime}), so the 12 backoffs cover about 1,300 PAUSEs, 90 us, before the
     * waiter parks (a park/unpark hand-off measured 9.5 us). The zone, pool and slab locks are
     * held for far less, so a waiter parks only when the holder has been descheduled or the
     * lock is hot for that long, which is when parking pays.
     */
    public static final int SPINS = 12;
    /** The longest backoff between two tries, in {@link Thread#onSpinWait()}s. */
    static final int MAX_BACKOFF = 256;
    /** Set in every held lock word, so a held word is never 0 whatever the id. */
    private static final long HELD = 1L << 63;
    /** Set while the waiter list is not empty. */
    private static final long PARKED = 1L << 62;
    /** Set while a thread changes the waiter list. */
    private static final long QLOCK = 1L << 61;
    /** The bits of the holder's thread id. */
    private static final long ID_MASK = QLOCK - 1;
    /** PAUSEs on QLOCK before each further wait yields to its holder, by then likely descheduled. */
    private static final int QLOCK_SPINS = 64;

    /** The calling thread's node, made the first time it parks on a spinlock. */
    private static final ThreadLocal<Waiter> WAITER = ThreadLocal.withInitial(Waiter::new);

    /** A lock with the default {@link #SPINS}. */
    public SpinLock() {
        this(SPINS);
    }

    /**
     * A lock whose waiters spin {@code spins} times before they park: 0 parks at once. For
     * tests that need the park path; read only on the contended path.
     *
     * @throws IllegalArgumentException if {@code spins} is negative
     */
    public SpinLock(int spins) {
        super(spins);
        if (spins < 0) {
            throw new IllegalArgumentException("spins must be >= 0, got " + spins);
        }
    }

    /** The lock word the calling thread writes when it takes the lock. */
    private static long me() {
        return HELD | (Thread.currentThread().getId() & ID_MASK);
    }

    /**
     * {@code spin_lock}: takes the lock, spinning briefly and then parking while another thread
     * holds it. Process or interrupt context alike; it waits only as long as holders hold. It is
     * not interruptible: an interrupt while it waits is kept for the caller (the status is set
     * when it returns).
     *
     * @throws IllegalStateException if the calling thread holds it already (it is not
     *         reentrant); the lock stays held
     */
    public void lock() {
        long me = me();
        if (!WORD.compareAndSet(this, 0L, me)) {
            lockContended(me);
        }
    }

    private void lockContended(long me) {
        long w = word;
        if ((w & (HELD | ID_MASK)) == me && idIsUnique(Thread.currentThread())) {
            throw new IllegalStateException(this + " taken twice by thread " + Thread.currentThread().getName()
                    + ": a spinlock is not reentrant");
        }
        boolean interrupted = false;
        for (;;) {
            int backoff = 1;
            for (int i = 0; i <= spins; i++) {
                w = word;
                if ((w & HELD) == 0 && WORD.compareAndSet(this, w, w | me)) {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                    return;
                }
                if (i < spins) {
                    // Away from the word: the holder keeps its line (see SPINS).
                    for (int k = 0; k < backoff; k++) {
                        Thread.onSpinWait();
                    }
                    backoff = Math.min(backoff << 1, MAX_BACKOFF);
                }
            }
            interrupted |= parkWhileHeld();
        }
    }

    /**
     * Queues the calling thread and parks it until an unlock wakes it; returns at once if the
     * lock is found free. Never returns with the thread's node on the list.
     *
     * @return true if the thread was interrupted while parked (the status is cleared)
     */
    private boolean parkWhileHeld() {
        Waiter node = WAITER.get();
        assert !node.waiting && node.next == null : "a thread's node is on a list while it starts to wait";
        long w;
        int spins = 0;
        for (;;) {
            w = word;
            if ((w & HELD) == 0) {
                return false; // released meanwhile: try again rather than queue
            }
            if ((w & QLOCK) != 0) {
                spins = qlockBackoff(spins);
            } else if (WORD.compareAndSet(this, w, w | PARKED | QLOCK)) {
                break;
            }
        }
        node.waiting = true;
        if (tail == null) {
            head = node;
        } else {
            tail.next = node;
        }
        tail = node;
        // Nobody else wrote the word while QLOCK and HELD were in it (class comment, step 2).
        word = w | PARKED;
        boolean interrupted = false;
        while (node.waiting) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    /** Waits a moment for QLOCK: PAUSE, and past {@link #QLOCK_SPINS} yield to its holder. */
    private static int qlockBackoff(int spins) {
        if (spins < QLOCK_SPINS) {
            Thread.onSpinWait();
            return spins + 1;
        }
        Thread.yield();
        return spins;
    }

    /**
     * True if {@code t}'s class inherits {@code Thread.getId}, whose ids are unique; see
     * {@link PerCpuLock}. Reflection, but only on the way to the exception.
     */
    private static boolean idIsUnique(Thread t) {
        try {
            return t.getClass().getMethod("getId").getDeclaringClass() == Thread.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("Thread.getId is public", e);
        }
    }

    /**
     * {@code spin_trylock}: takes the lock if it is free, without waiting.
     *
     * @return true if taken; false if held, by this thread or another
     */
    public boolean tryLock() {
        long w = word;
        return (w & HELD) == 0 && WORD.compareAndSet(this, w, w | me());
    }

    /**
     * {@code spin_unlock}: releases the lock and, if waiters are parked, wakes the one that
     * parked first. Never blocks (it may wait a few instructions for a waiter to finish
     * queueing).
     *
     * @throws IllegalStateException if the calling thread does not hold the lock (with
     *         assertions on, an {@link AssertionError} first); the lock is left as it was
     */
    public void unlock() {
        long me = me();
        assert (word & (HELD | ID_MASK)) == me : this + " released by thread " + Thread.currentThread().getName()
                + ", which does not hold it";
        if (!WORD.compareAndSet(this, me, 0L)) {
            unlockContended(me);
        }
    }

    private void unlockContended(long me) {
        int spins = 0;
        for (;;) {
            long w = word;
            if ((w & (HELD | ID_MASK)) != me) {
                throw new IllegalStateException(this + " released by thread " + Thread.currentThread().getName()
                        + ", which does not hold it");
            }
            // The word is ours, so the fast path failed on PARKED, which only an unlock clears.
            assert (w & PARKED) != 0 : this + ": unlock's CAS failed with no waiter queued";
            if ((w & QLOCK) != 0) {
                spins = qlockBackoff(spins); // a waiter is linking itself
            } else if (WORD.compareAndSet(this, w, w | QLOCK)) {
                wakeFirst();
                return;
            }
        }
    }

    /**
     * Unlinks the list's head, releases the lock and QLOCK in one store, and wakes the head's
     * thread. The caller holds the lock and QLOCK, and PARKED is set, so the list is not empty.
     */
    private void wakeFirst() {
        Waiter first = head;
        Waiter next = first.next;
        head = next;
        if (next == null) {
            tail = null;
        }
        first.next = null;
        Thread thread = first.thread;
        // Nobody else writes the word while HELD and QLOCK are ours (class comment, step 2).
        word = next == null ? 0L : PARKED;
        first.waiting = false; // paired with the read in parkWhileHeld's loop
        LockSupport.unpark(thread);
    }

    /** {@code spin_is_locked}: true while some thread holds the lock; for assertions and tests. */
    public boolean isLocked() {
        return (word & HELD) != 0;
    }

    /**
     * The holder's thread id (as its {@code getId} gave it, low 61 bits), or -1 when free; for
     * messages and tests.
     */
    public long holderId() {
        long w = word;
        return (w & HELD) == 0 ? -1 : w & ID_MASK;
    }

    /** True while some thread is parked on (or about to be woken from) this lock; for tests. */
    public boolean hasParkedWaiters() {
        return (word & PARKED) != 0;
    }

    /** Names the lock for messages: its identity, its holder and whether waiters are parked. */
    @Override
    public String toString() {
        long w = word;
        return "SpinLock@" + Integer.toHexString(System.identityHashCode(this))
                + ((w & HELD) == 0 ? " (free" : " (held by thread id " + (w & ID_MASK))
                + ((w & PARKED) == 0 ? ")" : ", waiters parked)");
    }

    /** One thread's place on a spinlock's waiter list; reused for every wait of that thread. */
    static final class Waiter {
        final Thread thread = Thread.currentThread();
        /** True from queueing until a waker unlinks the node. */
        volatile boolean waiting;
        /** The next waiter; guarded by the list's QLOCK. */
        Waiter next;
    }
}

/** The fields of {@link SpinLock}, between its two paddings. */
abstract class SpinLockFields extends LeadingPad {
    /** The lock word: see {@link SpinLock}. Written with CAS or volatile stores only. */
    volatile long word;
    /** The waiter list, FIFO; guarded by QLOCK. */
    SpinLock.Waiter head;
    SpinLock.Waiter tail;
    /** Spins before parking; read on the contended path only. */
    final int spins;

    SpinLockFields(int spins) {
        this.spins = spins;
    }
}

/** The trailing pad (see the package comment, "Padding"): 128 bytes behind the fields. */
abstract class SpinLockPadAfter extends SpinLockFields {
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
    long q09;
    long q10;
    long q11;
    long q12;
    long q13;
    long q14;
    long q15;
    long q16;

    SpinLockPadAfter(int spins) {
        super(spins);
    }
}
