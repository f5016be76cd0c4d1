// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool.testing;

import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.page.Gfp;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * A controllable underlying allocator for pool tests, the one the mempool unit tests and the
 * jcstress mempool tests share: it stands where the kernel's {@code mempool_alloc_t} and
 * {@code mempool_free_t} would call a slab cache or the page allocator, with no machine behind it,
 * so a pool over it costs a few objects (jcstress builds millions).
 *
 * <p>It makes {@link Elem}s numbered 1, 2, 3... in the order it made them (0 is left for "no
 * element", see {@link #id}), fails on demand ({@link #failWhen}) or after a budget of successes
 * ({@link #budget}), records the gfp masks it was called with, and tracks which of its elements
 * are live, so a double free or a foreign free throws here, as a real allocator would BUG.
 *
 * <p>Invariants: {@link #made()} = {@link #live()} + {@link #frees()} until {@link #resetCounts()};
 * every element it ever returned has a distinct id in {@code [1, made()]}. Threads: every method may be called from any
 * thread; a success and its budget decrement are atomic, so concurrent callers never exceed the
 * budget.
 */
public final class FakeAllocator implements MempoolAllocFn<FakeAllocator.Elem>, MempoolFreeFn<FakeAllocator.Elem> {
    /** An element; the id shows which allocation made it. */
    public static final class Elem {
        public final int id;

        /** Public so a test can make a foreign element, one no allocator made (a pool's owner check rejects it). */
        public Elem(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "elem#" + id;
        }
    }

    public static final IntPredicate NEVER = gfp -> false;
    public static final IntPredicate ALWAYS = gfp -> true;
    /** Fails attempts that may not sleep: the pool's first attempt. */
    public static final IntPredicate NOWAIT = gfp -> (gfp & Gfp.__GFP_WAIT) == 0;

    private final AtomicInteger made = new AtomicInteger();
    private final Set<Elem> live = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private final AtomicLong sleepingCalls = new AtomicLong();
    private final AtomicLong nonSleepingCalls = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private volatile IntPredicate failWhen = NEVER;
    private volatile int lastGfp = -1;
    private volatile long budget = Long.MAX_VALUE;

    /** Fail every attempt whose gfp matches. */
    public FakeAllocator failWhen(IntPredicate p) {
        this.failWhen = p;
        return this;
    }

    /** Succeed at most {@code n} more times, then fail everything. */
    public FakeAllocator budget(long n) {
        this.budget = n;
        return this;
    }

    /**
     * Makes an element unless {@link #failWhen} matches {@code gfp} or the budget is spent. Never
     * sleeps, whatever {@code gfp} allows.
     *
     * @return a new element, or null on an injected failure
     */
    @Override
    public Elem alloc(int gfp) {
        lastGfp = gfp;
        if ((gfp & Gfp.__GFP_WAIT) != 0) {
            sleepingCalls.incrementAndGet();
        } else {
            nonSleepingCalls.incrementAndGet();
        }
        synchronized (this) {
            if (failWhen.test(gfp) || budget <= 0) {
                return null;
            }
            budget--;
        }
        Elem e = new Elem(made.incrementAndGet());
        live.add(e);
        return e;
    }

    /**
     * Takes back an element it made.
     *
     * @throws IllegalStateException if {@code e} is not live: freed twice, or never made here
     */
    @Override
    public void free(Elem e) {
        if (!live.remove(e)) {
            throw new IllegalStateException("fake allocator: free of " + e + ", which is not live");
        }
        frees.incrementAndGet();
    }

    /** Zeroes the call counters (after a pool's prefill, say); {@link #made()} keeps counting. */
    public void resetCounts() {
        sleepingCalls.set(0);
        nonSleepingCalls.set(0);
        frees.set(0);
    }

    /** The element's id, or 0 for null. */
    public static int id(Elem e) {
        return e == null ? 0 : e.id;
    }

    /** Elements made in all, live or freed. */
    public int made() {
        return made.get();
    }

    public int live() {
        return live.size();
    }

    public boolean isLive(Elem e) {
        return live.contains(e);
    }

    public long sleepingCalls() {
        return sleepingCalls.get();
    }

    public long nonSleepingCalls() {
        return nonSleepingCalls.get();
    }

    /** Elements taken back since construction or the last {@link #resetCounts()}. */
    public long frees() {
        return frees.get();
    }

    public int lastGfp() {
        return lastGfp;
    }
}
