package dev.kalloc.stress.workload;

import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * The campaign's interval log ({@code kalloc.hlog}), written with HdrHistogram's own
 * {@link HistogramLogWriter}, so that {@code HistogramLogReader} and {@code HistogramLogProcessor}
 * read it: a format version, a start and base time, the legend, then one line per interval
 * histogram, each tagged {@code scenario/guarantee/op}. Values are latencies in nanoseconds (the
 * processor's default output ratio, 1e6, shows them in milliseconds).
 *
 * <p>kalloc adds comment lines, which HdrHistogram's readers skip: {@code #kalloc-log} with the
 * campaign's settings at the top, and one {@code #kalloc-run} line per run ({@link RunResult}),
 * so that {@code kalloc report} can render the report again from this file alone.
 *
 * <p>Threads: every method is synchronized; intervals of concurrent runs may interleave.
 */
final class LatencyLog implements AutoCloseable {
    /** The comment line's first word for the campaign's settings. */
    static final String CONFIG_MARK = "kalloc-log";

    private final PrintStream out;
    private final HistogramLogWriter writer;

    /**
     * Creates {@code file} and writes the header.
     *
     * @param startMillis the campaign's start, epoch milliseconds: the log's start and base time
     * @param settings the campaign's settings, one line (recorded as a comment)
     */
    LatencyLog(Path file, long startMillis, String settings) throws FileNotFoundException {
        this(new java.io.FileOutputStream(file.toFile()), startMillis, settings);
    }

    /** A log written to {@code stream} (a warm-up's log goes to a null stream). */
    LatencyLog(java.io.OutputStream stream, long startMillis, String settings) {
        this.out = new PrintStream(stream, false, StandardCharsets.UTF_8);
        this.writer = new HistogramLogWriter(out);
        writer.outputLogFormatVersion();
        writer.outputComment(CONFIG_MARK + "\t" + RunResult.escape(settings));
        writer.outputStartTime(startMillis);
        writer.setBaseTime(startMillis);
        writer.outputBaseTime(startMillis);
        writer.outputLegend();
    }

    /** Writes one interval histogram under {@code tag}; its own start and end stamps place it. */
    synchronized void interval(String tag, Histogram h) {
        h.setTag(tag);
        writer.outputIntervalHistogram(h);
    }

    /** Writes a run's result line. */
    synchronized void run(RunResult r) {
        writer.outputComment(r.encode());
        out.flush();
    }

    /** Writes a comment line of kalloc's own (the environment, a run's memory series). */
    synchronized void comment(String line) {
        writer.outputComment(line);
        out.flush();
    }

    @Override
    public synchronized void close() {
        writer.close();
    }
}
