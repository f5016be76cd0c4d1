package dev.kalloc.stress.workload.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses durations as people type them on a command line: a number and a unit, {@code 2.5s},
 * {@code 500ms}, {@code 100us}, {@code 1m}, {@code 1h} (also {@code ns}). No unit is an error
 * rather than a guess, and so is a value finer than the resolution of a {@link Duration}, one
 * nanosecond ({@code 0.1ns}, {@code 1.5ns}): rounded, it would run and be reported as a
 * duration nobody typed.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /**
     * @throws CommandLine.TypeConversionException naming the accepted form
     */
    public static Duration parse(String value) {
        Matcher m = FORMAT.matcher(value.trim());
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; write a number and a unit"
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
            throw new CommandLine.TypeConversionException("'" + value + "' is too long a duration");
        }
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number of nanoseconds, the"
                    + " finest duration there is");
        }
        return Duration.ofNanos(nanos.longValueExact());
    }
}
