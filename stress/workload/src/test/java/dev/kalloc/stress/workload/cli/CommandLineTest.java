// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.report.Report;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.SyntheticLog;
import dev.kalloc.stress.workload.run.Text;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option parsing and validation of the kalloc command: every bad value is named. */
class CommandLineTest {
    @TempDir
    Path tmp;

    private static Cli run(String... args) {
        return Cli.run(args);
    }

    private static void assertUsageError(String expected, String... args) {
        Cli o = run(args);
        assertThat(o.status()).as("exit status of %s", String.join(" ", args)).isEqualTo(2);
        assertThat(o.err()).contains(expected);
    }

    @Test
    void badRunOptionsAreUsageErrorsNamingTheOption() {
        String out = tmp.toString();
        assertUsageError("--guarantees: 'none' is named twice", "run", "-o", out, "-g", "none,mempool-modern,none");
        assertUsageError("--scenarios: 'Bounce' is named twice", "run", "-o", out, "-s", "bounce,Bounce");
        assertUsageError("--free 100.0: must be in [0, 100) percent", "run", "-o", out, "--free", "100");
        assertUsageError("--rate 0.0", "run", "-o", out, "--rate", "0");
        assertUsageError("--memory 8 MiB", "run", "-o", out, "--memory", "8");
        assertUsageError("--cpus 0", "run", "-o", out, "--cpus", "0");
        assertUsageError("--disk-error-rate 1.5", "run", "-o", out, "--disk-error-rate", "1.5");
        assertUsageError("--page-fail-percent 101", "run", "-o", out, "--page-fail-percent", "101");
        assertUsageError("--workers 0", "run", "-o", out, "--workers", "0");
        assertUsageError("--watchdog 10ms", "run", "-o", out, "--watchdog", "10ms");
        assertUsageError("--oom 'maybe'", "run", "-o", out, "--oom", "maybe");
        assertUsageError("unknown scenario 'swap'", "run", "-o", out, "--scenarios", "swap");
        assertUsageError("unknown guarantee 'magic'", "run", "-o", out, "--guarantees", "none,magic");
        assertUsageError("is not a duration", "run", "-o", out, "--duration", "5");
        assertUsageError("--duration 0s", "run", "-o", out, "--duration", "0s");
        assertUsageError("Unknown option", "run", "--frobnicate");
    }

    @Test
    void defaultsAreAValidCampaignOfEveryScenarioOnEveryGuarantee() {
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).registerConverter(Duration.class, new DurationConverter()).parseArgs();
        RunConfig c = cmd.config();
        assertThat(c.scenarios()).containsExactlyElementsOf(Scenarios.all().stream().map(Scenario::name).toList());
        assertThat(c.guarantees()).containsExactly(GuaranteeKind.values());
        assertThat(c.out().toString()).startsWith("results");
        assertThat(c.machine().memory()).isEqualTo(32L << 20);
        assertThat(c.trials()).isEqualTo(6);
        assertThat(c.duration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.rate()).isEqualTo(2000);
    }

    @Test
    void listsAreSplitOnCommasAndNamesAreCaseInsensitive() {
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).registerConverter(Duration.class, new DurationConverter())
                .parseArgs("-g", "NONE,reservation", "-s", "writeback", "-d", "300ms", "--rate", "250", "-o", "x");
        RunConfig c = cmd.config();
        assertThat(c.guarantees()).containsExactly(GuaranteeKind.NONE, GuaranteeKind.RESERVATION);
        assertThat(c.scenarios()).containsExactly("writeback");
        assertThat(c.duration()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.rate()).isEqualTo(250);
    }

    @Test
    void durationsNeedAUnit() {
        assertThat(DurationConverter.parse("2.5s")).isEqualTo(Duration.ofMillis(2500));
        assertThat(DurationConverter.parse("100us")).isEqualTo(Duration.ofNanos(100_000));
        assertThat(DurationConverter.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(DurationConverter.parse(" 7 ms ")).isEqualTo(Duration.ofMillis(7));
    }

    @Test
    void numbersArePlainDecimalsAsTyped() {
        String out = tmp.toString();
        for (String bad : new String[] {"0x1p3", "NaN", "Infinity", "1e1", "5d", "-1", ".5", "5."}) {
            assertUsageError("--free", "run", "-o", out, "--free", bad);
            assertThat(run("run", "-o", out, "--free", bad).err()).contains("'" + bad + "' is not a plain decimal number");
        }
        assertUsageError("'0x10' is not a plain decimal number", "run", "-o", out, "--rate", "0x10");
        assertUsageError("'0x1p1' is not a plain decimal number", "sweep", "-o", out, "--free-steps", "1,0x1p1");
        assertUsageError("'NaN' is not a plain decimal number", "sweep", "-o", out, "--load-free", "NaN");
        assertUsageError("'1e5' is not a plain decimal number", "sweep", "-o", out, "--rate-max", "1e5");
        assertThat(new DecimalConverter().convert("0.5")).isEqualTo(0.5);
        assertThat(new DecimalConverter().convert("2000")).isEqualTo(2000.0);
    }

    @Test
    void durationsFinerThanANanosecondAreRefusedAndOthersReportedExactly() {
        String out = tmp.toString();
        assertUsageError("'0.1ns' is not a whole number of nanoseconds", "run", "-o", out, "-d", "0.1ns");
        assertUsageError("'1.5ns' is not a whole number of nanoseconds", "run", "-o", out, "--watchdog", "1.5ns");
        assertUsageError("'0.0000000001s' is not a whole number of nanoseconds", "run", "-o", out, "-d",
                "0.0000000001s");
        assertThat(DurationConverter.parse("1.5us")).isEqualTo(Duration.ofNanos(1500));
        assertThat(DurationConverter.parse("1.000000001s")).isEqualTo(Duration.ofNanos(1_000_000_001));
        assertThat(Text.duration(DurationConverter.parse("1.000000001s"))).isEqualTo("1.000000001s");
        assertThat(Text.duration(DurationConverter.parse("1500ns"))).isEqualTo("1500ns");
        assertThat(Text.duration(Duration.ofNanos(2_500_000_500L))).isEqualTo("2.5000005s");
    }

    @Test
    void checkRefusesASummaryThatIsGarbageOrAnotherRunsAndReportMendsIt() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        java.nio.file.Files.createDirectories(a);
        java.nio.file.Files.createDirectories(b);
        new Report(new SyntheticLog().latencies("writeback", "mempool-2.5.1", 1, 2).write(a), a).render();
        new Report(new SyntheticLog().latencies("writeback", "mempool-2.5.1", 1, 2, 3).write(b), b).render();
        assertThat(run("check", a.toString()).status()).isZero();
        Path summary = a.resolve(Report.SUMMARY);
        for (String[] garbage : new String[][] {{"{\"settings\": ", "not JSON"}, {"[1, 2]", "not one JSON object"},
            {"{} {}", "not JSON (malformed JSON at line 1 column 5"}, {"{\"settings\": \"synthetic trials=2\"}", "it has no runs array"}}) {
            java.nio.file.Files.writeString(summary, garbage[0]);
            Cli c = run("check", a.toString());
            assertThat(c.status()).as(garbage[0]).isEqualTo(Main.EXIT_FAILED);
            assertThat(c.out()).contains(summary + " does not describe this log: " + garbage[1]).doesNotContain("\tat ");
        }
        java.nio.file.Files.write(summary, new byte[] {(byte) 0xff, (byte) 0xfe, '{'});
        assertThat(run("check", a.toString()).out()).contains("does not describe this log: not JSON");
        java.nio.file.Files.copy(b.resolve(Report.SUMMARY), summary, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(run("check", a.toString()).out()).contains("does not describe this log: its settings are not the log's");
        assertThat(run("report", a.toString()).status()).isZero();
        assertThat(run("check", a.toString()).status()).isZero();
    }

    @Test
    void helpNamesTheSubcommands() {
        Cli o = run("--help");
        assertThat(o.status()).isZero();
        assertThat(o.out()).contains("run", "report", "proc", "check");
    }

    @Test
    void procPrintsTheKernelViews() {
        Cli o = run("proc", "-m", "16", "--pressure");
        assertThat(o.status()).isZero();
        assertThat(o.out()).contains("# /proc/buddyinfo", "Node 0, zone   Normal", "MemTotal:", "Cached:",
                "slabinfo - version: 1.1 (SMP)");
        assertUsageError("unknown view 'vmstat'", "proc", "--views", "vmstat");
    }

    @Test
    void reportOfAFolderWithoutALogIsAUsageError() {
        // A folder without a log is an input that cannot be read: exit 3, one line, for every reader.
        for (String[] args : new String[][] {{"report", tmp.toString()}, {"check", tmp.toString()},
            {"compare", tmp.toString(), tmp.toString()}, {"compare", tmp.resolve("missing").toString(), tmp.toString()}}) {
            Cli o = run(args);
            assertThat(o.status()).as(String.join(" ", args)).isEqualTo(Main.EXIT_IO);
            assertThat(o.err() + o.out()).as(String.join(" ", args)).containsAnyOf("no interval log", "no such folder",
                    "does not read back").doesNotContain("Usage:", "\tat ");
        }
    }

    @Test
    void anEmptyOutIsAUsageErrorNotTheCurrentFolder() {
        // Small, in case it regresses: it would write a campaign into the current folder.
        assertUsageError("--out '': an empty path", "run", "-o", "", "-s", "bounce", "-g", "none", "-d", "100ms", "-n", "1",
                "--warmup", "0s");
    }

    @Test
    void runRefusesAFolderThatAlreadyHoldsACampaignAndLeavesItAsItWas() throws Exception {
        java.nio.file.Path log = tmp.resolve(Campaign.LOG);
        java.nio.file.Files.writeString(log, "an earlier campaign");
        assertUsageError("--out " + tmp + ": already holds a campaign (kalloc.hlog)", "run", "-o", tmp.toString(), "-s",
                "bounce", "-g", "none", "-n", "1", "-d", "100ms", "--warmup", "0s");
        assertThat(log).content().isEqualTo("an earlier campaign");
        assertThat(tmp.resolve(Campaign.PROC)).doesNotExist();
    }

    @Test
    void theTrialsHelpRendersWithoutAPicocliFormatWarning() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        Cli o;
        try {
            o = run("run", "--help");
        } finally {
            System.setErr(stderr);
        }
        assertThat(o.status()).isZero();
        assertThat(captured.toString()).doesNotContain("picocli WARN");
        assertThat(o.out().replaceAll("\\s+", " ")).contains("with 95% intervals").doesNotContain("95%%");
    }

    @Test
    void topHelpListsExitStatusesAndExamples() {
        Cli c = Cli.run("--help");
        assertThat(c.status()).isZero();
        assertThat(c.out()).contains("Exit status:", "Examples:", "./kalloc sweep --quick", "./kalloc help run");
        for (int status : new int[] {0, Main.EXIT_FAILED, 2, Main.EXIT_IO}) {
            assertThat(c.out()).containsPattern("(?m)^  " + status + "   \\S");
        }
        assertThat(c.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
    }

    @Test
    void everyOptionValueIsNamedInTheSameStyle() {
        // Capitals, as --seed=SEED and --out=DIR: picocli's default would be <seed>.
        for (String cmd : new String[] {"run", "sweep", "report", "compare", "proc", "check"}) {
            assertThat(Cli.run(cmd, "--help").out()).as(cmd).doesNotContainPattern("=<|\\[<");
        }
    }

    @Test
    void quietTakesNoValueAndABadOneIsAUsageErrorWithoutAStackTrace() {
        Cli c = Cli.run("run", "--quiet=loud");
        assertThat(c.status()).isEqualTo(2);
        assertThat(c.err()).contains("--quiet").doesNotContain("Exception").doesNotContain("\tat ");
        Cli r = Cli.run("sweep", "--resume", "/nonexistent-kalloc-sweep", "--quiet");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("no sweep there").doesNotContain("Exception");
    }
}
