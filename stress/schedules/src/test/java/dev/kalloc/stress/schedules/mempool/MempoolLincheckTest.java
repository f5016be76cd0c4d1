// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.mempool;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;

/**
 * Lincheck's model checker on a 2.5.1 mempool of two elements over a dry underlying allocator,
 * against a sequential model (two counters: idle in the pool, held by callers).
 *
 * <p>Invariant: every concurrent history of {@code allocAtomic} (a {@code GFP_ATOMIC} allocation:
 * an element iff the pool is not empty), {@code free} (gives back one held element, if any) and
 * {@code idle} ({@code curr_nr}) is linearizable against {@link Model}; and, in the custom
 * scenario, a sleeping allocation racing the free of the last element returns with it (a lost
 * wake-up leaves the sleeper parked, which Lincheck reports as a deadlock).
 *
 * <p>Bound: {@value #SCENARIOS} random scenarios of 2 threads x 3 operations (plus 1 before),
 * and the custom scenario, each explored for up to {@value #INVOCATIONS} interleavings.
 */
@Param(name = "thread", gen = ThreadIdGen.class)
public class MempoolLincheckTest {
    /** Random scenarios checked, besides the custom one. */
    public static final int SCENARIOS = 3;
    /** Interleavings explored per scenario, at most. */
    public static final int INVOCATIONS = 100;

    private final Stock stock = new Stock(2);
    private final Mempool<Stock.Elem> pool = Mempool.builder("lincheck", 2, stock, stock)
            .policy(MempoolPolicy.LINUX_2_5_1).create();
    /**
     * Elements each Lincheck thread holds between an allocation and a free, by thread id: a thread
     * frees only its own, so this bookkeeping (not atomic with the pool's operations) never shows
     * another thread's half-done allocation.
     */
    private final ConcurrentHashMap<Integer, ArrayDeque<Stock.Elem>> held = new ConcurrentHashMap<>();

    @Operation
    public boolean allocAtomic(@Param(name = "thread") int thread) {
        Stock.Elem e = pool.alloc(Gfp.GFP_ATOMIC);
        if (e == null) {
            return false;
        }
        held(thread).push(e);
        return true;
    }

    @Operation
    public boolean free(@Param(name = "thread") int thread) {
        Stock.Elem e = held(thread).poll();
        if (e == null) {
            return false;
        }
        pool.free(e);
        return true;
    }

    private ArrayDeque<Stock.Elem> held(int thread) {
        return held.computeIfAbsent(thread, t -> new ArrayDeque<>());
    }

    @Operation
    public int idle() {
        return pool.currNr();
    }

    /** A sleeping allocation; only in the custom scenario, where a free is sure to come. */
    public boolean allocSleeping(int thread) {
        held(thread).push(pool.alloc(Gfp.GFP_NOIO));
        return true;
    }

    /** The sequential model: a pool of two elements, none in the underlying allocator. */
    public static class Model {
        private int idle = 2;
        private final Map<Integer, Integer> held = new HashMap<>();

        public boolean allocAtomic(int thread) {
            if (idle == 0) {
                return false;
            }
            idle--;
            held.merge(thread, 1, Integer::sum);
            return true;
        }

        public boolean free(int thread) {
            if (held.getOrDefault(thread, 0) == 0) {
                return false;
            }
            held.merge(thread, -1, Integer::sum);
            idle++;
            return true;
        }

        public int idle() {
            return idle;
        }

        /** Sequentially a sleeping allocation on an empty pool never returns: false marks that order impossible. */
        public boolean allocSleeping(int thread) {
            return allocAtomic(thread);
        }
    }

    /**
     * The options of a run: {@code scenarios} random scenarios besides the custom one, each
     * explored for up to {@code invocations} interleavings. The injected-bug test runs the
     * custom scenario alone ({@code scenarios} 0).
     */
    public static ModelCheckingOptions options(int scenarios, int invocations) throws NoSuchMethodException {
        // Both elements out (held by thread 1), then thread 0 sleeps against thread 1's free.
        Actor allocAtomic = actor("allocAtomic", 1);
        ExecutionScenario sleeperVsFree = new ExecutionScenario(List.of(allocAtomic, allocAtomic),
                List.of(List.of(actor("allocSleeping", 0)), List.of(actor("free", 1))), List.of(), null);
        return new ModelCheckingOptions().iterations(scenarios).invocationsPerIteration(invocations).threads(2)
                .actorsPerThread(3).actorsBefore(1).actorsAfter(1).sequentialSpecification(Model.class)
                .addCustomScenario(sleeperVsFree);
    }

    private static Actor actor(String method, int thread) throws NoSuchMethodException {
        return new Actor(MempoolLincheckTest.class.getMethod(method, int.class), List.of(thread));
    }

    @Test
    void linearizableAndNoLostWakeup() throws NoSuchMethodException {
        options(SCENARIOS, INVOCATIONS).check(MempoolLincheckTest.class);
    }
}
