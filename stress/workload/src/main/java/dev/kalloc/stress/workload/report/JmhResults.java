// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The scores of a JMH run as JMH itself wrote them ({@code -rf json}): what the report reads to
 * answer the debate's measured claims (M4, L2, L3) from the {@code stress/jmh} suite, so that
 * figures are never copied by hand. {@code run.sh} writes one file per thread count; read each
 * and {@link #merge} them.
 *
 * <p>The format: a JSON array with one object per benchmark, mode, thread count and parameter
 * set, holding {@code benchmark} (the method's full name), {@code mode}, {@code threads},
 * {@code params} (absent without {@code @Param}s), {@code primaryMetric} ({@code score},
 * {@code scoreError}, {@code scoreUnit}, ...) and {@code secondaryMetrics}, where {@code -prof gc}
 * puts {@code gc.alloc.rate.norm} in B/op. Fields this class does not use (the JVM, the iteration
 * settings, the raw data) are not checked.
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li>Malformed input is an {@link IllegalArgumentException} naming the file, the entry and
 *       what is wrong, never a Gson exception or an NPE: the text must be UTF-8 and strict JSON
 *       (Gson's lenient mode would take a bare word for a string), and every field used is
 *       checked for presence and type before it is read. An I/O failure (no such file) stays an
 *       {@link IOException}.</li>
 *   <li>JMH writes non-finite doubles as the strings {@code "NaN"}, {@code "Infinity"} and
 *       {@code "-Infinity"} (JSON has no literal for them); these are read as numbers wherever a
 *       number is expected. {@code scoreError} is {@code "NaN"} when JMH had too few iterations
 *       for an interval (fewer than three), and NaN here when absent.</li>
 *   <li>{@code gc.alloc.rate.norm} is rounded to whole bytes: the fast paths allocate nothing, and
 *       JMH's own bookkeeping shows as a fraction of a byte per operation that rounds to 0. Older
 *       JMH versions spelt the key {@code ·gc.alloc.rate.norm}; both are read.</li>
 *   <li>A file holding an empty array is valid and has no scores. Two scores with the same
 *       benchmark, mode, thread count and parameters (in one file, or across merged files) are
 *       refused: a lookup could not tell which was meant.</li>
 *   <li>{@link #find} refuses a query that matches more than one score rather than picking one:
 *       a report that asked for {@code CallSiteBench.allocFree} without its {@code mode} has a
 *       bug.</li>
 * </ul>
 */
public final class JmhResults {

    /** The secondary metric of {@code -prof gc}: bytes allocated per operation. */
    static final String GC_NORM = "gc.alloc.rate.norm";

    /** The same metric as older JMH versions named it, with a leading middle dot (U+00B7). */
    static final String OLD_GC_NORM = "\u00b7" + GC_NORM;

    /**
     * One JMH score.
     *
     * @param benchmark the benchmark method's full name, e.g.
     *        {@code dev.kalloc.stress.jmh.FastPathBench.allocFree}
     * @param params the {@code @Param} values, by name (empty without any)
     * @param threads benchmark threads ({@code -t})
     * @param mode JMH's mode: {@code avgt}, {@code thrpt}, {@code sample}, {@code ss}
     * @param score the primary score
     * @param error half the 99.9% confidence interval, as JMH prints it after {@code ±}; NaN if
     *        JMH could not compute one or the file has none
     * @param unit the score's unit, e.g. {@code ns/op}
     * @param gcAllocRateNormBytes bytes allocated per operation, rounded; -1 without {@code -prof gc}
     */
    record Score(String benchmark, Map<String, String> params, int threads, String mode, double score, double error,
            String unit, long gcAllocRateNormBytes) {

        Score {
            Objects.requireNonNull(benchmark, "benchmark");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(unit, "unit");
            // Sorted, so that printing a score lists its parameters in a stable order.
            params = Collections.unmodifiableMap(new TreeMap<>(params));
        }

        /** The class's simple name and the method: {@code FastPathBench.allocFree}. */
        String simpleName() {
            int method = benchmark.lastIndexOf('.');
            int clazz = method <= 0 ? -1 : benchmark.lastIndexOf('.', method - 1);
            return benchmark.substring(clazz + 1);
        }

        /** True if this score is of the same benchmark, mode, thread count and parameters. */
        private boolean sameKey(Score o) {
            return benchmark.equals(o.benchmark) && mode.equals(o.mode) && threads == o.threads
                    && params.equals(o.params);
        }

        private String describe() {
            return simpleName() + " " + mode + " threads=" + threads + " " + params;
        }
    }

    private final List<Score> scores;
    /** The file each score came from, index for index. */
    private final List<Path> origins;

    private JmhResults(List<Score> scores, List<Path> origins) {
        this.scores = Collections.unmodifiableList(scores);
        this.origins = Collections.unmodifiableList(origins);
    }

    /**
     * Reads one JMH JSON result file.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file and the fault, if it is not a JMH JSON
     *         result file
     */
    public static JmhResults read(Path file) throws IOException {
        String text = decodeUtf8(file, Files.readAllBytes(file));
        if (text.isBlank()) {
            throw bad(file, "empty file");
        }
        JsonElement root = parse(file, text);
        if (!root.isJsonArray()) {
            throw bad(file, "not JMH's JSON format: the top level is not an array of results");
        }
        JsonArray entries = root.getAsJsonArray();
        List<Score> scores = new ArrayList<>(entries.size());
        List<Path> origins = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            add(scores, origins, entry(file, i, entries.get(i)), file);
        }
        return new JmhResults(scores, origins);
    }

    /**
     * All scores of {@code parts}, in order: the files of one run, e.g. {@code -t 1} and
     * {@code -t 2}.
     *
     * @throws IllegalArgumentException if two parts hold a score with the same key, naming both
     *         files
     */
    public static JmhResults merge(List<JmhResults> parts) {
        List<Score> scores = new ArrayList<>();
        List<Path> origins = new ArrayList<>();
        for (JmhResults part : parts) {
            for (int i = 0; i < part.scores.size(); i++) {
                add(scores, origins, part.scores.get(i), part.origins.get(i));
            }
        }
        return new JmhResults(scores, origins);
    }

    /** Every score, in file order. */
    List<Score> scores() {
        return scores;
    }

    /**
     * The score of {@code simpleName} (e.g. {@code FastPathBench.allocFree}) with {@code threads}
     * threads whose parameters include every entry of {@code params}.
     *
     * @return the one score that matches, or empty if none does
     * @throws IllegalArgumentException if several match (name more parameters)
     */
    Optional<Score> find(String simpleName, int threads, Map<String, String> params) {
        Score found = null;
        for (Score s : scores) {
            if (s.threads() == threads && s.simpleName().equals(simpleName)
                    && s.params().entrySet().containsAll(params.entrySet())) {
                if (found != null) {
                    throw new IllegalArgumentException("more than one JMH score matches " + simpleName + " threads="
                            + threads + " " + params + ": " + found.describe() + " and " + s.describe()
                            + "; name more parameters");
                }
                found = s;
            }
        }
        return Optional.ofNullable(found);
    }

    // -----------------------------------------------------------------------------------------
    // Reading
    // -----------------------------------------------------------------------------------------

    private static void add(List<Score> scores, List<Path> origins, Score s, Path origin) {
        for (int i = 0; i < scores.size(); i++) {
            if (scores.get(i).sameKey(s)) {
                Path other = origins.get(i);
                throw new IllegalArgumentException(other.equals(origin)
                        ? "JMH results file " + origin + ": two scores of " + s.describe()
                        : "JMH results files " + other + " and " + origin + " both hold a score of " + s.describe());
            }
        }
        scores.add(s);
        origins.add(origin);
    }

    private static String decodeUtf8(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw bad(file, "not JSON: not UTF-8 text");
        }
    }

    private static JsonElement parse(Path file, String text) {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw bad(file, "not JSON: text follows the first value");
            }
            return root;
        } catch (JsonParseException | IOException e) {
            // IOException: a StringReader does not fail, so this is the reader's syntax error.
            throw bad(file, "not JSON: " + firstLine(e.getMessage()), e);
        }
    }

    private static Score entry(Path file, int index, JsonElement e) {
        String where = "entry " + index;
        if (!e.isJsonObject()) {
            throw bad(file, where + " is not an object (not JMH's JSON format)");
        }
        JsonObject o = e.getAsJsonObject();
        String benchmark = string(file, where, o, "benchmark");
        if (benchmark.isEmpty()) {
            throw bad(file, where + ": benchmark is empty");
        }
        where = where + " (" + benchmark + ")";
        String mode = string(file, where, o, "mode");
        int threads = threads(file, where, o);
        Map<String, String> params = params(file, where, o);
        JsonObject primary = object(file, where, o, "primaryMetric");
        if (primary == null) {
            throw bad(file, where + ": primaryMetric is missing");
        }
        double score = number(file, where + ": primaryMetric", primary, "score", false);
        double error = number(file, where + ": primaryMetric", primary, "scoreError", true);
        String unit = string(file, where + ": primaryMetric", primary, "scoreUnit");
        return new Score(benchmark, params, threads, mode, score, error, unit, gcNorm(file, where, o));
    }

    private static int threads(Path file, String where, JsonObject o) {
        double t = number(file, where, o, "threads", false);
        if (t != Math.rint(t) || t < 1 || t > Integer.MAX_VALUE) {
            throw bad(file, where + ": threads is " + o.get("threads") + ", not a positive whole number");
        }
        return (int) t;
    }

    private static Map<String, String> params(Path file, String where, JsonObject o) {
        JsonObject p = object(file, where, o, "params");
        Map<String, String> params = new TreeMap<>();
        if (p != null) {
            for (String name : p.keySet()) {
                params.put(name, string(file, where + ": params", p, name));
            }
        }
        return params;
    }

    private static long gcNorm(Path file, String where, JsonObject o) {
        JsonObject secondary = object(file, where, o, "secondaryMetrics");
        if (secondary == null) {
            return -1;
        }
        String key = secondary.has(GC_NORM) ? GC_NORM : secondary.has(OLD_GC_NORM) ? OLD_GC_NORM : null;
        if (key == null) {
            return -1;
        }
        String metric = where + ": secondaryMetrics." + key;
        JsonObject gc = object(file, where + ": secondaryMetrics", secondary, key);
        double bytes = number(file, metric, gc, "score", false);
        String unit = string(file, metric, gc, "scoreUnit");
        if (!unit.equals("B/op")) {
            throw bad(file, metric + " is in " + unit + ", not B/op");
        }
        if (!Double.isFinite(bytes) || bytes < 0) {
            throw bad(file, metric + " is " + bytes + " B/op");
        }
        return Math.round(bytes);
    }

    /** The object member {@code name} of {@code o}; null if absent or JSON null. */
    private static JsonObject object(Path file, String where, JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw bad(file, where + ": " + name + " is " + kind(e) + ", not an object");
        }
        return e.getAsJsonObject();
    }

    private static String string(Path file, String where, JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw bad(file, where + ": " + name + " is missing");
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw bad(file, where + ": " + name + " is " + kind(e) + ", not a string");
        }
        return e.getAsString();
    }

    /**
     * The number member {@code name}: a JSON number, or JMH's string for a non-finite double.
     * Absent gives NaN if {@code optional}, else an error.
     */
    private static double number(Path file, String where, JsonObject o, String name, boolean optional) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            if (optional) {
                return Double.NaN;
            }
            throw bad(file, where + ": " + name + " is missing");
        }
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isNumber()) {
                return p.getAsDouble();
            }
            if (p.isString()) {
                switch (p.getAsString()) {
                    case "NaN":
                        return Double.NaN;
                    case "Infinity":
                        return Double.POSITIVE_INFINITY;
                    case "-Infinity":
                        return Double.NEGATIVE_INFINITY;
                    default:
                        break;
                }
            }
        }
        throw bad(file, where + ": " + name + " is " + kind(e) + ", not a number");
    }

    /** A short description of a JSON value for a message: its type and, if short, itself. */
    private static String kind(JsonElement e) {
        String type = e.isJsonObject() ? "an object" : e.isJsonArray() ? "an array"
                : e.getAsJsonPrimitive().isString() ? "the string" : e.getAsJsonPrimitive().isBoolean() ? "the boolean"
                : "the number";
        if (e.isJsonObject() || e.isJsonArray()) {
            return type;
        }
        String v = e.toString();
        return type + " " + (v.length() <= 40 ? v : v.substring(0, 40) + "...");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "syntax error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static IllegalArgumentException bad(Path file, String what) {
        return new IllegalArgumentException("JMH results file " + file + ": " + what);
    }

    private static IllegalArgumentException bad(Path file, String what, Throwable cause) {
        return new IllegalArgumentException("JMH results file " + file + ": " + what, cause);
    }
}
