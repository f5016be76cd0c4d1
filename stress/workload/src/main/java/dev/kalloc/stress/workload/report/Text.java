package dev.kalloc.stress.workload.report;

import java.time.Duration;
import java.util.Locale;

/** Formatting shared by the table, the report and messages: durations, latencies, sizes. */
public final class Text {
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
    static String millis(long nanos) {
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
}
