package dev.kalloc.stress.workload;

import dev.kalloc.bio.StandardGuarantee;
import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(c.guarantees()).containsExactly(StandardGuarantee.values());
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
        assertThat(c.guarantees()).containsExactly(StandardGuarantee.NONE, StandardGuarantee.RESERVATION);
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
                "slabinfo - version: 2.1");
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
}
