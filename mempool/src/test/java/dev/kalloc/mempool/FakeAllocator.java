package dev.kalloc.mempool;

import dev.kalloc.page.Gfp;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * A controllable underlying allocator for pool tests: it makes {@link Elem}s, fails on demand
 * ({@link #failWhen}), records the gfp masks it was called with, and tracks which of its
 * elements are live so a double free or a foreign free is caught here, like a real allocator.
 */
final class FakeAllocator implements MempoolAllocFn<FakeAllocator.Elem>, MempoolFreeFn<FakeAllocator.Elem> {
    /** An element; the id shows which allocation made it. */
    static final class Elem {
        final int id;

        Elem(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "elem#" + id;
        }
    }

    static final IntPredicate NEVER = gfp -> false;
    static final IntPredicate ALWAYS = gfp -> true;
    /** Fails attempts that may not sleep: the pool's first attempt. */
    static final IntPredicate NOWAIT = gfp -> (gfp & Gfp.__GFP_WAIT) == 0;

    private final AtomicInteger nextId = new AtomicInteger();
    private final Set<Elem> live = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private final AtomicLong sleepingCalls = new AtomicLong();
    private final AtomicLong nonSleepingCalls = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private volatile IntPredicate failWhen = NEVER;
    private volatile int lastGfp = -1;
    private volatile long budget = Long.MAX_VALUE;

    /** Fail every attempt whose gfp matches. */
    FakeAllocator failWhen(IntPredicate p) {
        this.failWhen = p;
        return this;
    }

    /** Succeed at most {@code n} more times, then fail everything. */
    FakeAllocator budget(long n) {
        this.budget = n;
        return this;
    }

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
        Elem e = new Elem(nextId.getAndIncrement());
        live.add(e);
        return e;
    }

    @Override
    public void free(Elem e) {
        if (!live.remove(e)) {
            throw new IllegalStateException("fake allocator: free of " + e + ", which is not live");
        }
        frees.incrementAndGet();
    }

    /** Zeroes the call counters (after a pool's prefill, say). */
    void resetCounts() {
        sleepingCalls.set(0);
        nonSleepingCalls.set(0);
        frees.set(0);
    }

    int live() {
        return live.size();
    }

    boolean isLive(Elem e) {
        return live.contains(e);
    }

    long sleepingCalls() {
        return sleepingCalls.get();
    }

    long nonSleepingCalls() {
        return nonSleepingCalls.get();
    }

    long frees() {
        return frees.get();
    }

    int lastGfp() {
        return lastGfp;
    }
}
