// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one run measures: per operation type two HdrHistogram {@link Recorder}s of latencies (in
 * nanoseconds, from each operation's intended start), one for the operations that succeeded and
 * one for those that failed, so that a run whose operations fail fast (an allocation refused at
 * once) does not pass for a run with a low latency; and the run's counters: operations
 * started and ended, failed operations, stalls above the threshold, and a progress count the
 * watchdog watches.
 *
 * <p>Threads: {@link OpType#record} from any thread, including bio completions in interrupt
 * context (it takes no lock unless someone waits in {@link #awaitQuiescent}, and never sleeps);
 * {@link #opType} while the scenario starts up; the rest from the run's own threads.
 * Recorders follow HdrHistogram's writer/reader phaser, so interval histograms can be taken while
 * operations record.
 *
 * <p>The recorders have a fixed range, 1 ns to {@link #HIGHEST_LATENCY_NANOS}, not HdrHistogram's
 * auto-resizing one. Two threads that both outgrow an auto-resizing ConcurrentHistogram race in
 * HdrHistogram 2.2.2: after its resize, each writer sets the histogram's highest trackable
 * value from the counts length it read, so the slower one can put back the smaller value over
 * the larger resize. The interval histogram then encodes counts beyond the range its header
 * states, and HistogramLogReader cannot decode it (seen once in CI: a kalloc.hlog line whose
 * header said 4,194,303 ns with counts up to 15.7 ms, "Index 14402 out of bounds for length
 * 13312", which this race explains). A fixed range never resizes. A latency above the range is
 * recorded as its top.
 */
public final class RunMetrics implements OpRegistry {
    private final long stallNanos;
    private final Map<String, OpType> types = Collections.synchronizedMap(new LinkedHashMap<>());
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();
    private final LongAdder failed = new LongAdder();
    private final LongAdder stalls = new LongAdder();
    private final AtomicLong progress = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition quiet = lock.newCondition();
    private volatile int waiters;

    /**
     * The top of the recorders' range: an hour, far beyond any run (a run's operations end by its
     * teardown, which the watchdog bounds). At 3 digits that is 33,792 counts, so a histogram (a
     * ConcurrentHistogram keeps two count arrays) takes about 540 KB, a recorder two of them.
     */
    public static final long HIGHEST_LATENCY_NANOS = TimeUnit.HOURS.toNanos(1);

    RunMetrics(long stallNanos) {
        this.stallNanos = stallNanos;
    }

    /** One operation type of the run, with its recorder. */
    public final class OpType {
        private final String name;
        private final Recorder recorder = new Recorder(1, HIGHEST_LATENCY_NANOS, 3);
        private final Recorder failedRecorder = new Recorder(1, HIGHEST_LATENCY_NANOS, 3);
        private final LongAdder count = new LongAdder();
        private final LongAdder failures = new LongAdder();

        private OpType(String name) {
            this.name = name;
        }

        String name() {
            return name;
        }

        /**
         * An operation of this type is starting; call exactly once before its {@link #record}.
         * Lets the run's drain know how many are still in flight.
         */
        public void begin() {
            started.incrementAndGet();
        }

        /**
         * An operation of this type that was intended to start at {@code intendedNanos} ended
         * now, successfully or not. Any context; never sleeps.
         */
        public void record(long intendedNanos, boolean ok) {
            long latency = Math.max(0, System.nanoTime() - intendedNanos);
            long recorded = Math.min(HIGHEST_LATENCY_NANOS, latency); // the stall test below sees the whole
            count.increment();
            if (ok) {
                recorder.recordValue(recorded);
            } else {
                failedRecorder.recordValue(recorded);
                failures.increment();
                failed.increment();
            }
            if (latency > stallNanos) {
                stalls.increment();
            }
            progress.incrementAndGet();
            ended.incrementAndGet();
            if (waiters != 0) {
                lock.lock();
                try {
                    quiet.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        /**
         * The histogram of successful operations' latencies recorded since the last call
         * (HdrHistogram interval semantics).
         */
        Histogram takeInterval(Histogram recycle) {
            return recorder.getIntervalHistogram(recycle);
        }

        /** As {@link #takeInterval}, for the failed operations. */
        Histogram takeFailedInterval(Histogram recycle) {
            return failedRecorder.getIntervalHistogram(recycle);
        }

        long count() {
            return count.sum();
        }

        long failures() {
            return failures.sum();
        }
    }

    /** The operation type {@code name}, created on first use. */
    @Override
    public OpType opType(String name) {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("operation type '" + name + "': letters, digits, '.', '_' or '-' only");
        }
        synchronized (types) {
            return types.computeIfAbsent(name, OpType::new);
        }
    }

    /** The operation types, in the order they were created. */
    List<OpType> opTypes() {
        synchronized (types) {
            return new ArrayList<>(types.values());
        }
    }

    /** Something other than an operation moved forward (a page verified, a flush step): the watchdog sees it. */
    public void progressed() {
        progress.incrementAndGet();
    }

    long progress() {
        return progress.get();
    }

    long started() {
        return started.get();
    }

    long ended() {
        return ended.get();
    }

    long failed() {
        return failed.sum();
    }

    long stalls() {
        return stalls.sum();
    }

    /** Sleeps until every operation begun has been recorded. The watchdog ends a wait that never ends. */
    void awaitQuiescent() throws InterruptedException {
        lock.lock();
        try {
            waiters++;
            while (ended.get() < started.get()) {
                quiet.await();
            }
        } finally {
            waiters--;
            lock.unlock();
        }
    }
}
