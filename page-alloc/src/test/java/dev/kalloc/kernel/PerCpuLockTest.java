// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The per-CPU lock's single-thread behaviour; its mutual exclusion is the jcstress suite's. */
class PerCpuLockTest {
    private static final class Cell extends PerCpuLock {
    }

    @Test
    void lockUnlockAndTryLock() {
        Cell c = new Cell();
        assertThat(c.isLocked()).isFalse();
        assertThat(c.holderId()).isEqualTo(-1);
        c.lock();
        assertThat(c.isLocked()).isTrue();
        assertThat(c.holderId()).isEqualTo(Thread.currentThread().getId());
        assertThat(c.tryLock()).isFalse();
        c.unlock();
        assertThat(c.tryLock()).isTrue();
        assertThat(c.holderId()).isEqualTo(Thread.currentThread().getId());
        c.unlock();
        assertThat(c.isLocked()).isFalse();
        assertThat(c.holderId()).isEqualTo(-1);
    }

    @Test
    void takingItTwiceIsAnErrorNotAHang() {
        Cell c = new Cell();
        c.lock();
        assertThatThrownBy(c::lock).isInstanceOf(IllegalStateException.class).hasMessageContaining("not reentrant")
                .hasMessageContaining("Cell@").hasMessageContaining(Thread.currentThread().getName());
        assertThat(c.isLocked()).isTrue();
        c.unlock();
        assertThat(c.isLocked()).isFalse();
        c.lock(); // the failed attempt left nothing behind
        c.unlock();
    }

    /**
     * The retake check must not depend on assertions (it used to, and without -ea a retake
     * hung). This run has them on, so the lock's classes are loaded again by a loader that has
     * them off, and the retake is made there.
     */
    @Test
    void takingItTwiceIsAnErrorWithAssertionsOff() throws Exception {
        URL main = PerCpuLock.class.getProtectionDomain().getCodeSource().getLocation();
        URL test = Retake.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {main, test}, ClassLoader.getPlatformClassLoader())) {
            loader.clearAssertionStatus();
            loader.setDefaultAssertionStatus(false);
            Class<?> lockClass = Class.forName(PerCpuLock.class.getName(), false, loader);
            assertThat(lockClass).isNotSameAs(PerCpuLock.class);
            assertThat(lockClass.desiredAssertionStatus()).as("assertions in the reloaded lock").isFalse();
            @SuppressWarnings("unchecked")
            Callable<String> retake = (Callable<String>) Class.forName(Retake.class.getName(), true, loader)
                    .getDeclaredConstructor().newInstance();
            assertThat(retake.call()).contains("not reentrant");
        }
    }

    /** Takes its lock twice; loaded by {@link #takingItTwiceIsAnErrorWithAssertionsOff}. */
    public static final class Retake extends PerCpuLock implements Callable<String> {
        @Override
        public String call() {
            lock();
            try {
                lock();
                return "the second lock() returned";
            } catch (IllegalStateException e) {
                return e.getMessage();
            } finally {
                unlock();
            }
        }
    }

    /** Another thread's attempt while the lock is held waits for it; it is not taken for a retake. */
    @Test
    void anotherThreadWaitsAndThenGetsIt() throws InterruptedException {
        Cell c = new Cell();
        c.lock();
        AtomicReference<Object> result = new AtomicReference<>();
        CountDownLatch trying = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try {
                result.set(c.tryLock());
                trying.countDown();
                c.lock();
                result.set(c.holderId());
                c.unlock();
            } catch (Throwable e) {
                result.set(e);
            }
        });
        other.start();
        trying.await();
        assertThat(result.get()).isEqualTo(false);
        c.unlock();
        other.join();
        assertThat(result.get()).isEqualTo(other.getId());
        assertThat(c.isLocked()).isFalse();
    }

    /**
     * A thread whose getId claims the holder's id has the holder's lock word, which proves
     * nothing: it waits like any other thread instead of being told it holds the lock.
     */
    @Test
    void aThreadLyingAboutItsIdIsNotTakenForTheHolder() throws InterruptedException {
        Cell c = new Cell();
        long holderId = Thread.currentThread().getId();
        c.lock();
        AtomicReference<Object> result = new AtomicReference<>();
        CountDownLatch trying = new CountDownLatch(1);
        Thread liar = new Thread(() -> {
            try {
                trying.countDown();
                c.lock();
                result.set("locked");
                c.unlock();
            } catch (Throwable e) {
                result.set(e);
            }
        }) {
            @Override
            public long getId() {
                return holderId;
            }
        };
        liar.start();
        trying.await();
        c.unlock();
        liar.join();
        assertThat(result.get()).isEqualTo("locked");
        assertThat(c.isLocked()).isFalse();
    }

    /** With assertions on (as here), releasing a lock another thread holds is caught. */
    @Test
    void unlockByANonHolderIsCaughtWithAssertions() throws InterruptedException {
        Cell c = new Cell();
        c.lock();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                c.unlock();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        other.start();
        other.join();
        assertThat(thrown.get()).isInstanceOf(AssertionError.class).hasMessageContaining("does not hold it");
        assertThat(c.isLocked()).isTrue();
        c.unlock();
    }
}
