// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How a campaign, or a sweep of campaigns, shows how far it is on stderr. On a terminal it is a
 * progress bar redrawn in place (carriage returns), moving in hundredths of a run and naming what
 * runs now. Anywhere else (a file, a pipe, a CI log) those redraws would pile up as one endless
 * line of frames, so it prints one plain line per finished run instead; and {@code --quiet} shows
 * nothing.
 *
 * <p>Invariant: in {@link Mode#LINES} and {@link Mode#QUIET} no carriage return is ever written.
 * Threads: driven by the campaign's thread (the run's progress callback runs on it too).
 */
public final class Progress implements AutoCloseable {
    /** What the progress looks like. */
    public enum Mode {
        /** A progress bar redrawn in place: for a terminal. */
        BAR,
        /** One line per finished run: for a file or a pipe. */
        LINES,
        /** Nothing. */
        QUIET
    }

    private final Mode mode;
    private final PrintStream err;
    private final String task;
    private final ProgressBar bar;
    /** The most hundredths of a run expected (the bar's max), for LINES' "n/N runs". */
    private long max;

    private Progress(Mode mode, PrintStream err, String task, long runs) {
        this.mode = mode;
        this.err = err;
        this.task = task;
        this.max = runs * 100L;
        this.bar = mode != Mode.BAR ? null : new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(runs * 100L)
                .setUnit(" runs", 100)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(err, 110))
                .build();
    }

    /** Progress named {@code task} over {@code runs} runs on {@code err}, looking as {@code mode} says. */
    public static Progress open(PrintStream err, String task, long runs, Mode mode) {
        return new Progress(mode, err, task, runs);
    }

    /**
     * The mode for the process's own stderr: nothing if {@code quiet}, a bar if stderr is a
     * terminal, plain lines otherwise.
     */
    public static Mode forStderr(boolean quiet) {
        return quiet ? Mode.QUIET : stderrIsTerminal() ? Mode.BAR : Mode.LINES;
    }

    /**
     * Whether file descriptor 2 is a terminal. {@code System.console()} looks at stdin and
     * stdout only, so {@code kalloc run 2> log} on a terminal would still pass it; on Linux the
     * descriptor's link names the device, which is checked first.
     */
    public static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    /** Moves to {@code hundredths} hundredths of a run done. */
    public void stepTo(long hundredths) {
        if (bar != null) {
            bar.stepTo(hundredths);
        }
    }

    /** What runs now, shown on the bar only (it changes many times a second). */
    public void status(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    /** A new estimate of the most hundredths there will be (a sweep that stops early). */
    public void maxHint(long hundredths) {
        max = hundredths;
        if (bar != null) {
            bar.maxHint(hundredths);
        }
    }

    /**
     * Something finished at {@code hundredths} hundredths of a run done (a run, a resumed point,
     * the whole): the bar's message, or one line such as {@code kalloc 3/16 runs: bounce.none.t1 ok}.
     */
    public void finished(long hundredths, String what) {
        stepTo(hundredths);
        if (bar != null) {
            bar.setExtraMessage(what);
        } else if (mode == Mode.LINES) {
            err.println(task + " " + hundredths / 100 + "/" + max / 100 + " runs: " + what);
            err.flush();
        }
    }

    /** Ends the bar's line; nothing to end otherwise. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
