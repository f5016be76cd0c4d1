// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jmh;

import dev.kalloc.kernel.PerCpuLock;
import dev.kalloc.kernel.SpinLock;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The pieces the fast paths are made of, each on its own, so that a fast path's time can be
 * read as a sum of measured parts in the same run as {@link FastPathBench}: the task lookup
 * ({@code current}), a per-thread counter cell, a {@code LongAdder} (what the mempool counted
 * with before), the per-CPU lock pair, and a shared structure's lock pair, uncontended and, with
 * {@code -t 2}, contended by both threads: {@link SpinLock} (the zone, pool and slab cache lock)
 * against {@link ReentrantLock} (what they were). Each shared-lock operation does one plain
 * read-modify-write under the lock, as a real critical section does at least.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class PiecesBench {

    /** A per-CPU lock with one field under it, as {@code PerCpuPages} and {@code ArrayCache} are. */
    static final class CpuLocked extends PerCpuLock {
        long n;
    }

    /** What the threads share: a machine for the tasks, and the shared locks with their data. */
    @State(Scope.Benchmark)
    public static class Shared {
        Machine machine;
        int slot;
        final LongAdder adder = new LongAdder();
        final SpinLock spin = new SpinLock();
        final ReentrantLock reentrant = new ReentrantLock();
        long spinGuarded;
        long reentrantGuarded;

        @Setup(Level.Trial)
        public void boot() {
            machine = Machine.boot(MachineConfig.builder().memory(16L << 20).cpus(2).kswapd(false).build());
            slot = machine.counters().allocate(1);
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            machine.close();
        }
    }

    /** The benchmark thread's own: its task (bound to its own CPU) and its own locks. */
    @State(Scope.Thread)
    public static class PerThread {
        Task task;
        final CpuLocked cpuLocked = new CpuLocked();
        final SpinLock spin = new SpinLock();
        long spinGuarded;

        @Setup(Level.Trial)
        public void bind(Shared shared, ThreadParams threads) {
            task = shared.machine.bindCurrentThread(threads.getThreadIndex() % 2);
        }
    }

    /** {@code Machine.current()}: the task of the calling thread. Every fast path does it once or twice. */
    @Benchmark
    public Task taskLookup(Shared s) {
        return s.machine.current();
    }

    /** {@code Machine.current()} and one increment of the thread's own counter cell (mempool's counting now). */
    @Benchmark
    public void taskCount(Shared s) {
        s.machine.current().count(s.slot);
    }

    /** One {@code LongAdder.increment()} on an adder both threads share (mempool's counting before). */
    @Benchmark
    public void longAdder(Shared s) {
        s.adder.increment();
    }

    /** A per-CPU lock pair around a plain increment, the thread's own lock: one CAS and a release store. */
    @Benchmark
    public void perCpuLockPair(PerThread t) {
        CpuLocked l = t.cpuLocked;
        l.lock();
        l.n++;
        l.unlock();
    }

    /** A {@link SpinLock} pair, the thread's own lock (never contended): two CASes. */
    @Benchmark
    public void spinLockOwn(PerThread t) {
        SpinLock l = t.spin;
        l.lock();
        t.spinGuarded++;
        l.unlock();
    }

    /** A {@link SpinLock} pair on one lock both threads take, as the zone lock is taken on the buddy paths. */
    @Benchmark
    public void spinLockShared(Shared s) {
        s.spin.lock();
        s.spinGuarded++;
        s.spin.unlock();
    }

    /** The same on a {@link ReentrantLock}, what the zone, pool and slab cache locks were. */
    @Benchmark
    public void reentrantLockShared(Shared s) {
        s.reentrant.lock();
        s.reentrantGuarded++;
        s.reentrant.unlock();
    }

    /** Nothing but the call and the result: the harness's own cost, for reading the others. */
    @Benchmark
    public void baseline(Blackhole bh) {
        bh.consume(this);
    }
}
