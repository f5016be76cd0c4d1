// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.SpinLock;
import dev.kalloc.kernel.Task;
import dev.kalloc.kernel.TaskCounters;
import dev.kalloc.kernel.WaitQueue;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * {@code mempool_t} and the functions of mm/mempool.c ({@code mempool_create},
 * {@code mempool_alloc}, {@code mempool_free}, {@code mempool_resize}, {@code mempool_destroy}):
 * a reserve of at least {@code min_nr} pre-allocated elements kept in front of any allocator, so
 * that a sleeping allocation always makes progress once elements come back, however short memory
 * is. It ports Ingo Molnar's Linux 2.5.1 file (mempool-2.5.1-D2) with the April 2002 array
 * layout of the idle elements, and the modern kernel's {@code mempool_alloc} as a second
 * {@link MempoolPolicy}.
 *
 * <p>Usage:
 * <pre>{@code
 * Mempool<Page> pool = Mempool.builder("bounce", 64, Mempools.allocPages(m, 0), Mempools.freePages(m, 0))
 *         .machine(m)
 *         .create();                      // null if the 64 elements could not all be made
 * Page page = pool.alloc(Gfp.GFP_NOIO);   // sleeps if it must, never null
 * ...
 * pool.free(page);                        // refills the pool first, then the page allocator
 * }</pre>
 *
 * <h2>Notation</h2>
 * {@code min_nr} ({@link #minNr()}): the number of idle elements the pool keeps in reserve.
 * {@code curr_nr} ({@link #currNr()}): idle elements in the pool now. Elements out: handed out by
 * {@link #alloc} and not yet given to {@link #free} ({@link #nrOut()}).
 *
 * <h2>Invariants (checked by {@link #checkInvariants()}, and cheaply by {@code assert} at every
 * change)</h2>
 * <ol>
 *   <li>{@code 0 <= curr_nr <= min_nr <= elements.length} whenever the pool lock is free.</li>
 *   <li>{@code elements[0, curr_nr)} are the idle elements, none null, no element twice;
 *       {@code elements[curr_nr, length)} are null. The stack is LIFO: {@code add_element} pushes
 *       at {@code curr_nr}, {@code remove_element} pops from there, as the kernel's array does.</li>
 *   <li>At a quiescent point, elements out = successful allocations - frees &gt;= 0 (when the
 *       pool counts its fast path; see {@link Builder#fastPathStatistics}).</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>{@code lock} ({@code pool->lock}, a spinlock in the kernel) guards {@code elements} and
 *       every write of {@code curr_nr} and {@code min_nr}. It is never held while the underlying
 *       allocator, the underlying free, a hook or a wait queue sleep runs. The only other lock
 *       taken under it is the wait queue's own (the modern policy queues under the pool lock),
 *       never the other way round.</li>
 *   <li>{@code curr_nr} and {@code min_nr} are also read without the lock, as the kernel reads
 *       them: the half-full rule and the pre-check of {@code mempool_free}. Those reads are
 *       opaque ({@code READ_ONCE}) and the locked writes opaque ({@code WRITE_ONCE}), so a racing
 *       reader sees some recent value, never a torn or out-of-thin-air one. A stale value only
 *       picks a different level or is corrected by the re-check under the lock, except in the
 *       one race the barrier pair below closes.</li>
 *   <li>Barrier pair (2.6.5, "Add barriers to avoid race in mempool_alloc/free"): an element
 *       taken from the pool may be handed by its user to another CPU that frees it at once. If
 *       that CPU read a {@code curr_nr} older than the decrement that took the element, it could
 *       decide the pool is full and give the element to the underlying allocator, leaving the
 *       pool short for good. So {@code mempool_alloc} issues a store-store fence
 *       ({@code smp_wmb}) after taking an element and before returning it, and
 *       {@code mempool_free} a load-load fence ({@code smp_rmb}) between receiving the element
 *       and reading {@code curr_nr}. Each fence's comment names the other.</li>
 *   <li>The counters are exact at a quiescent point and take no lock: the two the fast path
 *       bumps (level-1 allocations, frees to the underlying allocator) are per-thread cells of
 *       the machine's {@link TaskCounters} (or {@link LongAdder}s for a pool without a machine;
 *       nothing for a pool built with {@link Builder#fastPathStatistics fastPathStatistics(false)}),
 *       the slow levels' are {@link LongAdder}s.</li>
 * </ul>
 *
 * <h2>No lost wake-up</h2>
 * A sleeper queues on {@code wait} first and only then looks at {@code curr_nr} under the pool
 * lock (2.5.1), or queues while it still holds the pool lock under which it saw the pool empty
 * (modern). A free adds its element under the pool lock and then calls {@link WaitQueue#wakeUp()},
 * which reads the volatile queue length. The pool lock orders the two critical sections: if the
 * free's comes first, the sleeper sees {@code curr_nr > 0} and does not sleep; if the sleeper's
 * comes first, its queueing happened before the free's lock acquisition, so the free finds it
 * queued and wakes it. Either way an element freed after the sleeper decided to sleep wakes it.
 *
 * <p>One change to the 2.5.1 algorithm: its sleeps are exclusive, so a free wakes one sleeper,
 * and that sleeper restarts at level 1. If level 1 (or the blocking allocation) now succeeds, it
 * leaves with a fresh element and, in 2.5.1, the freed one stays in the pool without waking
 * anyone else; with more sleepers than {@code min_nr} the pool is then full, later frees go to
 * the underlying allocator and wake nobody, and the remaining sleepers (with no timeout) sleep
 * forever while an element sits idle. Here such a waiter hands the wake-up on when the pool is
 * non-empty and others are queued ({@code passOnWakeup}), so every freed element reaches a
 * sleeper. The modern kernel's sleeps are not exclusive (every refill wakes every sleeper) and
 * time out after 5 s, and the {@link MempoolPolicy#MODERN} policy does the same.
 *
 * <p>The two policies' slow paths ({@code allocSlow251}, {@code allocSlowModern}) stay in this
 * class, each under its own heading, rather than in two strategy classes: every step of either
 * works on the pool's lock, element stack, wait queue and counters, so a strategy would reach
 * back into the pool for all of them, and the workload's watchdog names a sleep on the pool's
 * queue by this class's frames.
 *
 * <h2>The fast path</h2>
 * When the underlying allocator succeeds without sleeping (level 1), {@link #alloc} takes no pool
 * lock, makes no atomic read-modify-write and allocates nothing: a gfp check, an OR (the modern
 * modifiers, 0 for 2.5.1), one volatile read, the caller's task (a lookup in the machine's task
 * table) and its interrupt depth, the allocator call and a plain increment of the calling
 * thread's own counter cell. A free that goes to the underlying allocator is the same: the owner
 * check, two opaque reads, the free call, the task and its cell. The kernel's
 * {@code mempool_alloc} pays an indirect call and a few flag operations here; the task lookup
 * and the cell are what the port adds, so that the counters DESIGN.md asks for stay exact
 * without a CAS on the path ({@link TaskCounters}; stress/jmh/README.md says what each piece
 * costs). A pool built without a machine has no tasks and counts with {@code LongAdder}s. A pool
 * built with {@link Builder#fastPathStatistics fastPathStatistics(false)} counts nothing here,
 * as the kernel's: its fast path is the check, the call and the task its interrupt check needs.
 * {@link #lockAcquisitions()} lets tests prove the lock was not taken; JMH measures the cost.
 *
 * <h2>The masks given to the underlying allocator</h2>
 * The modern policy, like the kernel since 2.6, ORs {@link #MODERN_GFP_MODIFIERS}
 * ({@code __GFP_NOMEMALLOC|__GFP_NORETRY|__GFP_NOWARN}) into every mask {@link #alloc} gives the
 * underlying allocator; not into the caller's mask it checks, nor into the prefill's or a
 * resize's, as there. Over pages or a slab cache its full-gfp attempt therefore makes one
 * reclaim round and fails rather than looping in the page allocator, and does not take the
 * {@code PF_MEMALLOC} reserve, so the pool's own wait queue is reached even when the machine's
 * OOM policy is {@code OomPolicy.waitForFree()} (an allocation there would otherwise sleep until
 * pages are freed, which may be never). The 2.5.1 policy passes the caller's mask unchanged, as
 * 2.5.1 did (the bits did not exist): its level-3 call with the full gfp sleeps in the page
 * allocator for as long as that allocator's OOM policy makes it, before the pool's wait queue.
 *
 * <h2>Where it differs from the kernel, and why</h2>
 * <ul>
 *   <li>A pool has a name, for the {@link MempoolInfo} view. The kernel's {@code pool_data} is
 *       captured by the allocator functions instead of passed to them.</li>
 *   <li>{@code min_nr} must be at least 1 at creation, as {@code mempool_resize} demands: a pool
 *       of none guarantees nothing.</li>
 *   <li>2.5.1 treats a caller as atomic when {@code gfp == (gfp & ~(__GFP_WAIT|__GFP_IO))}; a
 *       mask with {@code __GFP_IO} but no {@code __GFP_WAIT} would then go to sleep. No 2.5.1
 *       user passes such a mask; here it is treated as atomic (null instead of a sleep), since
 *       sleeping would contradict it. The half-full rule keeps the kernel's test.</li>
 *   <li>A sleeping allocation from interrupt context is reported ({@link KernelBug}) on entry,
 *       like 2.6's {@code might_sleep_if}, rather than only if it reaches {@code schedule()}.
 *       This needs the pool to know its {@link Machine}; a pool built without one (a fake
 *       allocator in a stress test) cannot tell and does not check.</li>
 *   <li>{@code wakeup_bdflush()} and {@code run_task_queue(&tq_disk)} are hooks,
 *       {@link Builder#kickVm} and {@link Builder#unplugIo}, supplied by whoever owns the VM or
 *       the block layer; see {@link Builder#kickVm} for what a page-backed pool does instead.</li>
 *   <li>{@code mempool_resize} removes all excess elements under one hold of the lock and frees
 *       them after dropping it; 2.5.1 drops and retakes the lock per element. Same result, and
 *       invariant 1 then holds at every unlock.</li>
 *   <li>Misuse the kernel would crash on, or not notice, is refused with a {@link KernelBug} and
 *       changes nothing: {@code mempool_destroy} while elements are out or tasks sleep in
 *       {@link #alloc}, any call after destroy, a free that the owner check rejects, a double
 *       free that would put an element in the pool twice. A free of null is a no-op (the
 *       modern kernel's rule).</li>
 * </ul>
 *
 * <h2>Element origin</h2>
 * A pool cannot afford an identity set of outstanding elements on its fast path. It checks what
 * it can cheaply: an optional owner predicate ({@link Builder#ownerCheck}) runs on every free
 * before anything changes, and the page pools of {@link Mempools} install one that reads the
 * page's own state (same machine, allocated, same order: a few plain reads of the page, no
 * shared write). When a free would store an element in the pool, the pool scans its idle
 * elements for it under the lock it already holds (at most {@code min_nr} reference compares, and
 * only on that refill path), so a double free can never make the pool hand one element out twice.
 * A double free while the pool is full goes to the underlying free, which catches it if it can
 * (the page allocator does once the page is free). {@link #destroy()} refuses a pool with more
 * frees than allocations.
 *
 * @param <E> the element type
 */
public final class Mempool<E> {
    /** {@code 5*HZ}: the modern kernel's wait before retrying. */
    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * What the modern {@code mempool_alloc} ORs into the caller's mask before any underlying
     * allocation: {@code __GFP_NOMEMALLOC} (the pool is the reserve; leave the VM's emergency
     * pages to reclaim), {@code __GFP_NORETRY} (do not loop in {@code __alloc_pages}: the pool's
     * wait queue is the fallback) and {@code __GFP_NOWARN} (failures are expected).
     */
    public static final int MODERN_GFP_MODIFIERS = Gfp.__GFP_NOMEMALLOC | Gfp.__GFP_NORETRY | Gfp.__GFP_NOWARN;

    private static final VarHandle CURR_NR;
    private static final VarHandle MIN_NR;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CURR_NR = l.findVarHandle(Mempool.class, "currNr", int.class);
            MIN_NR = l.findVarHandle(Mempool.class, "minNr", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final MempoolPolicy policy;
    private final MempoolAllocFn<E> allocFn;
    private final MempoolFreeFn<E> freeFn;
    private final Predicate<? super E> ownerCheck;
    private final Machine machine;
    private final Runnable kickVm;
    private final Runnable unplugIo;
    private final long waitTimeoutNanos;
    private final LongSupplier clock;
    /**
     * Bits ORed into every mask given to {@code allocFn} by {@link #alloc}: the modern kernel's
     * {@link #MODERN_GFP_MODIFIERS}, 0 for 2.5.1. A field rather than a branch on the policy,
     * so the fast path pays one OR.
     */
    private final int allocGfpModifiers;

    /** {@code pool->lock}. */
    private final SpinLock lock = new SpinLock();
    /** {@code pool->wait}: tasks sleeping in {@link #alloc} until a free refills the pool. */
    private final WaitQueue wait = new WaitQueue();
    /** {@code pool->elements}: the idle elements, a LIFO stack. Guarded by {@code lock}. */
    private Object[] elements;
    /** {@code pool->curr_nr}. Written under {@code lock} (opaque); read unlocked with getOpaque. */
    private int currNr;
    /** {@code pool->min_nr}. Written under {@code lock} (opaque); read unlocked with getOpaque. */
    private int minNr;
    /** Acquisitions of {@code lock} by the pool's operations. Guarded by {@code lock}. */
    private long lockAcquisitions;
    /** Set under {@code lock} by {@link #destroy()}; read unlocked on every call. */
    private volatile boolean destroyed;

    /**
     * The machine's per-thread counters, or null for a pool without a machine; then
     * {@code served[NOWAIT]} and {@code freedToAllocator} count instead.
     */
    private final TaskCounters taskCounters;
    /** The level-1 counter's slot in {@link #taskCounters}; the next slot counts frees to the allocator. */
    private final int fastSlot;
    /**
     * False for a pool that, like the kernel's, does not count level-1 allocations and frees to
     * the underlying allocator; those two counters and {@link #nrOut()} then read -1.
     */
    private final boolean fastCounted;
    private final LongAdder[] served = new LongAdder[MempoolLevel.values().length];
    private final LongAdder freedToPool = new LongAdder();
    private final LongAdder freedToAllocator = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();
    private final LongAdder waitTimeouts = new LongAdder();
    private final LongAdder failures = new LongAdder();

    private Mempool(Builder<E> b) {
        this.name = b.name;
        this.policy = b.policy;
        this.allocFn = b.allocFn;
        this.freeFn = b.freeFn;
        this.ownerCheck = b.ownerCheck;
        this.machine = b.machine;
        this.kickVm = b.kickVm;
        this.unplugIo = b.unplugIo;
        this.waitTimeoutNanos = b.waitTimeout.toNanos();
        this.clock = b.clock;
        this.allocGfpModifiers = b.policy == MempoolPolicy.MODERN ? MODERN_GFP_MODIFIERS : 0;
        this.elements = new Object[b.minNr];
        this.minNr = b.minNr;
        for (int i = 0; i < served.length; i++) {
            served[i] = new LongAdder();
        }
        this.fastCounted = b.fastPathStatistics;
        this.taskCounters = b.machine == null || !fastCounted ? null : b.machine.counters();
        this.fastSlot = taskCounters == null ? 0 : taskCounters.allocate(2);
    }

    // ---------------------------------------------------------------------------------------
    // Creation
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_create(min_nr, alloc_fn, free_fn, pool_data)} with the 2.5.1 policy and no
     * machine; see {@link #builder} for the options.
     *
     * <p>Context: may sleep (the prefill allocates with {@code GFP_KERNEL}); process context only.
     *
     * @return the pool with {@code minNr} idle elements, or null if the prefill failed (every
     *         element already made has then been freed again)
     * @throws IllegalArgumentException for a bad name, {@code minNr < 1} or a null function
     */
    public static <E> Mempool<E> create(String name, int minNr, MempoolAllocFn<E> allocFn,
            MempoolFreeFn<E> freeFn) {
        return builder(name, minNr, allocFn, freeFn).create();
    }

    /**
     * Starts building a pool: {@code mempool_create} with options (policy, machine, owner check,
     * hooks, the modern wait timeout).
     *
     * @param name a name for the {@link MempoolInfo} view: non-empty, no whitespace
     * @param minNr the reserve, at least 1
     * @throws IllegalArgumentException for a bad name, {@code minNr < 1} or a null function
     */
    public static <E> Builder<E> builder(String name, int minNr, MempoolAllocFn<E> allocFn,
            MempoolFreeFn<E> freeFn) {
        return new Builder<>(name, minNr, allocFn, freeFn);
    }

    /**
     * The prefill of {@code mempool_create}: {@code alloc(GFP_KERNEL)} {@code min_nr} times, all
     * or nothing. The elements are made without the lock (the allocator may sleep) and installed
     * under one hold of it; the pool is not yet visible to anyone else.
     */
    @SuppressWarnings("unchecked")
    private boolean prefill() {
        Object[] made = new Object[minNr];
        for (int i = 0; i < made.length; i++) {
            E element;
            try {
                element = allocFn.alloc(Gfp.GFP_KERNEL);
            } catch (RuntimeException | Error e) {
                releaseFirst(made, i);
                throw e;
            }
            if (element == null) {
                releaseFirst(made, i);
                return false;
            }
            made[i] = element;
        }
        lock();
        try {
            for (Object element : made) {
                addElementLocked((E) element);
            }
        } finally {
            unlock();
        }
        assert invariantsHold();
        return true;
    }

    /** Frees the first {@code n} elements of a failed prefill, last made first. */
    @SuppressWarnings("unchecked")
    private void releaseFirst(Object[] made, int n) {
        for (int i = n - 1; i >= 0; i--) {
            freeFn.free((E) made[i]);
        }
    }

    // ---------------------------------------------------------------------------------------
    // mempool_alloc
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_alloc(pool, gfp_mask)}: takes an element, from the underlying allocator or
     * from the reserve, in the order of the pool's {@link MempoolPolicy}.
     *
     * <p>Context: with {@code __GFP_WAIT} it may sleep, in the underlying allocator or on the
     * pool's wait queue until an element is freed, and must not be called from interrupt
     * context. Without {@code __GFP_WAIT} it never sleeps on the pool and may be called from
     * any context.
     *
     * <p>Failure: never returns null when {@code gfp} has {@code __GFP_WAIT}; without it,
     * returns null iff the underlying allocator failed and the pool was empty.
     *
     * <p>The underlying allocator sees {@code gfp} as given (2.5.1), or with
     * {@link #MODERN_GFP_MODIFIERS} ORed in (modern); see the class comment.
     *
     * @return an element, which the caller gives back with {@link #free}
     * @throws IllegalArgumentException for unknown gfp bits
     * @throws KernelBug for a sleeping allocation in interrupt context, or after destroy
     */
    public E alloc(int gfp) {
        Task task = checkAllocContext(Gfp.check(gfp), "mempool_alloc");
        // Modern: gfp_mask |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN, after might_sleep_if.
        // Both masks below carry the bits, so "gfp != gfpNowait" still means "may reclaim".
        gfp |= allocGfpModifiers;
        int gfpNowait = gfp & ~(Gfp.__GFP_WAIT | Gfp.__GFP_IO);
        E element = allocFn.alloc(gfpNowait);
        if (element != null) {
            if (taskCounters != null) {
                task.count(fastSlot);
            } else if (fastCounted) {
                served[MempoolLevel.NOWAIT.ordinal()].increment();
            }
            return element;
        }
        return policy == MempoolPolicy.LINUX_2_5_1 ? allocSlow251(gfp, gfpNowait) : allocSlowModern(gfp, gfpNowait);
    }

    // ---------------------------------------------------------------------------------------
    // The 2.5.1 slow path: levels 2 to 5, exclusive untimed sleeps, the wake-up hand-off
    // ---------------------------------------------------------------------------------------

    /**
     * Levels 2 to 5 of the 2.5.1 {@code mempool_alloc}, and the retries from {@code repeat_alloc}
     * after a sleep. Level 1 has just failed when this is entered.
     */
    private E allocSlow251(int gfp, int gfpNowait) {
        boolean waited = false;
        boolean woken = false;
        for (;;) {
            boolean skippedBlocking = false;
            if (gfp != gfpNowait) {
                // The half-full rule, read without the lock as the kernel does: a stale value
                // only decides whether the blocking allocation is tried before the pool.
                if (currNrOpaque() <= minNrOpaque() / 2) {
                    E element = allocFn.alloc(gfp);
                    if (element != null) {
                        if (woken) {
                            passOnWakeup();
                        }
                        return served(waited ? MempoolLevel.AFTER_WAIT : MempoolLevel.FULL_GFP, element);
                    }
                } else {
                    skippedBlocking = true;
                }
            }
            runHook(kickVm);
            E element = removeFromPool();
            if (element != null) {
                MempoolLevel level = waited ? MempoolLevel.AFTER_WAIT
                        : skippedBlocking ? MempoolLevel.POOL_HALF_FULL : MempoolLevel.POOL_NONEMPTY;
                return served(level, element);
            }
            if ((gfp & Gfp.__GFP_WAIT) == 0) {
                return failed();
            }
            runHook(unplugIo);
            int sleep = sleepExclusive();
            waited |= (sleep & SLEPT) != 0;
            woken |= (sleep & WOKEN) != 0;
            // repeat_alloc: all five levels again, from the top.
            element = allocFn.alloc(gfpNowait);
            if (element != null) {
                if (woken) {
                    passOnWakeup();
                }
                return served(waited ? MempoolLevel.AFTER_WAIT : MempoolLevel.NOWAIT, element);
            }
        }
    }

    /**
     * A woken exclusive waiter is leaving with an element from the underlying allocator, not the
     * one whose free woke it. That free's wake-up was meant for a sleeper who needs the pool:
     * hand it on, or the element stays idle in a full pool (so later frees go to the allocator
     * and wake nobody) while another exclusive waiter sleeps with no timeout. 2.5.1 lacks this
     * hand-off; without it the stranding is a hang, not a delay.
     */
    private void passOnWakeup() {
        if (InjectedBug.active == InjectedBug.NO_WAKEUP_HANDOFF) {
            return;
        }
        if (currNrOpaque() > 0 && wait.active()) {
            wait.wakeUp();
        }
    }

    private static final int SLEPT = 1;
    private static final int WOKEN = 2;

    /**
     * 2.5.1 level 5: queue as an exclusive waiter, re-check {@code curr_nr} under the lock and
     * sleep without a timeout if the pool is still empty.
     *
     * @return {@code SLEPT} if it slept, plus {@code WOKEN} if a free picked this waiter (which
     *         can happen between queueing and the re-check, without any sleep)
     */
    private int sleepExclusive() {
        WaitQueue.Entry entry = wait.prepareToWait(true);
        int result = 0;
        try {
            int curr = 0;
            if (InjectedBug.active != InjectedBug.NO_RECHECK_BEFORE_SLEEP) {
                lock();
                try {
                    curr = currNr;
                } finally {
                    unlock();
                }
            }
            if (curr == 0) {
                long start = clock.getAsLong();
                wait.schedule(entry);
                recordWait(start);
                result = SLEPT;
            }
        } finally {
            wait.finishWait(entry);
        }
        return entry.isWoken() ? result | WOKEN : result;
    }

    /** Takes the top idle element under the lock, or null if the pool is empty. */
    private E removeFromPool() {
        E element = null;
        lock();
        try {
            if (currNr > 0) {
                element = removeElementLocked();
            }
        } finally {
            unlock();
        }
        if (element != null) {
            // smp_wmb: the curr_nr decrement above becomes visible before any store by which
            // the caller hands the element on. Paired with the loadLoadFence in free().
            VarHandle.storeStoreFence();
        }
        return element;
    }

    // ---------------------------------------------------------------------------------------
    // The modern slow path: the pool first, queueing under the pool lock, timed sleeps
    // ---------------------------------------------------------------------------------------

    /**
     * The modern {@code mempool_alloc} after its first attempt failed: the pool if non-empty,
     * else an immediate retry with the full gfp, else (for a caller that may sleep) a timed,
     * non-exclusive sleep and a retry with the full gfp.
     */
    private E allocSlowModern(int gfp, int gfpNowait) {
        int gfpTemp = gfpNowait;
        boolean waited = false;
        for (;;) {
            E element = null;
            WaitQueue.Entry entry = null;
            boolean retryFullGfp = false;
            boolean queueLate = false;
            lock();
            try {
                if (currNr > 0) {
                    element = removeElementLocked();
                } else if (gfpTemp != gfp) {
                    retryFullGfp = true;
                } else if ((gfp & Gfp.__GFP_WAIT) != 0) {
                    // Queued while the lock that showed the pool empty is still held: a free
                    // must take the lock to refill, so it finds this entry queued.
                    if (InjectedBug.active == InjectedBug.QUEUE_AFTER_UNLOCK) {
                        queueLate = true;
                    } else {
                        entry = wait.prepareToWait(false);
                    }
                }
            } finally {
                unlock();
            }
            if (queueLate) {
                entry = wait.prepareToWait(false);
            }
            if (element != null) {
                // smp_wmb: paired with the loadLoadFence in free(); see removeFromPool().
                VarHandle.storeStoreFence();
                return served(waited ? MempoolLevel.AFTER_WAIT : MempoolLevel.POOL_NONEMPTY, element);
            }
            if (retryFullGfp) {
                gfpTemp = gfp;
            } else if (entry == null) {
                return failed();
            } else {
                sleepTimed(entry);
                waited = true;
            }
            element = allocFn.alloc(gfpTemp);
            if (element != null) {
                return served(waited ? MempoolLevel.AFTER_WAIT : MempoolLevel.FULL_GFP, element);
            }
        }
    }

    /**
     * {@code io_schedule_timeout(5*HZ)}: the block layer's plug is flushed first (the unplug
     * hook), then a sleep until woken or the timeout passes.
     */
    private void sleepTimed(WaitQueue.Entry entry) {
        try {
            runHook(unplugIo);
            long start = clock.getAsLong();
            if (!wait.scheduleTimeout(entry, waitTimeoutNanos, TimeUnit.NANOSECONDS)) {
                waitTimeouts.increment();
            }
            recordWait(start);
        } finally {
            wait.finishWait(entry);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Counting, hooks and the context check, shared by the paths above
    // ---------------------------------------------------------------------------------------

    private E served(MempoolLevel level, E element) {
        if (level != MempoolLevel.NOWAIT) {
            served[level.ordinal()].increment();
        } else if (taskCounters != null) {
            machine.current().count(fastSlot);
        } else if (fastCounted) {
            served[level.ordinal()].increment();
        }
        return element;
    }

    private E failed() {
        failures.increment();
        return null;
    }

    private void recordWait(long start) {
        waits.increment();
        waitNanos.add(Math.max(0, clock.getAsLong() - start));
    }

    private static void runHook(Runnable hook) {
        if (hook != null) {
            hook.run();
        }
    }

    /**
     * {@code might_sleep_if(gfp & __GFP_WAIT)}, and the use-after-destroy check.
     *
     * @return the caller's task, or null for a pool without a machine
     */
    private Task checkAllocContext(int gfp, String what) {
        if (destroyed) {
            throw new KernelBug(what + " on pool '" + name + "' after mempool_destroy");
        }
        if (machine == null) {
            return null;
        }
        Task task = machine.current();
        if ((gfp & Gfp.__GFP_WAIT) != 0 && task.inInterrupt()) {
            throw new KernelBug(what + " on pool '" + name + "' with sleeping gfp " + Gfp.toString(gfp)
                    + " from interrupt context in " + task);
        }
        return task;
    }

    // ---------------------------------------------------------------------------------------
    // mempool_free
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_free(element, pool)}: gives an element back. While the pool holds fewer than
     * {@code min_nr} idle elements the element refills it and one sleeper in {@link #alloc} is
     * woken (every sleeper for the modern policy, whose sleeps are not exclusive); otherwise it
     * goes to the underlying free.
     *
     * <p>Context: never sleeps; any context.
     *
     * <p>Null follows the pool's policy. {@link MempoolPolicy#MODERN}: a no-op, as
     * {@code mempool_free(NULL)} is in the kernels that policy follows (4.x to 6.x return at once
     * for NULL). {@link MempoolPolicy#LINUX_2_5_1}: a {@link KernelBug}, nothing changed, because
     * 2.5.1 has no such check: the NULL would become an idle element (for a sleeping
     * {@code mempool_alloc} to return later) or reach the underlying free, which oopses for a
     * slab or page pool.
     *
     * @throws KernelBug for null under the 2.5.1 policy, if the owner check rejects the element,
     *         if the element is already idle in this pool (double free), or after destroy;
     *         nothing is changed
     */
    public void free(E element) {
        if (element == null) {
            if (policy == MempoolPolicy.MODERN) {
                return;
            }
            throw new KernelBug("mempool_free(NULL) to pool '" + name + "': 2.5.1 has no NULL check (the NULL "
                    + "would become an idle element or reach the underlying free); the modern policy ignores it");
        }
        if (destroyed) {
            throw new KernelBug("mempool_free of " + element + " to pool '" + name + "' after mempool_destroy");
        }
        if (ownerCheck != null && !ownerCheck.test(element)) {
            throw new KernelBug("mempool_free of " + element + " to pool '" + name
                    + "', which did not allocate it (the pool's owner check rejects it)");
        }
        // smp_rmb: our load of the element (from whoever handed it to us) is ordered before the
        // load of curr_nr below. Paired with the storeStoreFence after a pool element is taken
        // in alloc(): curr_nr is read no older than the decrement that gave the element out.
        VarHandle.loadLoadFence();
        if (currNrOpaque() < minNrOpaque() && refill(element)) {
            freedToPool.increment();
            return;
        }
        freeFn.free(element);
        if (taskCounters != null) {
            machine.current().count(fastSlot + 1);
        } else if (fastCounted) {
            freedToAllocator.increment();
        }
    }

    /**
     * The locked half of {@code mempool_free}: re-check {@code curr_nr < min_nr}, add the element
     * and wake a sleeper.
     *
     * @return false if the pool filled up meanwhile (the element is still the caller's)
     */
    private boolean refill(E element) {
        // Test-only (InjectedBug): a schedule test may move the sleeper check before the refill.
        InjectedBug bug = InjectedBug.active;
        boolean mayWake = bug != InjectedBug.WAKE_CHECK_BEFORE_REFILL || wait.active();
        lock();
        try {
            if (currNr >= minNr && bug != InjectedBug.NO_REFILL_RECHECK) {
                return false; // raced: another free (or a resize) filled the pool first
            }
            for (int i = 0; i < currNr; i++) {
                if (elements[i] == element) {
                    throw new KernelBug("double mempool_free of " + element + " to pool '" + name
                            + "': it is already idle in the pool");
                }
            }
            addElementLocked(element);
        } finally {
            unlock();
        }
        if (mayWake) {
            wait.wakeUp();
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------
    // add_element / remove_element
    // ---------------------------------------------------------------------------------------

    /** {@code add_element}: relies on {@code curr_nr < elements.length}. Lock held. */
    private void addElementLocked(E element) {
        assert currNr < elements.length : "add_element on a full array in pool '" + name + "'";
        elements[currNr] = element;
        CURR_NR.setOpaque(this, currNr + 1);
        assert invariantsHoldLocked();
    }

    /** {@code remove_element}: relies on {@code curr_nr > 0}. Lock held. */
    @SuppressWarnings("unchecked")
    private E removeElementLocked() {
        assert currNr > 0 : "remove_element on an empty pool '" + name + "'";
        int top = currNr - 1;
        E element = (E) elements[top];
        elements[top] = null;
        CURR_NR.setOpaque(this, top);
        assert invariantsHoldLocked();
        return element;
    }

    private void lock() {
        lock.lock();
        lockAcquisitions++;
    }

    private void unlock() {
        lock.unlock();
    }

    private int currNrOpaque() {
        return (int) CURR_NR.getOpaque(this);
    }

    private int minNrOpaque() {
        return (int) MIN_NR.getOpaque(this);
    }

    // ---------------------------------------------------------------------------------------
    // mempool_resize, mempool_destroy
    // ---------------------------------------------------------------------------------------

    /**
     * {@code mempool_resize(pool, new_min_nr, gfp_mask)} with the 2.5.1 semantics.
     *
     * <p>Shrinking sets {@code min_nr} and frees the idle elements above it to the underlying
     * allocator (after dropping the lock). Growing sets {@code min_nr} first and then makes up
     * to {@code new - old} elements with {@code alloc(gfp)}, each going through the refill path
     * of {@link #free}; it stops at the first failure, so growth is best effort and later frees
     * complete it.
     *
     * <p>Context: may sleep if {@code gfp} allows. Allocations and frees may run concurrently;
     * another resize or a destroy must not.
     *
     * @throws IllegalArgumentException if {@code newMinNr <= 0} (a BUG in the kernel) or for
     *         unknown gfp bits; nothing is changed
     * @throws KernelBug for a sleeping gfp in interrupt context, or after destroy
     */
    public void resize(int newMinNr, int gfp) {
        if (newMinNr <= 0) {
            throw new IllegalArgumentException("mempool_resize of pool '" + name + "' to " + newMinNr
                    + " elements: the new minimum must be at least 1");
        }
        checkAllocContext(Gfp.check(gfp), "mempool_resize");
        Object[] excess = null;
        int delta = 0;
        Object[] bigger = null;
        for (;;) {
            lock();
            try {
                int oldMin = minNr;
                if (newMinNr < oldMin) {
                    // Kernel order: min_nr first, then the excess. Under one hold of the lock
                    // the order is invisible; removing first keeps curr_nr <= min_nr throughout.
                    int nrExcess = Math.max(0, currNr - newMinNr);
                    excess = new Object[nrExcess];
                    for (int i = 0; i < nrExcess; i++) {
                        excess[i] = removeElementLocked();
                    }
                    MIN_NR.setOpaque(this, newMinNr);
                    break;
                }
                if (newMinNr <= elements.length || (bigger != null && bigger.length >= newMinNr)) {
                    if (newMinNr > elements.length) {
                        System.arraycopy(elements, 0, bigger, 0, currNr);
                        elements = bigger;
                    }
                    delta = newMinNr - oldMin;
                    MIN_NR.setOpaque(this, newMinNr);
                    assert invariantsHoldLocked();
                    break;
                }
            } finally {
                unlock();
            }
            bigger = new Object[newMinNr]; // made outside the lock; the loop re-checks the size
        }
        freeToAllocator(excess);
        for (int i = 0; i < delta; i++) {
            E element = allocFn.alloc(gfp);
            if (element == null) {
                break;
            }
            if (!(currNrOpaque() < minNrOpaque() && refill(element))) {
                freeFn.free(element);
            }
        }
    }

    /** Hands elements taken out of the pool to the underlying free; no lock held. */
    @SuppressWarnings("unchecked")
    private void freeToAllocator(Object[] taken) {
        if (taken == null) {
            return;
        }
        for (Object element : taken) {
            freeFn.free((E) element);
        }
    }

    /**
     * {@code mempool_destroy(pool)}: frees every idle element to the underlying allocator and
     * retires the pool; any later call on it is a {@link KernelBug}.
     *
     * <p>Context: may be called from process context when no allocation or free on this pool is
     * running (the kernel's rule).
     *
     * @throws KernelBug if elements are still out or more were freed than allocated (a pool that
     *         counts its fast path only), if tasks
     *         still sleep in {@link #alloc}, or if the pool was already destroyed; then nothing
     *         is freed and the pool stays usable
     */
    public void destroy() {
        Object[] idle;
        lock();
        try {
            if (destroyed) {
                throw new KernelBug("mempool_destroy of pool '" + name + "', which is already destroyed");
            }
            long out = fastCounted ? nrOut() : 0; // uncounted: as the kernel, destroy cannot tell
            if (out > 0) {
                throw new KernelBug("mempool_destroy of pool '" + name + "' with " + out
                        + " element(s) still out (allocated and not freed); nothing was freed");
            }
            if (out < 0) {
                throw new KernelBug("mempool_destroy of pool '" + name + "': " + (-out)
                        + " more frees than allocations, so foreign elements were freed to it; nothing was freed");
            }
            if (wait.active()) {
                throw new KernelBug("mempool_destroy of pool '" + name + "' while " + wait.waiters()
                        + " task(s) sleep in mempool_alloc; nothing was freed");
            }
            idle = new Object[currNr];
            for (int i = idle.length - 1; i >= 0; i--) {
                idle[i] = removeElementLocked();
            }
            destroyed = true;
        } finally {
            unlock();
        }
        freeToAllocator(idle);
    }

    // ---------------------------------------------------------------------------------------
    // Observation
    // ---------------------------------------------------------------------------------------

    public String name() {
        return name;
    }

    public MempoolPolicy policy() {
        return policy;
    }

    /** The machine this pool checks contexts against, or null. */
    public Machine machine() {
        return machine;
    }

    /** The modern policy's longest sleep before a retry; unused by the 2.5.1 policy. */
    public Duration waitTimeout() {
        return Duration.ofNanos(waitTimeoutNanos);
    }

    /** {@code pool->min_nr}, read without the lock. */
    public int minNr() {
        return minNrOpaque();
    }

    /** {@code pool->curr_nr}: idle elements now, read without the lock. */
    public int currNr() {
        return currNrOpaque();
    }

    /**
     * Elements handed out and not yet freed; exact at a quiescent point. -1 for a pool that does
     * not count its fast path.
     */
    public long nrOut() {
        if (!fastCounted) {
            return -1;
        }
        // Frees first: an element is counted as allocated before it can be freed, so reading
        // the frees before the allocations never yields a negative count under traffic.
        long freed = freedToPool.sum() + freedToAllocatorSum();
        long allocated = 0;
        for (MempoolLevel level : MempoolLevel.values()) {
            allocated += served(level);
        }
        return allocated - freed;
    }

    /**
     * Allocations served by {@code level} so far; -1 for {@link MempoolLevel#NOWAIT} on a pool
     * that does not count its fast path.
     */
    public long served(MempoolLevel level) {
        if (level == MempoolLevel.NOWAIT && !fastCounted) {
            return -1;
        }
        long n = served[level.ordinal()].sum();
        return level == MempoolLevel.NOWAIT && taskCounters != null ? n + taskCounters.sum(fastSlot) : n;
    }

    private long freedToAllocatorSum() {
        if (!fastCounted) {
            return -1;
        }
        return freedToAllocator.sum() + (taskCounters == null ? 0 : taskCounters.sum(fastSlot + 1));
    }

    /**
     * Sleeps of the modern policy that ended by their timeout rather than by a free's wake-up.
     * Over a pool whose elements all come back through {@link #free}, each one is a wake-up that
     * was lost or came late; the timeout is what turns such a loss into a delay instead of a
     * hang. Always 0 for the 2.5.1 policy, whose sleeps are untimed.
     */
    public long waitTimeouts() {
        return waitTimeouts.sum();
    }

    /** Tasks sleeping in {@link #alloc} on this pool right now. */
    public int waiters() {
        return wait.waiters();
    }

    /** True once {@link #destroy()} has succeeded. */
    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * How many times the pool's operations (alloc, free, resize, destroy, creation) have taken
     * its lock. For tests that prove the fast path takes none; taking this reading does not
     * count.
     */
    public long lockAcquisitions() {
        lock.lock();
        try {
            return lockAcquisitions;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the counters; each is exact, the set is consistent at a quiescent point. */
    public MempoolStats stats() {
        return new MempoolStats(name, policy, minNrOpaque(), currNrOpaque(), nrOut(),
                served(MempoolLevel.NOWAIT), served(MempoolLevel.POOL_HALF_FULL), served(MempoolLevel.FULL_GFP),
                served(MempoolLevel.POOL_NONEMPTY), served(MempoolLevel.AFTER_WAIT), freedToPool.sum(),
                freedToAllocatorSum(), waits.sum(), waitNanos.sum(), failures.sum(), fastCounted);
    }

    /**
     * Checks every invariant of the class comment. Invariants 1 and 2 hold at any time; call it
     * at a quiescent point for invariant 3.
     *
     * @throws AssertionError naming the first broken invariant
     */
    public void checkInvariants() {
        lock.lock();
        try {
            invariantsHoldLocked();
            Map<Object, Boolean> seen = new IdentityHashMap<>();
            for (int i = 0; i < currNr; i++) {
                fail(seen.put(elements[i], Boolean.TRUE) != null, "element " + elements[i] + " is idle twice");
            }
            for (int i = currNr; i < elements.length; i++) {
                fail(elements[i] != null, "slot " + i + " above curr_nr " + currNr + " is not empty");
            }
        } finally {
            lock.unlock();
        }
        if (fastCounted) {
            long out = nrOut();
            fail(out < 0, "more frees than allocations (" + out + " elements out)");
        }
    }

    private boolean invariantsHold() {
        checkInvariants();
        return true;
    }

    /** The O(1) part of invariants 1 and 2, for {@code assert} at each change. Lock held. */
    private boolean invariantsHoldLocked() {
        fail(currNr < 0 || currNr > minNr || minNr > elements.length, "curr_nr " + currNr + ", min_nr " + minNr
                + ", array length " + elements.length + " break 0 <= curr_nr <= min_nr <= length");
        fail(currNr > 0 && elements[currNr - 1] == null, "top slot " + (currNr - 1) + " is empty");
        fail(currNr < elements.length && elements[currNr] != null, "slot " + currNr + " above the top is not empty");
        return true;
    }

    private void fail(boolean broken, String what) {
        if (broken) {
            throw new AssertionError("mempool '" + name + "': " + what);
        }
    }

    @Override
    public String toString() {
        return "mempool '" + name + "' (" + policy.label() + ", " + currNrOpaque() + "/" + minNrOpaque() + " idle)";
    }

    // ---------------------------------------------------------------------------------------
    // Builder
    // ---------------------------------------------------------------------------------------

    /**
     * The options of {@code mempool_create}. Every setter validates at once; {@link #create()}
     * builds and prefills the pool.
     *
     * @param <E> the element type
     */
    public static final class Builder<E> {
        private final String name;
        private final int minNr;
        private final MempoolAllocFn<E> allocFn;
        private final MempoolFreeFn<E> freeFn;
        private MempoolPolicy policy = MempoolPolicy.LINUX_2_5_1;
        private Predicate<? super E> ownerCheck;
        private Machine machine;
        private Runnable kickVm;
        private Runnable unplugIo;
        private Duration waitTimeout = DEFAULT_WAIT_TIMEOUT;
        private LongSupplier clock = System::nanoTime;
        private boolean fastPathStatistics = true;

        private Builder(String name, int minNr, MempoolAllocFn<E> allocFn, MempoolFreeFn<E> freeFn) {
            if (name == null || name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("mempool name '" + name + "' must be non-empty, without whitespace");
            }
            if (minNr < 1) {
                throw new IllegalArgumentException("mempool '" + name + "': min_nr " + minNr + " must be at least 1");
            }
            if (allocFn == null || freeFn == null) {
                throw new IllegalArgumentException("mempool '" + name + "' needs both an alloc and a free function");
            }
            this.name = name;
            this.minNr = minNr;
            this.allocFn = allocFn;
            this.freeFn = freeFn;
        }

        /** The order of attempts; {@link MempoolPolicy#LINUX_2_5_1} unless set. */
        public Builder<E> policy(MempoolPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("mempool '" + name + "': policy must not be null");
            }
            this.policy = policy;
            return this;
        }

        /**
         * The machine whose tasks call this pool: sleeping allocations from interrupt context
         * are then reported. Without one the pool cannot tell contexts apart and does not check.
         */
        public Builder<E> machine(Machine machine) {
            this.machine = machine;
            return this;
        }

        /**
         * A test every freed element must pass, run before anything changes: it should be cheap,
         * since it runs on every free (see "Element origin" in the {@link Mempool} comment).
         */
        public Builder<E> ownerCheck(Predicate<? super E> ownerCheck) {
            this.ownerCheck = ownerCheck;
            return this;
        }

        /**
         * The 2.5.1 {@code wakeup_bdflush()} "kick the VM", run (without the pool lock) each time
         * an allocation reaches the pool after the underlying allocator failed. The modern
         * policy does not call it (the kick left mm/mempool.c in the 2.5 series, in 2002).
         *
         * <p>The port's equivalent for page-backed pools is already done by the time it would
         * run: a failing page allocation has passed through {@code __alloc_pages}'s slow path,
         * which marks the zone {@code need_balance} and wakes kswapd. So {@link Mempools}' page
         * pools install no hook; a block layer that owns a writeback daemon passes its wake-up.
         */
        public Builder<E> kickVm(Runnable hook) {
            this.kickVm = hook;
            return this;
        }

        /**
         * The 2.5.1 {@code run_task_queue(&tq_disk)}: unplug the disk queues so that the I/O
         * which will free elements starts, run (without any lock, before queueing) just before
         * an allocation sleeps; the modern policy runs it where {@code io_schedule} flushes the
         * plug. Supplied by the block layer; none by default.
         */
        public Builder<E> unplugIo(Runnable hook) {
            this.unplugIo = hook;
            return this;
        }

        /** The modern policy's {@code io_schedule_timeout}, 5 s unless set; must be positive. */
        public Builder<E> waitTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("mempool '" + name + "': wait timeout " + timeout
                        + " must be positive");
            }
            this.waitTimeout = timeout;
            return this;
        }

        /**
         * Whether the fast path is counted; true unless set. The kernel's {@code mempool_alloc}
         * counts nothing. True: level-1 allocations and frees to the underlying allocator are
         * counted in the calling thread's cells (a task lookup and a plain increment each, see
         * the class comment), which {@link #nrOut()} and {@link #destroy()}'s check for
         * elements still out rely on. False: the fast path the kernel has; those two counters
         * and {@code nrOut} read -1 ({@link MempoolStats#fastPathCounted()} is false, {@link MempoolInfo}
         * prints {@code -}),
         * the slow levels, frees to the pool, sleeps and failures are still counted, and
         * {@code destroy} cannot tell whether elements are out (the kernel's cannot either).
         */
        public Builder<E> fastPathStatistics(boolean counted) {
            this.fastPathStatistics = counted;
            return this;
        }

        /** The clock for wait times, in nanoseconds; tests use a fake one. */
        Builder<E> clock(LongSupplier clock) {
            this.clock = clock;
            return this;
        }

        /**
         * {@code mempool_create}: builds the pool and prefills it with {@code min_nr} elements
         * from {@code alloc(GFP_KERNEL)}, all or nothing.
         *
         * <p>Context: may sleep; process context only.
         *
         * @return the pool, or null if an allocation failed (the elements already made have been
         *         freed again)
         * @throws KernelBug if called from interrupt context on a pool bound to a machine
         */
        public Mempool<E> create() {
            Mempool<E> pool = new Mempool<>(this);
            pool.checkAllocContext(Gfp.GFP_KERNEL, "mempool_create");
            return pool.prefill() ? pool : null;
        }
    }
}
