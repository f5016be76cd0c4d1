// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Formatting shared by the table, the report and messages: durations, latencies, sizes; and the
 * parse of a duration back from its text (the command line's options, a log's settings line).
 * It sits in the run package, the lowest that formats, so the report and the command line above
 * it share it without a cycle.
 */
public final class Text {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h)");

    private Text() {
    }

    /** {@code 2.5s}, {@code 150ms}, {@code 80us}: the shortest exact unit. */
    public static String duration(Duration d) {
        long n = d.toNanos();
        if (n == 0) {
            return "0s";
        }
        if (n % 1_000_000_000L == 0) {
            return n / 1_000_000_000L + "s";
        }
        if (n % 1_000_000L == 0) {
            return n / 1_000_000L + "ms";
        }
        if (n % 1_000L == 0) {
            return n / 1_000L + "us";
        }
        if (n >= 1_000_000_000L) {
            // Exact: a settings line is compared as text (kalloc compare, a sweep's resume).
            return java.math.BigDecimal.valueOf(n, 9).stripTrailingZeros().toPlainString() + "s";
        }
        return n + "ns";
    }

    /** A latency in nanoseconds, in milliseconds with 3 significant-ish digits. */
    public static String millis(long nanos) {
        double ms = nanos / 1e6;
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        return String.format(Locale.ROOT, "%.2f", ms);
    }

    /** Bytes in KiB/MiB. */
    public static String bytes(double bytes) {
        if (bytes >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
        }
        if (bytes >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / (1 << 10));
        }
        return String.format(Locale.ROOT, "%.0f B", bytes);
    }

    /** {@code 1 trial}, {@code 6 trials}. */
    /**
     * What went wrong with a file, in words: the reason an exception of {@code java.nio.file}
     * carries (its message is often the path alone), else its message.
     */
    public static String ioError(java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or folder (" + e.getMessage() + ")";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied (" + e.getMessage() + ")";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "already exists (" + e.getMessage() + ")";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** A percentage without a needless decimal: {@code 5}, {@code 2.5}, {@code 0.25}. */
    public static String percent(double p) {
        if (p == Math.rint(p)) {
            return String.format(java.util.Locale.ROOT, "%.0f", p);
        }
        return java.math.BigDecimal.valueOf(p).stripTrailingZeros().toPlainString();
    }

    public static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** HTML text escaping for the report. */
    public static String html(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<':
                    sb.append("&lt;");
                    break;
                case '>':
                    sb.append("&gt;");
                    break;
                case '&':
                    sb.append("&amp;");
                    break;
                case '"':
                    sb.append("&quot;");
                    break;
                case '\'':
                    sb.append("&#39;");
                    break;
                default:
                    sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Parses a duration as {@link #duration} writes it and people type it: a number and a unit,
     * {@code 2.5s}, {@code 500ms}, {@code 100us}, {@code 1m}, {@code 1h} (also {@code ns}). No
     * unit is an error rather than a guess, and so is a value finer than a nanosecond: rounded,
     * it would run and be reported as a duration nobody typed.
     *
     * @throws IllegalArgumentException naming the accepted form
     */
    public static Duration parseDuration(String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a duration; write a number and a unit"
                    + " (ns, us, ms, s, m, h), e.g. 2.5s or 500ms");
        }
        BigDecimal n = new BigDecimal(m.group(1));
        long perUnit;
        switch (m.group(2)) {
            case "ns":
                perUnit = 1L;
                break;
            case "us":
                perUnit = 1_000L;
                break;
            case "ms":
                perUnit = 1_000_000L;
                break;
            case "s":
                perUnit = 1_000_000_000L;
                break;
            case "m":
                perUnit = 60_000_000_000L;
                break;
            default:
                perUnit = 3_600_000_000_000L;
        }
        BigDecimal nanos = n.multiply(BigDecimal.valueOf(perUnit));
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + value + "' is too long a duration");
        }
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + value + "' is not a whole number of nanoseconds, the"
                    + " finest duration there is");
        }
        return Duration.ofNanos(nanos.longValueExact());
    }
}
