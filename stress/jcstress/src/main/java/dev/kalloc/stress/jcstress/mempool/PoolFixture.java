package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolAllocFn;
import dev.kalloc.mempool.MempoolFreeFn;
import dev.kalloc.mempool.MempoolPolicy;
import java.time.Duration;

/**
 * A pool over a fake underlying allocator, cheap enough for jcstress to build millions of: the
 * allocator makes {@code budget} numbered elements (the prefill takes the first {@code minNr})
 * and then fails every request, so the actors only ever see elements made while the state was
 * built. No machine is booted (so no interrupt-context check runs, which these tests do not
 * need).
 */
final class PoolFixture implements MempoolAllocFn<PoolFixture.Elem>, MempoolFreeFn<PoolFixture.Elem> {
    /** A pool element; {@code id} is 1..budget in the order they were made. */
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

    /** Long enough that a lost wake-up shows as STALE rather than a retry after the timeout. */
    static final Duration NO_TIMEOUT = Duration.ofHours(1);

    final Mempool<Elem> pool;
    private int made;
    private final int budget;
    /** Elements handed to the underlying free; read by arbiters after the actors finish. */
    volatile int underlyingFrees;

    PoolFixture(MempoolPolicy policy, int minNr) {
        this(policy, minNr, minNr);
    }

    PoolFixture(MempoolPolicy policy, int minNr, int budget) {
        this.budget = budget;
        this.pool = Mempool.builder("jcstress", minNr, this, this).policy(policy).waitTimeout(NO_TIMEOUT).create();
        if (pool == null) {
            throw new IllegalStateException("fixture: the prefill failed");
        }
    }

    @Override
    public Elem alloc(int gfp) {
        // Only calls made while the state is built can succeed; actors' calls all fail, so
        // this field is written by the constructing thread alone.
        return made < budget ? new Elem(++made) : null;
    }

    @Override
    public void free(Elem element) {
        underlyingFrees++;
    }

    /** Elements made in all: the pool's and the actors' elements together. */
    int total() {
        return made;
    }

    /** The element's id, or 0 for null. */
    static int id(Elem e) {
        return e == null ? 0 : e.id;
    }

    /**
     * 0 if the pool's invariants hold, 1 if they do not. An {@link AssertionError} must not escape
     * an actor or arbiter (jcstress would count a dead thread), so it becomes a code.
     */
    int invariants() {
        try {
            pool.checkInvariants();
            return 0;
        } catch (AssertionError e) {
            return 1;
        }
    }
}
