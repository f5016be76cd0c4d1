// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kalloc.stress.workload.run.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code kalloc run} writes on stderr when stderr is not a terminal (a CI log, {@code 2> file}):
 * one plain line per finished run and never a carriage return, which a progress bar's redraws
 * would pile up as one line of frames; and with {@code --quiet}, no progress at all. The
 * campaign writes to {@code System.err}, so the test captures that.
 */
class ProgressOutputTest {
    @TempDir
    Path tmp;

    /** Runs {@code kalloc args} with {@code System.err} captured; returns the exit status and all of stderr. */
    private static Cli runCapturingStderr(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli c;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            c = Cli.run(args);
        } finally {
            System.setErr(saved);
        }
        return new Cli(c.status(), c.out(), err.toString(StandardCharsets.UTF_8) + c.err());
    }

    private String[] smallRun(String out, String... more) {
        String[] base = {"run", "-o", tmp.resolve(out).toString(), "-s", "bounce", "-g", "none,mempool-modern",
            "-n", "1", "-d", "100ms", "-r", "500", "--warmup", "0s"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void stderrThatIsNoTerminalGetsOnePlainLinePerRunAndNoCarriageReturn() {
        // The forked test JVM's stderr is a pipe; on a terminal (a run from a console) the bar is right.
        assumeFalse(Progress.stderrIsTerminal(), "stderr is a terminal here");
        Cli c = runCapturingStderr(smallRun("lines"));
        assertThat(c.status()).as(c.err()).isEqualTo(0);
        assertThat(c.err()).doesNotContain("\r");
        assertThat(c.err().lines().filter(l -> l.startsWith("kalloc ") && l.contains(" runs: bounce."))).hasSize(2);
        assertThat(c.err()).contains("kalloc 1/2 runs: bounce.").contains("kalloc 2/2 runs: bounce.");
    }

    @Test
    void quietShowsNoProgress() {
        Cli c = runCapturingStderr(smallRun("quiet", "--quiet"));
        assertThat(c.status()).as(c.err()).isEqualTo(0);
        assertThat(c.err()).doesNotContain("\r").doesNotContain(" runs: ").doesNotContain("runs (");
        assertThat(c.out()).contains("bounce");
    }
}
