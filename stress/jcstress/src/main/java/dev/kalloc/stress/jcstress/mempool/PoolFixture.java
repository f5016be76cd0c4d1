// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress.mempool;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.time.Duration;

/**
 * A pool over the shared test kit's {@link FakeAllocator}, cheap enough for jcstress to build
 * millions of: the allocator makes {@code budget} numbered elements (the prefill takes the first
 * {@code minNr}, elem#1 to elem#minNr) and then fails every request, so the actors only ever see
 * elements made while the state was built. No machine is booted (so no interrupt-context check
 * runs, which these tests do not need).
 */
final class PoolFixture {
    /** Long enough that a lost wake-up shows as STALE rather than a retry after the timeout. */
    static final Duration NO_TIMEOUT = Duration.ofHours(1);

    final FakeAllocator allocator;
    final Mempool<Elem> pool;

    PoolFixture(MempoolPolicy policy, int minNr) {
        this(policy, minNr, minNr);
    }

    PoolFixture(MempoolPolicy policy, int minNr, int budget) {
        this.allocator = new FakeAllocator().budget(budget);
        this.pool = Mempool.builder("jcstress", minNr, allocator, allocator).policy(policy).waitTimeout(NO_TIMEOUT)
                .create();
        if (pool == null) {
            throw new IllegalStateException("fixture: the prefill failed");
        }
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
