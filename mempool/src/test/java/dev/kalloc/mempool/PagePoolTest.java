// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_KERNEL;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * mempool_alloc_pages/free_pages over a booted machine's page allocator, with fail_page_alloc
 * driving the levels; conservation of pages; the page owner check; interrupt context.
 */
class PagePoolTest {
    private Machine m;
    private long baseline;

    @BeforeEach
    void boot() {
        m = TestSupport.tinyMachine();
        m.pageAlloc().drainAllPages();
        baseline = m.pageAlloc().nrFreePages();
    }

    @AfterEach
    void shutdown() {
        m.pageAlloc().failPageAlloc().attr().disable();
        m.close();
    }

    /** Every page is back: the pool's and the test's allocations all freed. */
    private void assertConserved() {
        m.pageAlloc().drainAllPages();
        assertThat(m.pageAlloc().nrFreePages()).isEqualTo(baseline);
        m.checkInvariants();
    }

    /** fail_page_alloc: every non-sleeping page allocation fails (sleeping ones too if asked). */
    private void failPageAllocs(boolean sleepingToo) {
        m.pageAlloc().failPageAlloc().ignoreGfpWait(!sleepingToo).attr().configure(100, 1, -1, 0, 42);
    }

    @Test
    void levelsOverThePageAllocatorWithFaultInjection() {
        Mempool<Page> pool = Mempools.createPagePool(m, "pages", 4, 1);
        assertThat(pool).isNotNull();
        List<Page> out = new ArrayList<>();
        out.add(pool.alloc(GFP_NOIO));
        assertThat(pool.served(MempoolLevel.NOWAIT)).isEqualTo(1);

        failPageAllocs(false);
        out.add(pool.alloc(GFP_NOIO));
        out.add(pool.alloc(GFP_NOIO));
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(2);
        out.add(pool.alloc(GFP_NOIO));
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);

        failPageAllocs(true);
        out.add(pool.alloc(GFP_NOIO));
        out.add(pool.alloc(GFP_ATOMIC));
        assertThat(pool.served(MempoolLevel.POOL_NONEMPTY)).isEqualTo(2);
        assertThat(pool.alloc(GFP_ATOMIC)).isNull();
        assertThat(pool.stats().failures()).isEqualTo(1);

        for (Page p : out) {
            assertThat(p.isAllocated()).isTrue();
            assertThat(p.order()).isEqualTo(1);
        }
        assertThat(out).doesNotHaveDuplicates();
        m.pageAlloc().failPageAlloc().attr().disable();
        out.forEach(pool::free);
        assertThat(pool.currNr()).isEqualTo(4);
        assertThat(pool.stats().freedToPool()).isEqualTo(4);
        assertThat(pool.stats().freedToAllocator()).isEqualTo(2);
        pool.destroy();
        assertConserved();
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void aSleepingPageAllocationWaitsForAFree(MempoolPolicy policy) throws Exception {
        Mempool<Page> pool = Mempools.pagePool(m, "pages", 2, 0).policy(policy).create();
        failPageAllocs(true);
        Page a = pool.alloc(GFP_NOIO);
        Page b = pool.alloc(GFP_NOIO);
        Future<Page> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the page allocation sleeps");
        pool.free(b);
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isSameAs(b);
        m.pageAlloc().failPageAlloc().attr().disable();
        pool.free(a);
        pool.free(b);
        pool.destroy();
        assertConserved();
    }

    @Test
    void thePageOwnerCheckRejectsWrongOrderForeignMachineAndFreedPages() {
        Mempool<Page> pool = Mempools.createPagePool(m, "pages", 2, 0);
        Page order1 = m.pageAlloc().allocPages(GFP_KERNEL, 1);
        assertThatThrownBy(() -> pool.free(order1)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("did not allocate it");
        assertThat(order1.isAllocated()).isTrue();
        m.pageAlloc().freePages(order1, 1);

        Page freed = m.pageAlloc().allocPage(GFP_KERNEL);
        m.pageAlloc().freePage(freed);
        assertThatThrownBy(() -> pool.free(freed)).isInstanceOf(KernelBug.class);

        try (Machine other = TestSupport.tinyMachine()) {
            Page alien = other.pageAlloc().allocPage(GFP_KERNEL);
            assertThatThrownBy(() -> pool.free(alien)).isInstanceOf(KernelBug.class);
            other.pageAlloc().freePage(alien);
        }
        assertThat(pool.currNr()).isEqualTo(2);
        assertThat(pool.nrOut()).isZero();
        pool.destroy();
        assertConserved();
    }

    @Test
    void aSleepingAllocationFromInterruptContextIsAKernelBug() {
        Mempool<Page> pool = Mempools.createPagePool(m, "pages", 2, 0);
        Task task = m.current();
        Task.IrqScope irq = task.irqEnter();
        try {
            assertThatThrownBy(() -> pool.alloc(GFP_NOIO)).isInstanceOf(KernelBug.class)
                    .hasMessageContaining("interrupt context");
            assertThatThrownBy(() -> pool.resize(4, GFP_KERNEL)).isInstanceOf(KernelBug.class);
            assertThatThrownBy(() -> Mempools.createPagePool(m, "irq", 1, 0)).isInstanceOf(KernelBug.class);
            Page p = pool.alloc(GFP_ATOMIC);
            assertThat(p).isNotNull();
            pool.free(p); // frees are fine from interrupt context
        } finally {
            irq.close(); // irq_exit
        }
        assertThat(pool.currNr()).isEqualTo(2);
        assertThat(pool.minNr()).isEqualTo(2);
        pool.destroy();
        assertConserved();
    }

    @Test
    void createReturnsNullWhenThePrefillCannotBeMetAndFreesWhatItMade() {
        // Larger than the machine can give at order 4 (which gives up after one reclaim round): all or nothing.
        assertThat(Mempools.createPagePool(m, "huge", 100_000, 4)).isNull();
        assertConserved();
    }

    @Test
    void badPageOrdersAreRefused() {
        assertThatThrownBy(() -> Mempools.createPagePool(m, "p", 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempools.createPagePool(m, "p", 1, m.config().maxOrder()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempools.allocPages(null, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
