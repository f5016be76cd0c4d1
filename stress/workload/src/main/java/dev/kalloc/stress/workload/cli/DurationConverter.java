// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.stress.workload.run.Text;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Parses durations as people type them on a command line: a number and a unit, {@code 2.5s},
 * {@code 500ms}, {@code 100us}, {@code 1m}, {@code 1h} (also {@code ns}). No unit is an error
 * rather than a guess, and so is a value finer than the resolution of a {@link Duration}, one
 * nanosecond ({@code 0.1ns}, {@code 1.5ns}): rounded, it would run and be reported as a
 * duration nobody typed.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /**
     * {@link Text#parseDuration}, its complaint turned into picocli's, so a bad value is a usage
     * error that names the option.
     *
     * @throws CommandLine.TypeConversionException naming the accepted form
     */
    public static Duration parse(String value) {
        try {
            return Text.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
