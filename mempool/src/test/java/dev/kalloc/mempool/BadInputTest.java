// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import dev.kalloc.page.Gfp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Arguments a caller can get wrong, each refused with a message that names the rule. */
class BadInputTest {
    private final FakeAllocator fake = new FakeAllocator();

    @Test
    void minNrMustBePositive() {
        assertThatThrownBy(() -> Mempool.create("p", 0, fake, fake)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("min_nr 0");
        assertThatThrownBy(() -> Mempool.create("p", -1, fake, fake)).isInstanceOf(IllegalArgumentException.class);
        assertThat(fake.live()).isZero();
    }

    @Test
    void functionsMustBeGiven() {
        assertThatThrownBy(() -> Mempool.create("p", 1, null, fake)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempool.<Elem>create("p", 1, fake, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesMustBeNonEmptyWithoutWhitespace() {
        assertThatThrownBy(() -> Mempool.create(null, 1, fake, fake)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempool.create("", 1, fake, fake)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempool.create("bio pool", 1, fake, fake)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderOptionsAreValidated() {
        Mempool.Builder<Elem> b = Mempool.builder("p", 1, fake, fake);
        assertThatThrownBy(() -> b.policy(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.waitTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.waitTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.waitTimeout(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.create().waitTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void unknownGfpBitsAreRefusedBeforeAnythingHappens() {
        Mempool<Elem> pool = Mempool.create("p", 1, fake, fake);
        fake.resetCounts();
        assertThatThrownBy(() -> pool.alloc(0x10000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown bits");
        assertThatThrownBy(() -> pool.resize(2, 0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThat(fake.nonSleepingCalls() + fake.sleepingCalls()).isZero();
        assertThat(pool.minNr()).isEqualTo(1);
    }

    /**
     * mempool_free(NULL) as each policy's kernel has it, tried with the pool below min_nr (where
     * 2.5.1 would add the NULL as an idle element): the modern policy ignores it; 2.5.1 has no
     * check, so it is a named bug there. Either way the pool, its counters and the allocator are
     * unchanged.
     */
    @Test
    void freeOfNullIsANoOpForTheModernPolicyAndABugFor251() {
        for (MempoolPolicy policy : MempoolPolicy.values()) {
            FakeAllocator alloc = new FakeAllocator();
            Mempool<Elem> pool = Mempool.builder("p", 2, alloc, alloc).policy(policy).create();
            alloc.failWhen(FakeAllocator.ALWAYS);
            Elem held = pool.alloc(Gfp.GFP_NOIO);
            assertThat(held).as(policy.label()).isNotNull();
            assertThat(pool.currNr()).isEqualTo(1);
            List<Long> before = List.of(pool.stats().freedToPool(), pool.stats().freedToAllocator(),
                    (long) alloc.live());
            if (policy == MempoolPolicy.MODERN) {
                pool.free(null);
            } else {
                assertThatThrownBy(() -> pool.free(null)).as(policy.label()).isInstanceOf(KernelBug.class)
                        .hasMessageContaining("mempool_free(NULL) to pool 'p'").hasMessageContaining("2.5.1");
            }
            assertThat(pool.currNr()).as(policy.label()).isEqualTo(1);
            assertThat(List.of(pool.stats().freedToPool(), pool.stats().freedToAllocator(), (long) alloc.live()))
                    .as(policy.label()).isEqualTo(before);
            pool.free(held);
            assertThat(pool.currNr()).isEqualTo(2);
        }
    }

    @Test
    void stackingNeedsAnInnerPool() {
        assertThatThrownBy(() -> Mempools.allocFromPool(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempools.freeToPool(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
