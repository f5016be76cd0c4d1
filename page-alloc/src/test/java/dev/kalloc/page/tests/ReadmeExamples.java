// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.tests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the READMEs' Java examples compiled and run (issues 17 and 18): each module's
 * {@code ReadmeExamplesTest} holds every {@code ```java} block of its README as source, between
 * marker comments, runs it and asserts what the README says it prints; this class checks that
 * the README's blocks and the marked source are the same text, so neither can change alone.
 *
 * <h2>Markers</h2>
 * <pre>{@code
 * // readme:begin use
 * import dev.kalloc.page.*;
 * // readme:end
 * ...
 *     void use() {
 *         // readme:begin use
 *         try (Machine m = ...) { ... }
 *         // readme:end
 *     }
 * }</pre>
 * The regions of one name, in file order, make one block: each region loses the indentation
 * common to its lines (the README shows a method body at column 0) and regions are joined by one
 * blank line (the README's imports stand apart from the statements). Lines are compared with
 * trailing whitespace removed, and leading and trailing blank lines of a block are ignored.
 *
 * <h2>Invariants checked</h2>
 * <ol>
 *   <li>The README has exactly as many Java blocks as the test names, in that order: a new
 *       block without a test fails, and so does a test region the README lost. A Java block is
 *       any fence a Markdown renderer shows as Java ({@code ```java}, {@code ```Java},
 *       {@code ~~~java}, longer fences, up to three spaces of indentation).</li>
 *   <li>Every marker region in the source is named by the test, and every named region exists.</li>
 *   <li>Each block equals its region; the failure names the README, the block (its number and
 *       line), the region and the first differing line of each.</li>
 *   <li>A block named {@code synopsis:<main source>,...} shows an API, not an example: each of
 *       its code lines (comments and indentation aside) is a line of one of those sources, so a
 *       renamed or removed method fails it.</li>
 * </ol>
 */
public final class ReadmeExamples {
    /**
     * A fence as CommonMark reads one at the top level of a document: up to three spaces, then
     * three or more backticks or tildes, then the info string, whose first word names the
     * language (a backtick fence's info string may hold no backtick; a tilde fence's may). A
     * block is closed by up to three spaces, a run of the same character at least as long, and
     * nothing after it but spaces or tabs; the content lines lose as many leading spaces as the
     * opening fence had (at most that many). So ```Java, ~~~java, a four-backtick fence and an
     * indented one are Java blocks, and a ```java line inside another block is not. Not seen:
     * fences inside block quotes or list items (kalloc's READMEs put none there).
     */
    private static final Pattern FENCE = Pattern.compile("^( {0,3})(?:(`{3,})[ \\t]*([^ \\t`]*)[^`]*|(~{3,})[ \\t]*(\\S*).*)$");
    private static final String BEGIN = "// readme:begin ";
    private static final String END = "// readme:end";
    private static final String SYNOPSIS = "synopsis:";

    private ReadmeExamples() {
    }

    /**
     * Asserts that the {@code ```java} blocks of {@code readme}, in order, are the regions of
     * {@code source} named {@code names}. Paths are relative to the module's base directory,
     * which surefire makes the working directory.
     *
     * @throws AssertionError naming the README, the block and the first differing line
     */
    public static void assertBlocksMatch(String readmePath, String source, String... names) {
        List<Block> blocks = javaBlocks(Path.of(readmePath));
        String readme = Path.of(readmePath).toAbsolutePath().normalize().toString();
        Map<String, List<String>> regions = regions(Path.of(source));
        if (blocks.size() != names.length) {
            throw new AssertionError(readme + " has " + blocks.size() + " ```java blocks (at lines "
                    + blockLines(blocks) + ") but " + source + " names " + names.length + " " + List.of(names)
                    + ": every block needs a compiled region, in README order");
        }
        List<String> unused = new ArrayList<>(regions.keySet());
        unused.removeAll(List.of(names));
        if (!unused.isEmpty()) {
            throw new AssertionError(source + " has marker regions " + unused + " that no README block names");
        }
        for (int i = 0; i < names.length; i++) {
            if (names[i].startsWith(SYNOPSIS)) {
                compareSynopsis(readme, i + 1, blocks.get(i), names[i].substring(SYNOPSIS.length()).split(","));
                continue;
            }
            List<String> region = regions.get(names[i]);
            if (region == null) {
                throw new AssertionError(source + " has no region '" + BEGIN + names[i] + "' for " + readme
                        + "'s ```java block " + (i + 1) + " (line " + blocks.get(i).line + ")");
            }
            compare(readme, i + 1, blocks.get(i), source, names[i], trim(region));
        }
    }

    /** Runs {@code body} with {@code System.out} captured and returns what it printed (UTF-8). */
    public static String stdout(Body body) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            body.run();
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * The lines of the first fenced block (any info string) that follows the line {@code after}
     * in {@code readme}: the output a README shows below an example, for the test to assert.
     */
    public static String textBlockAfter(String readme, String after) {
        List<String> lines = read(Path.of(readme));
        int i = lines.indexOf(after);
        if (i < 0) {
            throw new AssertionError(readme + " has no line '" + after + "'");
        }
        for (Block b : fencedBlocks(lines)) {
            if (b.line > i + 1) {
                StringBuilder sb = new StringBuilder();
                b.text.forEach(l -> sb.append(l).append('\n'));
                return sb.toString();
            }
        }
        throw new AssertionError(readme + " has no fenced block after the line '" + after + "'");
    }

    /** An example's body: the statements a README shows, in a method that may throw. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** A fenced block: the line of its opening fence (from 1), its language word and its lines. */
    record Block(int line, String info, List<String> text) {
    }

    private static void compare(String readme, int number, Block block, String source, String name,
            List<String> region) {
        List<String> want = trim(block.text);
        int n = Math.max(want.size(), region.size());
        for (int i = 0; i < n; i++) {
            String r = i < want.size() ? want.get(i) : "<end of block>";
            String s = i < region.size() ? region.get(i) : "<end of region>";
            if (!r.equals(s)) {
                throw new AssertionError(readme + "'s ```java block " + number + " (README line " + block.line
                        + ") differs from region '" + name + "' of " + source + " at line " + (i + 1)
                        + " of the block (README line " + (block.line + firstNonBlank(block.text) + i + 1) + "):\n"
                        + "  README: " + r + "\n  source: " + s);
            }
        }
    }

    /**
     * A synopsis block shows declarations of main sources rather than an example: each of its
     * lines, without its {@code //} comment and indentation, must be a line of one of them.
     */
    private static void compareSynopsis(String readme, int number, Block block, String[] sources) {
        List<String> declared = new ArrayList<>();
        for (String source : sources) {
            for (String l : read(Path.of(source))) {
                declared.add(l.strip());
            }
        }
        for (int i = 0; i < block.text.size(); i++) {
            String line = block.text.get(i);
            int comment = line.indexOf("//");
            String code = (comment < 0 ? line : line.substring(0, comment)).strip();
            if (!code.isEmpty() && !declared.contains(code)) {
                throw new AssertionError(readme + "'s ```java block " + number + " (README line " + block.line
                        + ") is a synopsis of " + List.of(sources) + ", but its line " + (i + 1) + " (README line "
                        + (block.line + i + 1) + ") is in none of them:\n  README: " + line);
            }
        }
    }

    private static List<Block> javaBlocks(Path readme) {
        List<Block> blocks = new ArrayList<>();
        for (Block b : fencedBlocks(read(readme))) {
            if (b.info.toLowerCase(Locale.ROOT).equals("java")) {
                List<String> text = new ArrayList<>();
                b.text.forEach(l -> text.add(stripTrailing(l)));
                blocks.add(new Block(b.line, b.info, text));
            }
        }
        return blocks;
    }

    /** Every fenced block of a Markdown file, in order; an unclosed one runs to the end. */
    static List<Block> fencedBlocks(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) {
                continue;
            }
            int indent = open.group(1).length();
            boolean backticks = open.group(2) != null;
            String fence = backticks ? open.group(2) : open.group(4);
            String info = backticks ? open.group(3) : open.group(5);
            int start = i;
            List<String> text = new ArrayList<>();
            while (++i < lines.size() && !closes(lines.get(i), fence)) {
                text.add(unindent(lines.get(i), indent));
            }
            blocks.add(new Block(start + 1, info, text));
        }
        return blocks;
    }

    /** A content line without the opening fence's indentation (as many spaces as it has of it). */
    private static String unindent(String line, int indent) {
        int n = 0;
        while (n < indent && n < line.length() && line.charAt(n) == ' ') {
            n++;
        }
        return line.substring(n);
    }

    private static boolean closes(String line, String fence) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        if (i > 3) {
            return false;
        }
        int run = 0;
        while (i < line.length() && line.charAt(i) == fence.charAt(0)) {
            i++;
            run++;
        }
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return run >= fence.length() && i == line.length();
    }

    private static Map<String, List<String>> regions(Path source) {
        List<String> lines = read(source);
        Map<String, List<String>> regions = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String marker = lines.get(i).strip();
            if (!marker.startsWith(BEGIN)) {
                continue;
            }
            String name = marker.substring(BEGIN.length()).strip();
            int begin = i;
            List<String> part = new ArrayList<>();
            while (++i < lines.size() && !lines.get(i).strip().equals(END)) {
                part.add(stripTrailing(lines.get(i)));
            }
            if (i == lines.size()) {
                throw new AssertionError(source + ": '" + marker + "' at line " + (begin + 1) + " has no '" + END + "'");
            }
            List<String> joined = regions.computeIfAbsent(name, k -> new ArrayList<>());
            if (!joined.isEmpty()) {
                joined.add("");
            }
            joined.addAll(dedent(part));
        }
        return regions;
    }

    private static List<String> dedent(List<String> part) {
        int common = Integer.MAX_VALUE;
        for (String l : part) {
            if (!l.isBlank()) {
                common = Math.min(common, l.length() - l.stripLeading().length());
            }
        }
        List<String> out = new ArrayList<>();
        for (String l : part) {
            out.add(l.isBlank() ? "" : l.substring(common));
        }
        return out;
    }

    private static List<String> trim(List<String> text) {
        int from = firstNonBlank(text);
        int to = text.size();
        while (to > from && text.get(to - 1).isBlank()) {
            to--;
        }
        return text.subList(from, to);
    }

    private static int firstNonBlank(List<String> text) {
        int from = 0;
        while (from < text.size() && text.get(from).isBlank()) {
            from++;
        }
        return from;
    }

    private static String blockLines(List<Block> blocks) {
        List<Integer> lines = new ArrayList<>();
        for (Block b : blocks) {
            lines.add(b.line);
        }
        return lines.toString();
    }

    private static String stripTrailing(String line) {
        return line.stripTrailing();
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.toAbsolutePath()
                    + " (paths are relative to the module directory, surefire's working directory)", e);
        }
    }
}
