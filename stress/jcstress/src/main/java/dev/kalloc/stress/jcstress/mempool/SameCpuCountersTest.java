package dev.kalloc.stress.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolLevel;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.PhysicalMemory;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The pool's per-CPU counter cells with two threads on one CPU id: both count a level-1
 * allocation and a free to the underlying allocator at once. One claims the CPU's cell (its
 * first count), the other finds it taken and counts in the shared adders; the claim itself is
 * raced on the fresh pool of every round. No count may be lost or doubled.
 *
 * <p>Before: a one-CPU machine, a pool of {@code min_nr} 1 over an allocator that always
 * succeeds, full; each actor allocates (level 1) and frees (the pool is full: to the allocator).
 * <br>Result: (served at level 1, elements out, underlying frees).
 */
@JCStressTest
@Description("Mempool counters, two threads on one CPU id: one claims the per-CPU cell, the other uses the adder.")
@Outcome(id = "2, 0, 2", expect = ACCEPTABLE, desc = "Both allocations and both frees counted once.")
@Outcome(expect = FORBIDDEN, desc = "A count lost or doubled.")
@State
public class SameCpuCountersTest {
    private static final MachineConfig ONE_CPU = MachineConfig.builder().memory(16L * PhysicalMemory.PAGE_SIZE)
            .zoneLimits(0, 16L * PhysicalMemory.PAGE_SIZE).maxOrder(3).cpus(1).zoneBalance(128, 0, 0).kswapd(false)
            .build();

    private final Machine m = Machine.boot(ONE_CPU);
    private int underlyingFrees;
    private final Mempool<Object> pool = Mempool.<Object>builder("counters", 1, gfp -> new Object(), e -> {
        synchronized (this) {
            underlyingFrees++;
        }
    }).machine(m).create();

    @Actor
    public void actor1() {
        pool.free(pool.alloc(Gfp.GFP_ATOMIC));
    }

    @Actor
    public void actor2() {
        pool.free(pool.alloc(Gfp.GFP_ATOMIC));
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = (int) pool.served(MempoolLevel.NOWAIT);
        r.r2 = (int) pool.nrOut();
        synchronized (this) {
            r.r3 = underlyingFrees;
        }
    }
}
