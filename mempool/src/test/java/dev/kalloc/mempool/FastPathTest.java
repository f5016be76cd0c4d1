package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;

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
