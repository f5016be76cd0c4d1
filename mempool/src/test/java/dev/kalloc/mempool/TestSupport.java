// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/** Shared fixtures: tiny machines, and waiting for another thread to reach a state. */
final class TestSupport {
    private TestSupport() {
    }

    /** 8 MiB, no kswapd: small and deterministic. */
    static Machine tinyMachine() {
        return Machine.boot(MachineConfig.builder().memory(8 * MachineConfig.MiB).kswapd(false).build());
    }

    /**
     * Waits (test side only) until {@code condition} holds, failing after 10 s. The pool never
     * polls; tests do, to learn that another thread has gone to sleep.
     */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as("timed out waiting until " + what).isTrue();
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Runs {@code task} on a fresh daemon thread; the returned future is its result. */
    static <T> Future<T> spawn(Callable<T> task) {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mempool-test-sleeper");
            t.setDaemon(true);
            return t;
        });
        try {
            return ex.submit(task);
        } finally {
            ex.shutdown();
        }
    }
}
