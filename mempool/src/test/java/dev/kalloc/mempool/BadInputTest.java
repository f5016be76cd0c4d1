package dev.kalloc.mempool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.mempool.FakeAllocator.Elem;
import java.time.Duration;
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

    @Test
    void stackingNeedsAnInnerPool() {
        assertThatThrownBy(() -> Mempools.allocFromPool(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mempools.freeToPool(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
