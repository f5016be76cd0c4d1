// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.report.ComparisonTest;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kalloc check DIR --against OTHER} through the command line: two runs that agree pass,
 * two that reach opposite significant verdicts fail naming them, and an OTHER without a log is a
 * plain message, never a stack trace.
 *
 * <p>The logs are synthetic ({@link SyntheticLog}): six trials of mempool-modern and of none in
 * writeback, every operation of a trial at one latency, so a cell entirely below the other is a
 * finding on p50 and on p99 (U = 0, p = 0.0051 for the lone pair; see {@link ComparisonTest}).
 */
class CheckAgainstTest {
    private static final String S = "writeback";

    @TempDir
    Path tmp;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome check(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "check";
        System.arraycopy(args, 0, all, 1, args.length);
        int status = cl.execute(all);
        return new Outcome(status, out.toString(), err.toString());
    }

    /** A folder with a synthetic log of mempool-modern at {@code mm} ms and none at {@code none} ms, and its report. */
    private Path run(String name, double[] mm, double[] none) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        RunLog log = new SyntheticLog().latencies(S, "mempool-modern", mm).latencies(S, "none", none).write(d);
        new Report(log, d).render();
        return d;
    }

    private static final double[] LOW = {1, 2, 3, 4, 5, 6};
    private static final double[] HIGH = {7, 8, 9, 10, 11, 12};
    private static final double[] LOW2 = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
    private static final double[] HIGH2 = {7.5, 8.5, 9.5, 10.5, 11.5, 12.5};

    /** The command's own message on stdout; picocli would print an escaped exception's stack trace on stderr. */
    private static void assertNoStackTrace(Outcome o) {
        assertThat(o.err).isEmpty();
        assertThat(o.out).doesNotContain("\tat ");
    }

    @Test
    void twoRunsThatAgreePass() throws Exception {
        Path a = run("a", LOW, HIGH);
        Path b = run("b", LOW2, HIGH2);
        Outcome o = check(a.toString(), "--against", b.toString());
        assertThat(o.status).as(o.out + o.err).isZero();
        // mempool-modern below none on p50 and on p99, in both.
        assertThat(o.out).contains("check: 2 significant verdicts here, none contradicted by " + b);
        assertThat(o.err).isEmpty();
    }

    @Test
    void twoRunsThatDisagreeFailNamingTheContradiction() throws Exception {
        Path a = run("a", LOW, HIGH);
        Path b = run("b", HIGH, LOW);
        Outcome o = check(a.toString(), "--against", b.toString());
        assertThat(o.status).isEqualTo(Main.EXIT_FAILED);
        assertThat(o.out).contains(
                "check: contradictory verdicts: writeback p50: mempool-modern below none (p = 0.0051) but writeback p50:"
                        + " none below mempool-modern (p = 0.0051)",
                "check: contradictory verdicts: writeback p99: mempool-modern below none (p = 0.0051) but writeback p99:"
                        + " none below mempool-modern (p = 0.0051)");
        assertThat(o.out).doesNotContain("none contradicted");
        assertNoStackTrace(o);
    }

    @Test
    void aRunWithoutSignificantVerdictsContradictsNothing() throws Exception {
        // Overlapping cells (p = 0.69): nothing significant, so nothing to contradict.
        Path a = run("a", LOW, HIGH);
        Path b = run("b", LOW, LOW2);
        Outcome o = check(a.toString(), "--against", b.toString());
        assertThat(o.status).as(o.out).isZero();
        assertThat(o.out).contains("2 significant verdicts here, none contradicted by " + b);
        Outcome back = check(b.toString(), "--against", a.toString());
        assertThat(back.status).as(back.out).isZero();
        assertThat(back.out).contains("0 significant verdicts here, none contradicted by " + a);
    }

    @Test
    void anOtherFolderWithoutALogIsAPlainMessage() throws Exception {
        Path a = run("a", LOW, HIGH);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Outcome o = check(a.toString(), "--against", empty.toString());
        assertThat(o.status).isEqualTo(Main.EXIT_IO);
        assertThat(o.out).contains("check: the interval log of --against " + empty + " does not read back: no interval"
                + " log at " + empty.resolve(Campaign.LOG));
        assertNoStackTrace(o);

        Path missing = tmp.resolve("no-such-folder");
        Outcome m = check(a.toString(), "--against", missing.toString());
        assertThat(m.status).isEqualTo(Main.EXIT_IO);
        assertThat(m.out).contains("check: the interval log of --against " + missing + " does not read back");
        assertNoStackTrace(m);
    }

    @Test
    void anOtherFolderWithAnUnreadableLogIsAPlainMessage() throws Exception {
        Path a = run("a", LOW, HIGH);
        Path junk = Files.createDirectories(tmp.resolve("junk"));
        Files.writeString(junk.resolve(Campaign.LOG), "not an interval log\n1.0,2.0,3.0,@@@@\n", StandardCharsets.UTF_8);
        Outcome o = check(a.toString(), "--against", junk.toString());
        assertThat(o.status).isEqualTo(Main.EXIT_IO);
        assertThat(o.out).contains("check: the interval log of --against " + junk + " does not read back");
        assertNoStackTrace(o);
    }

    /**
     * A copy of {@code from} whose log ends halfway through its last interval histogram, as when
     * a run is killed while it writes one: the earlier trials' result lines are all there.
     */
    private Path truncated(Path from, String name) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        String log = Files.readString(from.resolve(Campaign.LOG), StandardCharsets.UTF_8);
        int last = log.lastIndexOf("\nTag=");
        int end = log.indexOf('\n', last + 1);
        Files.writeString(d.resolve(Campaign.LOG), log.substring(0, (last + end) / 2), StandardCharsets.UTF_8);
        for (String f : new String[] {Report.INDEX, Report.SUMMARY}) {
            Files.copy(from.resolve(f), d.resolve(f));
        }
        return d;
    }

    @Test
    void aLogCutOffInsideAHistogramIsAPlainMessage() throws Exception {
        Path a = run("a", LOW, HIGH);
        Path cut = truncated(a, "cut");
        assertThat(Files.readString(cut.resolve(Campaign.LOG))).contains("#kalloc-run");

        Outcome against = check(a.toString(), "--against", cut.toString());
        assertThat(against.status).isEqualTo(Main.EXIT_IO);
        assertThat(against.out).as("stderr: %s", against.err).contains("check: the interval log of --against " + cut + " does not read back: ");
        assertNoStackTrace(against);

        Outcome self = check(cut.toString());
        assertThat(self.status).isEqualTo(Main.EXIT_IO);
        assertThat(self.out).contains("check: the interval log does not read back: ");
        assertNoStackTrace(self);
    }
}
