// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.io.FileNotFoundException;
import java.io.IOException;
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
 * so that {@code kalloc report} can render the report again from this file alone. A campaign's
 * log ends with a {@code #kalloc-end} line once its last run is in; one stopped by a signal ends
 * with a {@code #kalloc-interrupted} line instead (written by a shutdown hook), and one killed
 * outright ends with neither: either way a reader can tell the record is incomplete.
 *
 * <p>Threads: every method is synchronized; intervals of concurrent runs may interleave. After
 * {@link #interrupted} the log is sealed: what the run threads still write while the JVM shuts
 * down is dropped, so the interruption line is the last line.
 */
public final class LatencyLog implements AutoCloseable {
    /** The comment line's first word for the campaign's settings. */
    static final String CONFIG_MARK = "kalloc-log";
    /** The comment line's first word that ends a complete campaign's log. */
    static final String END_MARK = "kalloc-end";
    /** The comment line's first word that ends the log of a campaign stopped by a signal. */
    static final String INTERRUPTED_MARK = "kalloc-interrupted";

    private final PrintStream out;
    private final HistogramLogWriter writer;
    /** Set by {@link #interrupted}: nothing more is written. */
    private boolean sealed;

    /**
     * Creates {@code file} and writes the header.
     *
     * @param startMillis the campaign's start, epoch milliseconds: the log's start and base time
     * @param settings the campaign's settings, one line (recorded as a comment)
     */
    public LatencyLog(Path file, long startMillis, String settings) throws FileNotFoundException {
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
    public synchronized void interval(String tag, Histogram h) {
        if (sealed) {
            return;
        }
        h.setTag(tag);
        writer.outputIntervalHistogram(h);
    }

    /** Writes a run's result line. */
    public synchronized void run(RunResult r) {
        if (sealed) {
            return;
        }
        writer.outputComment(r.encode());
        out.flush();
    }

    /** Writes a comment line of kalloc's own (the environment, a run's memory series). */
    public synchronized void comment(String line) {
        if (sealed) {
            return;
        }
        writer.outputComment(line);
        out.flush();
    }

    /**
     * Writes the end line (every one of the campaign's {@code runs} runs is in the log) and seals
     * the log, so that a signal arriving after it (the shutdown hook's {@link #interrupted})
     * cannot add a line after the end, which readers refuse.
     *
     * @throws IOException if any write to the log failed (a full disk): {@link PrintStream}
     *         swallows write errors, so this is where a cut log is noticed
     */
    public synchronized void end(int runs) throws IOException {
        comment(END_MARK + "\t" + runs);
        sealed = true;
        if (out.checkError()) {
            throw new IOException("the interval log could not be written completely (is the disk full?)");
        }
    }

    /**
     * Writes the interruption line, saying {@code why} (escaped onto one line), and seals the
     * log; does nothing once the log is sealed (ended, or interrupted already). Called from a
     * shutdown hook: it waits for a line being written to be finished.
     */
    synchronized void interrupted(String why) {
        if (sealed) {
            return;
        }
        comment(INTERRUPTED_MARK + "\t" + RunResult.escape(why));
        sealed = true;
    }

    @Override
    public synchronized void close() {
        writer.close();
    }
}
