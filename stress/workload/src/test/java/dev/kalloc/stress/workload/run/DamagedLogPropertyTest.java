// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.stress.workload.cli.Cli;
import dev.kalloc.stress.workload.cli.Main;
import dev.kalloc.stress.workload.report.Report;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code kalloc report} and {@code kalloc check} on whatever a damaged or foreign
 * {@code kalloc.hlog} may hold: random bytes, and a real campaign's log (a tiny run made once for
 * the container) truncated, with bytes changed, lines deleted, doubled or cut in half.
 *
 * <p>What must hold for every input:
 * <ul>
 * <li>the exit status is 0, 1 or 3 (2 is for bad options, and the options here are good), and
 *     neither command prints a stack trace;
 * <li>a refused log (3) names the log, and leaves every file of the earlier, good report in the
 *     folder byte for byte as it was;
 * <li>a log that reads is rendered whole: the folder holds exactly the {@code .hgrm} files this
 *     log gives, every plot in it is on the new page, no staging folder is left, and a log that
 *     does not record a whole campaign is said to be INCOMPLETE, and one whose histograms lost
 *     operations a run counted says so for that run;
 * <li>1 only with its reason printed. A changed byte inside a number of a run line (say
 *     {@code mismatches=0} to {@code mismatches=8}) is a well-formed log that says something
 *     else: the format has no checksum, so {@code report} legitimately gives that log's verdict
 *     (1 when a guarantee failed in it, said in its outcome line), and {@code check}
 *     legitimately fails a log that reads but whose histograms no longer hold what its runs
 *     counted, or that is incomplete, naming each problem;
 * <li>{@code check} passes (0) only a complete log.
 * </ul>
 * Tries are bounded (each renders a report), so the whole test takes seconds, not minutes.
 */
class DamagedLogPropertyTest {
    /** A stack trace's frame line, or its cause line. */
    private static final Pattern STACK = Pattern.compile("(?m)^\\s+at [\\w$.<>/]+\\(|^Caused by: |Exception in thread");
    private static Path root;
    private static Path good;
    private static byte[] goodLog;

    @BeforeContainer
    static void aRealCampaign() throws IOException {
        root = Files.createTempDirectory("kalloc-damaged-log-");
        good = root.resolve("good");
        Cli run = Cli.run("run", "-o", good.toString(), "-s", "bounce", "-g", "mempool-modern,none", "-n", "2",
                "-d", "100ms", "-r", "300", "--warmup", "0s", "-m", "16");
        assertThat(run.status()).as(run.err()).isIn(0, Main.EXIT_FAILED);
        goodLog = Files.readAllBytes(good.resolve(Campaign.LOG));
        assertThat(Cli.run("check", good.toString()).status()).isZero();
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        delete(root);
    }

    /** One change to a log: what, where (a fraction of the log's bytes or lines) and a byte. */
    record Mutation(Kind kind, double at, int value) {
        enum Kind { TRUNCATE, FLIP_BYTE, DELETE_LINE, DUPLICATE_LINE, CUT_LINE, CUT_RUN_LINE, CUT_HISTOGRAM_LINE }

        byte[] apply(byte[] log) {
            if (kind == Kind.TRUNCATE) {
                return Arrays.copyOf(log, (int) (at * log.length));
            }
            if (kind == Kind.FLIP_BYTE) {
                byte[] b = log.clone();
                if (b.length > 0) {
                    b[Math.min(b.length - 1, (int) (at * b.length))] = (byte) value;
                }
                return b;
            }
            List<String> lines = new ArrayList<>(List.of(new String(log, StandardCharsets.ISO_8859_1).split("\n", -1)));
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                boolean fits = switch (kind) {
                    case CUT_RUN_LINE -> l.startsWith("#" + RunResult.MARK + "\t");
                    case CUT_HISTOGRAM_LINE -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("\"");
                    default -> true;
                };
                if (fits) {
                    candidates.add(i);
                }
            }
            if (candidates.isEmpty()) {
                return log;
            }
            int i = candidates.get(Math.min(candidates.size() - 1, (int) (at * candidates.size())));
            String line = lines.get(i);
            switch (kind) {
                case DELETE_LINE -> lines.remove(i);
                case DUPLICATE_LINE -> lines.add(i, line);
                default -> lines.set(i, line.substring(0, value * line.length() / 256));
            }
            return String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<Mutation> one = Combinators.combine(Arbitraries.of(Mutation.Kind.class),
                Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 255)).as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 40)
    void aMutatedRealLogIsRefusedOrRenderedWholeAndNeverDestroysTheGoodReport(
            @ForAll("mutations") List<Mutation> mutations) throws IOException {
        byte[] log = goodLog;
        for (Mutation m : mutations) {
            log = m.apply(log);
        }
        feed(log);
    }

    @Property(tries = 25)
    void randomBytesAreRefusedWithoutTouchingTheGoodReport(@ForAll @Size(max = 3000) byte[] bytes,
            @ForAll boolean afterARealHeader) throws IOException {
        byte[] log = bytes;
        if (afterARealHeader) {
            // The real log's first lines, then noise: the reader gets past the header.
            int header = new String(goodLog, StandardCharsets.ISO_8859_1).indexOf("\n#" + RunResult.MARK);
            log = Arrays.copyOf(goodLog, header + 1 + bytes.length);
            System.arraycopy(bytes, 0, log, header + 1, bytes.length);
        }
        feed(log);
    }

    /** Puts {@code log} in a copy of the good run's folder and runs report and check on it. */
    private static void feed(byte[] log) throws IOException {
        Path dir = Files.createTempDirectory(root, "try-");
        try {
            copy(good, dir);
            Files.write(dir.resolve(Campaign.LOG), log);
            Map<String, byte[]> before = files(dir);
            Cli report = Cli.run("report", dir.toString());
            assertNoStackTrace(report);
            assertThat(report.status()).as(report.err()).isIn(0, Main.EXIT_FAILED, Main.EXIT_IO);
            RunLog read = null;
            if (report.status() == Main.EXIT_IO) {
                assertThat(report.err()).contains(Campaign.LOG);
                assertUnchanged(before, files(dir));
            } else {
                read = RunLog.read(dir.resolve(Campaign.LOG));
                assertRenderedWhole(dir, read, report);
            }
            Map<String, byte[]> afterReport = files(dir);
            Statistics.label("report exit status").collect(report.status());
            Cli check = Cli.run("check", dir.toString());
            Statistics.label("check exit status").collect(check.status());
            assertNoStackTrace(check);
            assertThat(check.status()).as(check.out()).isIn(0, Main.EXIT_FAILED, Main.EXIT_IO);
            assertUnchanged(afterReport, files(dir));
            if (check.status() == Main.EXIT_IO) {
                assertThat(check.out()).contains("the interval log does not read back", Campaign.LOG);
                assertThat(read).as("check refused a log report rendered").isNull();
            } else if (check.status() == Main.EXIT_FAILED) {
                assertThat(check.out()).startsWith("check: ");
            } else {
                assertThat(read).isNotNull();
                assertThat(read.incompleteness()).isNull();
            }
        } finally {
            delete(dir);
        }
    }

    private static void assertRenderedWhole(Path dir, RunLog log, Cli report) throws IOException {
        String page = Files.readString(dir.resolve(Report.INDEX), StandardCharsets.UTF_8);
        List<String> hgrms = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                assertThat(name).doesNotStartWith(".kalloc-staging-");
                if (name.endsWith(".hgrm")) {
                    hgrms.add(name);
                }
                if (name.endsWith(".png")) {
                    assertThat(page).as("stale plot %s", name).contains(name);
                }
            }
        }
        assertThat(hgrms).containsExactlyInAnyOrderElementsOf(Report.hgrmFiles(log));
        if (log.incompleteness() != null) {
            assertThat(report.out()).contains("INCOMPLETE");
            assertThat(page).contains("INCOMPLETE");
        }
        for (String lost : log.countMismatches()) {
            // A histogram line gone (deleted, or a damaged copy): said, not silently skipped.
            assertThat(report.out()).contains("kalloc: WARNING: " + lost);
            assertThat(page).contains(Text.html(lost));
        }
        if (report.status() == Main.EXIT_FAILED) {
            assertThat(report.out()).containsPattern("[1-9]\\d* failing the command");
        }
    }

    private static void assertNoStackTrace(Cli c) {
        assertThat(STACK.matcher(c.out()).find()).as("a stack trace on stdout:%n%s", c.out()).isFalse();
        assertThat(STACK.matcher(c.err()).find()).as("a stack trace on stderr:%n%s", c.err()).isFalse();
    }

    private static void assertUnchanged(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
        before.forEach((name, bytes) -> assertThat(after.get(name)).as("%s changed", name).isEqualTo(bytes));
    }

    /** Every file under {@code dir} by relative path, with its bytes. */
    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> all = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                all.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return all;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
