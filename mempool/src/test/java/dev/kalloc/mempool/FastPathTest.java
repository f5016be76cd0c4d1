// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator;
import dev.kalloc.page.Machine;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ingo's claim: when the underlying allocator succeeds, mempool_alloc never touches the pool lock.
 * Here also: it makes no garbage. (JMH measures the cost in stress/jmh.)
 */
class FastPathTest {
    /** A single-threaded allocator that recycles a fixed set of objects: it allocates nothing. */
    private static final class Recycler implements MempoolAllocFn<Object>, MempoolFreeFn<Object> {
        private final Object[] stack = new Object[64];
        private int top;

        Recycler() {
            for (int i = 0; i < stack.length; i++) {
                stack[i] = new Object();
            }
            top = stack.length;
        }

        @Override
        public Object alloc(int gfp) {
            return top == 0 ? null : stack[--top];
        }

        @Override
        public void free(Object element) {
            stack[top++] = element;
        }
    }

    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static void churn(Mempool<Object> pool, int rounds) {
        for (int i = 0; i < rounds; i++) {
            Object a = pool.alloc(GFP_NOIO);
            Object b = pool.alloc(GFP_ATOMIC);
            pool.free(b);
            pool.free(a);
        }
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void theFastPathTakesNoLockAndAllocatesNothing(MempoolPolicy policy) {
        try (Machine m = TestSupport.tinyMachine()) {
            Recycler r = new Recycler();
            Mempool<Object> pool = Mempool.builder("fast", 8, r, r).policy(policy).machine(m).create();
            long locksAfterCreate = pool.lockAcquisitions();
            churn(pool, 200_000); // warm up: JIT, the thread's task, the counters
            long before = allocatedBytes();
            churn(pool, 200_000);
            long garbage = allocatedBytes() - before;

            assertThat(pool.lockAcquisitions()).as("pool lock acquisitions on the fast path").isEqualTo(locksAfterCreate);
            assertThat(garbage).as("bytes allocated by 800,000 fast-path calls").isLessThan(1024);
            assertThat(pool.served(MempoolLevel.NOWAIT)).isEqualTo(800_000);
            assertThat(pool.stats().freedToAllocator()).isEqualTo(800_000);
            assertThat(pool.currNr()).isEqualTo(8);
        }
    }

    /**
     * The fast path's two counters are per-thread cells, not atomics: four threads, two per CPU id
     * (where per-CPU plain counters would lose counts), each with its own underlying allocator,
     * must still add up exactly once they are joined.
     */
    @Test
    void fastPathCountsAreExactAcrossThreadsSharingACpu() throws Exception {
        try (Machine m = TestSupport.tinyMachine()) {
            ThreadLocal<Recycler> perThread = ThreadLocal.withInitial(Recycler::new);
            MempoolAllocFn<Object> alloc = gfp -> perThread.get().alloc(gfp);
            MempoolFreeFn<Object> free = e -> perThread.get().free(e);
            Mempool<Object> pool = Mempool.builder("shared", 4, gfp -> new Object(), e -> { }).machine(m).create();
            Mempool<Object> fast = Mempool.builder("fast-mt", 4, alloc, free).machine(m).create();
            int rounds = 50_000;
            Thread[] threads = new Thread[4];
            for (int i = 0; i < threads.length; i++) {
                int cpu = i % 2;
                threads[i] = new Thread(() -> {
                    m.bindCurrentThread(cpu);
                    churn(fast, rounds);
                });
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            long calls = 2L * rounds * threads.length;
            assertThat(fast.served(MempoolLevel.NOWAIT)).isEqualTo(calls);
            assertThat(fast.stats().freedToAllocator()).isEqualTo(calls);
            assertThat(fast.nrOut()).isZero();
            assertThat(pool.served(MempoolLevel.NOWAIT)).as("another pool's counters").isZero();
        }
    }

    /**
     * fastPathStatistics(false), the kernel's fast path: nothing counted there (the counters
     * read -1, and the view prints it), no counter slot taken, no garbage, no lock; the slow
     * levels and the frees that refill the pool are still counted.
     */
    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void anUncountedPoolCountsOnlyItsSlowPath(MempoolPolicy policy) {
        try (Machine m = TestSupport.tinyMachine()) {
            Recycler r = new Recycler();
            Mempool<Object> pool = Mempool.builder("uncounted", 2, r, r).policy(policy).machine(m)
                    .fastPathStatistics(false).create();
            long locksAfterCreate = pool.lockAcquisitions();
            churn(pool, 400_000);
            long before = allocatedBytes();
            churn(pool, 200_000);
            // One object per call would be over 12 MB; a few KB are the JIT's own (recompiling).
            assertThat(allocatedBytes() - before).as("bytes allocated by 800,000 fast-path calls").isLessThan(8192);
            assertThat(pool.lockAcquisitions()).isEqualTo(locksAfterCreate);

            // Drain the underlying allocator (64 objects, 2 in the pool): the next two come from
            // the reserve and are counted.
            Object[] held = new Object[62];
            for (int i = 0; i < held.length; i++) {
                held[i] = pool.alloc(GFP_NOIO);
            }
            Object a = pool.alloc(GFP_ATOMIC);
            Object b = pool.alloc(GFP_ATOMIC);
            assertThat(pool.alloc(GFP_ATOMIC)).as("empty allocator and pool, atomic caller").isNull();
            pool.free(a);
            pool.free(b);
            for (Object o : held) {
                pool.free(o);
            }
            MempoolStats s = pool.stats();
            assertThat(s.nowait()).isEqualTo(-1);
            assertThat(s.freedToAllocator()).isEqualTo(-1);
            assertThat(s.nrOut()).isEqualTo(-1);
            assertThat(pool.nrOut()).isEqualTo(-1);
            assertThat(s.allocations()).isEqualTo(-1);
            assertThat(s.served(MempoolLevel.NOWAIT)).isEqualTo(-1);
            assertThat(s.halfFull() + s.nonempty()).as("reserve hits").isEqualTo(2);
            assertThat(s.freedToPool()).isEqualTo(2);
            assertThat(s.failures()).isEqualTo(1);
            assertThat(s.fastPathCounted()).isFalse();
            assertThat(MempoolInfo.line(s).split("\\s+")).contains("-").doesNotContain("-1");
            pool.checkInvariants();
            pool.destroy();
        }
    }

    @Test
    void anUncountedPoolTakesNoCounterSlot() {
        try (Machine m = TestSupport.tinyMachine()) {
            Recycler r = new Recycler();
            Mempool<Object> counted = Mempool.builder("counted", 1, r, r).machine(m).create();
            int before = m.counters().allocate(1);
            Mempool.builder("uncounted", 1, r, r).machine(m).fastPathStatistics(false).create();
            assertThat(m.counters().allocate(1)).as("the next free slot").isEqualTo(before + 1);
            counted.free(counted.alloc(GFP_NOIO));
            assertThat(counted.served(MempoolLevel.NOWAIT)).isEqualTo(1);
        }
    }

    @Test
    void theSlowPathDoesTakeTheLock() {
        FakeAllocator fake = new FakeAllocator();
        Mempool<FakeAllocator.Elem> pool = Mempool.create("slow", 2, fake, fake);
        long before = pool.lockAcquisitions();
        fake.failWhen(FakeAllocator.ALWAYS);
        pool.free(pool.alloc(GFP_NOIO));
        assertThat(pool.lockAcquisitions()).isEqualTo(before + 2);
    }
}
