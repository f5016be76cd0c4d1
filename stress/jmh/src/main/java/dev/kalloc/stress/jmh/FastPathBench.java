// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.reservation.ReservationScope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The fast paths: one allocation freed at once, so every allocator serves it from its per-CPU
 * or per-thread cache (or, for the subjects without one, its slowest common path). One operation
 * is one allocation plus one free. Run with {@code -t 1} and {@code -t 2}; with two threads each
 * is bound to its own simulated CPU, and JMH reports the time per operation of one thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class FastPathBench {

    /** The subject's shared half, booted once per trial so that no setup cost is measured. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"page0-pcp", "page0-buddy", "page0-split-0", "page0-split-3", "page0-split-6", "page3", "page0-rsv", "netty-4096", "netty-8192", "netty-32768", "bytes-4096", "slab-64", "slab-256", "slab-1024", "kmalloc-64", "slabobj-64", "mempool-64", "mempool-uncounted-64", "mempool-reserve-64", "netty-64", "netty-256", "netty-1024", "bytes-64", "bytes-256", "bytes-1024", "direct-64", "direct-256", "floor", "floor-tl"})
        public String subject;

        World world;

        @Setup(Level.Trial)
        public void boot() {
            world = new World(subject);
            world.boot();
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            world.shutdown();
        }
    }

    /** The benchmark thread's half: its subject, bound to its own CPU, with its live objects. */
    @State(Scope.Thread)
    public static class PerThread {
        Subject subject;
        ReservationScope scope;

        @Setup(Level.Trial)
        public void setup(Shared shared, ThreadParams threads) {
            subject = shared.world.newSubject(threads.getThreadIndex());
            if (shared.world.reservation != null) {
                scope = shared.world.reservation.enter();
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            subject.freeAll();
            if (scope != null) {
                scope.close();
            }
        }
    }

    @Benchmark
    public void allocFree(PerThread t, Blackhole bh) {
        t.subject.allocFree(bh);
    }
}
