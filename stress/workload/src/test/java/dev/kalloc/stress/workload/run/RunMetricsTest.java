// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The run's latency recorders: their range, and interval histograms that always decode. */
class RunMetricsTest {

    /**
     * The recorders' histograms cover the whole range before anything is recorded, so no writer
     * ever resizes one (an auto-resizing recorder starts at 2 ns and grows under its writers).
     */
    @Test
    void theRecordersNeverResize() {
        RunMetrics.OpType op = new RunMetrics(1).opType("read");
        for (Histogram h : new Histogram[] {op.takeInterval(null), op.takeFailedInterval(null)}) {
            assertThat(h.isAutoResize()).isFalse();
            assertThat(h.getHighestTrackableValue()).isGreaterThanOrEqualTo(RunMetrics.HIGHEST_LATENCY_NANOS);
        }
    }

    /** Recorded as the top of the range; the stall test still sees the whole latency. */
    @Test
    void aLatencyAboveTheRangeIsRecordedAsItsTop() {
        RunMetrics metrics = new RunMetrics(TimeUnit.MINUTES.toNanos(90));
        RunMetrics.OpType op = metrics.opType("read");
        op.begin();
        op.record(System.nanoTime() - TimeUnit.HOURS.toNanos(2), true);
        Histogram h = op.takeInterval(null);
        assertThat(h.getTotalCount()).isEqualTo(1);
        assertThat(h.highestEquivalentValue(h.getMaxValue()))
                .isGreaterThanOrEqualTo(RunMetrics.HIGHEST_LATENCY_NANOS);
        assertThat(h.lowestEquivalentValue(h.getMaxValue())).isLessThanOrEqualTo(RunMetrics.HIGHEST_LATENCY_NANOS);
        assertThat(metrics.stalls()).isEqualTo(1);
    }

    /**
     * Writers whose latencies keep growing by orders of magnitude, as a run's do when it starts
     * to stall, while intervals are taken as the sampler takes them: every interval histogram
     * encodes to what HistogramLogReader decodes, with the same counts. (With HdrHistogram's
     * auto-resizing recorders, writers outgrowing one together could leave a header narrower
     * than the counts; see RunMetrics.)
     */
    @Test
    void intervalsTakenWhileWritersOutgrowThemAlwaysDecode() throws Exception {
        RunMetrics metrics = new RunMetrics(Long.MAX_VALUE);
        RunMetrics.OpType op = metrics.opType("write");
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(3);
        Thread[] writers = new Thread[3];
        for (int w = 0; w < writers.length; w++) {
            writers[w] = new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long t0 = System.nanoTime();
                started.countDown();
                while (!stop.get()) {
                    int magnitude = (int) Math.min(44, 8 + (System.nanoTime() - t0) / 5_000_000);
                    long latency = r.nextInt(16) == 0 ? (1L << magnitude) + r.nextLong(1L << magnitude)
                            : 1 + r.nextInt(1000);
                    op.begin();
                    op.record(System.nanoTime() - latency, true);
                }
            }, "writer-" + w);
            writers[w].start();
        }
        started.await();
        Histogram recycle = null;
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        long recorded = 0;
        try {
            for (int i = 0; i < 300; i++) {
                Thread.sleep(0, 500_000);
                Histogram h = op.takeInterval(recycle);
                recycle = h;
                buffer.clear();
                h.encodeIntoCompressedByteBuffer(buffer);
                buffer.flip();
                Histogram decoded = Histogram.decodeFromCompressedByteBuffer(buffer, 0);
                assertThat(decoded.getTotalCount()).as("interval %d", i).isEqualTo(h.getTotalCount());
                assertThat(decoded.getMaxValue()).as("interval %d", i).isEqualTo(h.getMaxValue());
                recorded += h.getTotalCount();
            }
        } finally {
            stop.set(true);
            for (Thread w : writers) {
                w.join();
            }
        }
        assertThat(recorded).isPositive();
    }
}
