// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kalloc.stress.workload.report.JmhResults.Score;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JmhResults} on real JMH output, and on every kind of broken file.
 *
 * <p>The fixtures under {@code src/test/resources/jmh/} are what JMH 1.37 wrote for two tiny runs
 * of the suite (100 ms iterations on a busy machine: the figures mean nothing, the structure is
 * the point), from {@code stress/jmh}:
 * <ul>
 *   <li>{@code results-t1.json}: {@code java -jar target/benchmarks.jar 'CallSiteBench|FastPathBench'
 *       -p subject=slabobj-64,mempool-64 -f 1 -wi 1 -w 100ms -i 3 -r 100ms -t 1 -prof gc -rf json}:
 *       three iterations, so every score has an error, and the gc metrics;</li>
 *   <li>{@code results-t2.json}: the same with {@code -i 1 -t 2} and no {@code -prof gc}: one
 *       iteration, so JMH wrote {@code "scoreError" : "NaN"}, and no gc metrics.</li>
 * </ul>
 * Broken files are made from the real first entry with one thing removed or changed.
 */
class JmhResultsTest {
    private static final String CALL_SITE = "CallSiteBench.allocFree";
    private static final String FAST_PATH = "FastPathBench.allocFree";

    @TempDir
    Path dir;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(JmhResultsTest.class.getResource("/jmh/" + name).toURI());
    }

    private static JmhResults t1() throws Exception {
        return JmhResults.read(fixture("results-t1.json"));
    }

    private static JmhResults t2() throws Exception {
        return JmhResults.read(fixture("results-t2.json"));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /** The real one-thread file with its first entry changed by {@code edit}. */
    private Path edited(String name, Consumer<JsonObject> edit) throws Exception {
        JsonArray all = JsonParser.parseString(Files.readString(fixture("results-t1.json"))).getAsJsonArray();
        edit.accept(all.get(0).getAsJsonObject());
        return write(name, all.toString());
    }

    private static JsonObject primary(JsonObject entry) {
        return entry.getAsJsonObject("primaryMetric");
    }

    private static JsonObject gc(JsonObject entry) {
        return entry.getAsJsonObject("secondaryMetrics").getAsJsonObject(JmhResults.GC_NORM);
    }

    // -----------------------------------------------------------------------------------------
    // Real files
    // -----------------------------------------------------------------------------------------

    @Test
    void readsEveryScoreOfARealRunInFileOrder() throws Exception {
        List<Score> scores = t1().scores();
        assertThat(scores).extracting(Score::simpleName).containsExactly(CALL_SITE, CALL_SITE, CALL_SITE, CALL_SITE,
                FAST_PATH, FAST_PATH);
        assertThat(scores).extracting(s -> s.params().values().iterator().next())
                .containsExactly("mono", "mega", "reservation", "direct", "slabobj-64", "mempool-64");
        for (Score s : scores) {
            assertThat(s.threads()).isEqualTo(1);
            assertThat(s.mode()).isEqualTo("avgt");
            assertThat(s.unit()).isEqualTo("ns/op");
            assertThat(s.score()).isPositive();
            assertThat(s.error()).as("three iterations give an interval").isPositive().isFinite();
            // -prof gc ran; the fast paths allocate nothing, JMH's own fraction of a byte rounds to 0.
            assertThat(s.gcAllocRateNormBytes()).isZero();
        }
    }

    @Test
    void aScoreCarriesExactlyWhatJmhWrote() throws Exception {
        Score mega = t1().find(CALL_SITE, 1, Map.of("mode", "mega")).orElseThrow();
        assertThat(mega.benchmark()).isEqualTo("dev.kalloc.stress.jmh.CallSiteBench.allocFree");
        assertThat(mega.params()).isEqualTo(Map.of("mode", "mega"));
        assertThat(mega.score()).isEqualTo(198.43107487347189);
        assertThat(mega.error()).isEqualTo(345.61695763215977);
        Score pool = t1().find(FAST_PATH, 1, Map.of("subject", "mempool-64")).orElseThrow();
        assertThat(pool.score()).isEqualTo(234.51429723628235);
        assertThat(pool.error()).isEqualTo(1853.9463149046717);
    }

    @Test
    void findMatchesNameThreadsAndEveryGivenParameter() throws Exception {
        JmhResults r = t1();
        assertThat(r.find(FAST_PATH, 1, Map.of("subject", "slabobj-64"))).map(Score::score)
                .contains(109.17105464435048);
        assertThat(r.find(CALL_SITE, 1, Map.of("mode", "direct"))).map(Score::score).contains(71.56998265105919);
        assertThat(r.find(CALL_SITE, 2, Map.of("mode", "direct"))).as("no two-thread scores in this file").isEmpty();
        assertThat(r.find(FAST_PATH, 1, Map.of("subject", "slab-64"))).as("subject not run").isEmpty();
        assertThat(r.find(FAST_PATH, 1, Map.of("subject", "mempool-64", "extra", "x"))).isEmpty();
        assertThat(r.find(CALL_SITE, 1, Map.of("subject", "mempool-64"))).as("parameter of the other class")
                .isEmpty();
        assertThat(r.find("PatternBench.fifoBurst", 1, Map.of())).isEmpty();
        assertThat(r.find("allocFree", 1, Map.of("mode", "mono"))).as("the simple name is class.method").isEmpty();
    }

    @Test
    void anAmbiguousQueryIsRefusedNotAnswered() throws Exception {
        assertThatThrownBy(() -> t1().find(CALL_SITE, 1, Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than one").hasMessageContaining("mode=mono")
                .hasMessageContaining("mode=mega");
    }

    @Test
    void simpleNameIsClassAndMethod() {
        Score s = new Score("dev.kalloc.stress.jmh.FastPathBench.allocFree", Map.of(), 1, "avgt", 1, 0, "ns/op", -1);
        assertThat(s.simpleName()).isEqualTo(FAST_PATH);
        assertThat(new Score("Bench.m", Map.of(), 1, "avgt", 1, 0, "ns/op", -1).simpleName()).isEqualTo("Bench.m");
        assertThat(new Score("m", Map.of(), 1, "avgt", 1, 0, "ns/op", -1).simpleName()).isEqualTo("m");
    }

    @Test
    void oneIterationGivesANaNErrorAndNoGcMeansMinusOne() throws Exception {
        List<Score> scores = t2().scores();
        assertThat(scores).hasSize(6);
        for (Score s : scores) {
            assertThat(s.threads()).isEqualTo(2);
            assertThat(s.score()).isPositive();
            assertThat(s.error()).as("JMH wrote \"NaN\"").isNaN();
            assertThat(s.gcAllocRateNormBytes()).as("no -prof gc").isEqualTo(-1);
        }
    }

    @Test
    void mergeJoinsTheThreadCountsOfOneRun() throws Exception {
        JmhResults both = JmhResults.merge(List.of(t1(), t2()));
        assertThat(both.scores()).hasSize(12);
        Score one = both.find(CALL_SITE, 1, Map.of("mode", "reservation")).orElseThrow();
        Score two = both.find(CALL_SITE, 2, Map.of("mode", "reservation")).orElseThrow();
        assertThat(one.score()).isEqualTo(161.3077799925831);
        assertThat(one.gcAllocRateNormBytes()).isZero();
        assertThat(two.score()).isEqualTo(67.38108980219107);
        assertThat(two.gcAllocRateNormBytes()).isEqualTo(-1);
        assertThat(both.scores().subList(0, 6)).isEqualTo(t1().scores());
        assertThat(JmhResults.merge(List.of()).scores()).isEmpty();
    }

    @Test
    void mergeRefusesTheSameScoreTwiceNamingBothFiles() throws Exception {
        Path copy = Files.copy(fixture("results-t1.json"), dir.resolve("copy.json"));
        assertThatThrownBy(() -> JmhResults.merge(List.of(t1(), JmhResults.read(copy))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("results-t1.json")
                .hasMessageContaining(copy.toString()).hasMessageContaining("CallSiteBench.allocFree avgt threads=1");
    }

    @Test
    void aFileHoldingOneScoreTwiceIsRefused() throws Exception {
        JsonArray all = JsonParser.parseString(Files.readString(fixture("results-t1.json"))).getAsJsonArray();
        all.add(all.get(0).deepCopy());
        Path f = write("twice.json", all.toString());
        assertThatThrownBy(() -> JmhResults.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("{mode=mono}");
    }

    @Test
    void anEmptyArrayIsARunWithNoScores() throws Exception {
        assertThat(JmhResults.read(write("none.json", "[ ]\n")).scores()).isEmpty();
    }

    // -----------------------------------------------------------------------------------------
    // Numbers as JMH writes them
    // -----------------------------------------------------------------------------------------

    @Test
    void nonFiniteNumbersInJmhsStringFormAreNumbers() throws Exception {
        Path f = edited("inf.json", e -> {
            primary(e).addProperty("score", "Infinity");
            primary(e).addProperty("scoreError", "-Infinity");
        });
        Score s = JmhResults.read(f).scores().get(0);
        assertThat(s.score()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(s.error()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void anAbsentOrNullErrorIsNaN() throws Exception {
        assertThat(JmhResults.read(edited("noerr.json", e -> primary(e).remove("scoreError"))).scores().get(0)
                .error()).isNaN();
        assertThat(JmhResults.read(edited("nullerr.json", e -> primary(e).add("scoreError",
                JsonNull.INSTANCE))).scores().get(0).error()).isNaN();
    }

    @Test
    void gcBytesAreRoundedAndTheOldKeyIsRead() throws Exception {
        assertThat(JmhResults.read(edited("gc.json", e -> gc(e).addProperty("score", 2.35))).scores().get(0)
                .gcAllocRateNormBytes()).isEqualTo(2);
        Path old = edited("old.json", e -> {
            JsonObject sec = e.getAsJsonObject("secondaryMetrics");
            JsonObject norm = gc(e);
            sec.remove(JmhResults.GC_NORM);
            norm.addProperty("score", 80.0);
            sec.add(JmhResults.OLD_GC_NORM, norm);
        });
        assertThat(JmhResults.read(old).scores().get(0).gcAllocRateNormBytes()).isEqualTo(80);
        assertThat(JmhResults.read(edited("nosec.json", e -> e.remove("secondaryMetrics"))).scores().get(0)
                .gcAllocRateNormBytes()).isEqualTo(-1);
    }

    @Test
    void aMissingParamsObjectMeansNoParameters() throws Exception {
        Score s = JmhResults.read(edited("noparams.json", e -> e.remove("params"))).scores().get(0);
        assertThat(s.params()).isEmpty();
    }

    // -----------------------------------------------------------------------------------------
    // Broken files: always IllegalArgumentException naming the file
    // -----------------------------------------------------------------------------------------

    private static void refused(Path f, String... fragments) {
        var thrown = assertThatThrownBy(() -> JmhResults.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f.toString());
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }

    @Test
    void emptyAndBlankFiles() throws Exception {
        refused(write("empty.json", ""), "empty");
        refused(write("blank.json", " \n\t\n"), "empty");
    }

    @Test
    void textThatIsNotJson() throws Exception {
        refused(write("words.json", "Benchmark  Mode  Cnt  Score  Error  Units\n"), "not JSON");
        refused(write("word.json", "hello"), "not JSON");
        refused(write("truncated.json", Files.readString(fixture("results-t1.json")).substring(0, 500)), "not JSON");
        refused(write("trailing.json", "[] []"), "not JSON");
        refused(write("comma.json", "[{},]"), "not JSON");
        refused(write("nan.json", "[NaN]"), "not JSON");
        Path binary = dir.resolve("binary.json");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0x5b, 0x5d});
        refused(binary, "not UTF-8");
    }

    @Test
    void jsonThatIsNotJmhsFormat() throws Exception {
        refused(write("object.json", "{\"benchmark\": \"x\"}"), "not an array");
        refused(write("string.json", "\"results\""), "not an array");
        refused(write("null.json", "null"), "not an array");
        refused(write("numbers.json", "[1, 2]"), "entry 0 is not an object");
        refused(write("arrays.json", "[[]]"), "entry 0 is not an object");
        refused(write("deep.json", "[".repeat(10_000) + "]".repeat(10_000)), "entry 0 is not an object");
        refused(write("others.json", "[{\"name\": \"a\", \"value\": 1}]"), "entry 0", "benchmark is missing");
        Path secondBad = write("second.json", "[" + firstEntry() + ", 7]");
        refused(secondBad, "entry 1 is not an object");
    }

    private static String firstEntry() throws Exception {
        return JsonParser.parseString(Files.readString(fixture("results-t1.json"))).getAsJsonArray().get(0).toString();
    }

    @Test
    void missingFields() throws Exception {
        for (String field : List.of("benchmark", "mode", "threads", "primaryMetric")) {
            refused(edited("no-" + field + ".json", e -> e.remove(field)), "entry 0", field + " is missing");
        }
        for (String field : List.of("score", "scoreUnit")) {
            refused(edited("no-" + field + ".json", e -> primary(e).remove(field)),
                    "entry 0 (dev.kalloc.stress.jmh.CallSiteBench.allocFree): primaryMetric", field + " is missing");
        }
        refused(edited("no-gc-score.json", e -> gc(e).remove("score")), "gc.alloc.rate.norm", "score is missing");
        refused(edited("null-primary.json", e -> e.add("primaryMetric", JsonNull.INSTANCE)),
                "primaryMetric is missing");
    }

    @Test
    void fieldsOfTheWrongType() throws Exception {
        refused(edited("bench-num.json", e -> e.addProperty("benchmark", 3)),
                "benchmark is the number 3, not a string");
        refused(edited("bench-empty.json", e -> e.addProperty("benchmark", "")), "benchmark is empty");
        refused(edited("threads-str.json", e -> e.addProperty("threads", "one")), "threads is the string \"one\"");
        refused(edited("threads-frac.json", e -> e.addProperty("threads", 1.5)), "threads is 1.5");
        refused(edited("threads-zero.json", e -> e.addProperty("threads", 0)), "threads is 0");
        refused(edited("threads-huge.json", e -> e.addProperty("threads", 1e12)), "not a positive whole number");
        refused(edited("params-arr.json", e -> e.add("params", new JsonArray())), "params is an array, not an object");
        refused(edited("param-num.json", e -> e.getAsJsonObject("params").addProperty("mode", 4)),
                "params: mode is the number 4, not a string");
        refused(edited("primary-str.json", e -> e.addProperty("primaryMetric", "fast")),
                "primaryMetric is the string \"fast\", not an object");
        refused(edited("score-str.json", e -> primary(e).addProperty("score", "fast")),
                "score is the string \"fast\", not a number");
        refused(edited("score-bool.json", e -> primary(e).addProperty("score", true)), "score is the boolean true");
        refused(edited("score-obj.json", e -> primary(e).add("score", new JsonObject())), "score is an object");
        refused(edited("error-arr.json", e -> primary(e).add("scoreError", new JsonArray())),
                "scoreError is an array, not a number");
        refused(edited("sec-arr.json", e -> e.add("secondaryMetrics", new JsonArray())),
                "secondaryMetrics is an array");
        refused(edited("gc-unit.json", e -> gc(e).addProperty("scoreUnit", "MB/sec")), "MB/sec, not B/op");
        refused(edited("gc-neg.json", e -> gc(e).addProperty("score", -3)), "-3.0 B/op");
        refused(edited("gc-nan.json", e -> gc(e).addProperty("score", "NaN")), "NaN B/op");
    }

    @Test
    void aMissingFileIsAnIoErrorNotAFormatError() {
        assertThatThrownBy(() -> JmhResults.read(dir.resolve("absent.json"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aLongValueIsShortenedInTheMessage() throws Exception {
        String longName = "x".repeat(200);
        Path f = edited("long.json", e -> e.addProperty("threads", longName));
        assertThatThrownBy(() -> JmhResults.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("...").satisfies(t -> assertThat(t.getMessage()).doesNotContain(longName));
    }
}
