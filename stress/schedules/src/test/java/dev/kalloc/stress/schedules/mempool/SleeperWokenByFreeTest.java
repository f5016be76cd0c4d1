package dev.kalloc.stress.schedules.mempool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.Mempool;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.Gfp;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * A sleeper in {@code mempool_alloc} is woken by a free: no lost wake-up.
 *
 * <p>Invariant: with the underlying allocator dry and the pool's one element out, an allocation
 * that may sleep returns once that element is freed, whatever the interleaving of the sleeper's
 * queueing and re-check with the free's refill and wake-up; and every element is accounted for
 * afterwards. A lost wake-up leaves the sleeper parked with no runnable thread, which Fray
 * reports as a deadlock.
 */
@ExtendWith(FrayTestExtension.class)
class SleeperWokenByFreeTest {
    @ConcurrencyTest(iterations = 200)
    void sleeperWokenByFree251() throws InterruptedException {
        Stock stock = new Stock(1);
        Mempool<Stock.Elem> pool = Mempool.builder("fray", 1, stock, stock).policy(MempoolPolicy.LINUX_2_5_1).create();
        Stock.Elem first = pool.alloc(Gfp.GFP_NOIO);
        Stock.Elem[] got = new Stock.Elem[1];
        Thread sleeper = new Thread(() -> got[0] = pool.alloc(Gfp.GFP_NOIO));
        sleeper.start();
        pool.free(first);
        sleeper.join();
        assertThat(got[0]).isSameAs(first);
        pool.free(got[0]);
        assertThat(pool.currNr() + stock.inStock()).isEqualTo(stock.made());
    }
}
