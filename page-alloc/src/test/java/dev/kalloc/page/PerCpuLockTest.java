package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The per-CPU lock's single-thread behaviour; its mutual exclusion is the jcstress suite's. */
class PerCpuLockTest {
    private static final class Cell extends PerCpuLock {
    }

    @Test
    void lockUnlockAndTryLock() {
        Cell c = new Cell();
        assertThat(c.isLocked()).isFalse();
        c.lock();
        assertThat(c.isLocked()).isTrue();
        assertThat(c.tryLock()).isFalse();
        c.unlock();
        assertThat(c.tryLock()).isTrue();
        c.unlock();
        assertThat(c.isLocked()).isFalse();
    }

    @Test
    void takingItTwiceIsAnErrorNotAHang() {
        // Holder tracking is on with assertions, as in this test run.
        Cell c = new Cell();
        c.lock();
        assertThatThrownBy(c::lock).isInstanceOf(IllegalStateException.class).hasMessageContaining("not reentrant");
        assertThat(c.isLocked()).isTrue();
        c.unlock();
        assertThat(c.isLocked()).isFalse();
    }
}
