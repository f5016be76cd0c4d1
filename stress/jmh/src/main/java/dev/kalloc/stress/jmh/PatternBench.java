// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.reservation.ReservationScope;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 * Patterns that defeat a LIFO cache. {@code randomLiveSet}: each thread keeps
 * {@value Subject#LIVE_SLOTS} objects live and replaces a random one per operation (as Netty's
 * own ByteBufAllocatorBenchmark does), so frees land in random order. {@code fifoBurst}: allocate
 * {@value Subject#BURST}, then free them oldest first, which runs per-CPU caches through refill
 * and drain; reported per allocation plus free.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class PatternBench {

    /** The subject's shared half, booted once per trial so that no setup cost is measured. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"page0-pcp", "slab-64", "netty-64", "netty-4096", "bytes-64", "floor"})
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

        /** Slot indices drawn in advance, so the benchmark measures no random number generator. */
        private final int[] slots = new int[1 << 16];
        private int next;

        @Setup(Level.Trial)
        public void setup(Shared shared, ThreadParams threads) {
            subject = shared.world.newSubject(threads.getThreadIndex());
            if (shared.world.reservation != null) {
                scope = shared.world.reservation.enter();
            }
            SplittableRandom rnd = new SplittableRandom(42 + threads.getThreadIndex());
            for (int i = 0; i < slots.length; i++) {
                slots[i] = rnd.nextInt(Subject.LIVE_SLOTS);
            }
            subject.fillLiveSet();
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
    public void randomLiveSet(PerThread t, Blackhole bh) {
        int[] s = t.slots;
        int i = t.next;
        t.next = (i + 1) & (s.length - 1);
        t.subject.replace(s[i], bh);
    }

    @Benchmark
    @OperationsPerInvocation(Subject.BURST)
    public void fifoBurst(PerThread t, Blackhole bh) {
        t.subject.burst(bh);
    }
}
