// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kalloc check} prints how to read the interval log with HdrHistogram's own
 * HistogramLogProcessor (list the tags, then read one: without {@code -tag} the processor throws on
 * a log whose every histogram is tagged), with the log's real path; and the commands it prints
 * work, run as printed by a shell.
 */
class LogProcessorCommandsTest {
    @TempDir
    Path tmp;

    /** Runs {@code line} with sh, its {@code java} the one running this test; returns its stdout. */
    private static String sh(String line) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder("sh", "-c", line.replaceFirst("^java ", CheckCommand.shellWord(java) + " "))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void checkPrintsProcessorCommandsThatWorkOnTheRealLog() throws Exception {
        Path dir = tmp.resolve("a run");
        Cli run = Cli.run("run", "-o", dir.toString(), "-s", "bounce", "-g", "mempool-modern", "-n", "1", "-d", "100ms",
                "-r", "500", "--warmup", "0s", "--quiet");
        assertThat(run.status()).as(run.err()).isZero();
        Cli check = Cli.run("check", dir.toString());
        assertThat(check.status()).as(check.out()).isZero();
        List<String> commands = check.out().lines().filter(l -> l.startsWith("check:   java -cp "))
                .map(l -> l.substring("check:   ".length())).toList();
        assertThat(commands).hasSize(2);
        String log = CheckCommand.shellWord(dir.resolve("kalloc.hlog").toAbsolutePath().toString());
        assertThat(commands.get(0)).endsWith("org.HdrHistogram.HistogramLogProcessor -i " + log + " -listtags");
        assertThat(commands.get(1)).endsWith(" -i " + log + " -tag bounce/mempool-modern/t1/write");
        assertThat(check.out()).contains("without -tag it fails");
        assertThat(sh(commands.get(0))).contains("bounce/mempool-modern/t1/write", "bounce/mempool-modern/t1/read");
        assertThat(sh(commands.get(1))).contains("Value     Percentile TotalCount");
    }

    @Test
    void wordsAreQuotedForTheShellOnlyWhenTheyNeedIt() {
        assertThat(CheckCommand.shellWord("/tmp/x/kalloc.hlog")).isEqualTo("/tmp/x/kalloc.hlog");
        assertThat(CheckCommand.shellWord("/tmp/a run/kalloc.hlog")).isEqualTo("'/tmp/a run/kalloc.hlog'");
        assertThat(CheckCommand.shellWord("it's")).isEqualTo("'it'\\''s'");
    }
}
