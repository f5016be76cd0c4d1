// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses a plain decimal number ({@code 5}, {@code 0.5}, {@code 2000}), for the options a person
 * types as one: the pressure ({@code --free}, {@code --free-steps}, {@code --load-free}) and the
 * offered rates. Java's own parser takes far more ({@code 0x1p3}, {@code NaN}, {@code 1e3},
 * {@code 5d}), none of which anyone means on this command line, and a value read as something
 * other than what was typed is worse than a refusal.
 */
final class DecimalConverter implements CommandLine.ITypeConverter<Double> {
    private static final Pattern FORMAT = Pattern.compile("\\d{1,15}(?:\\.\\d{1,15})?");

    @Override
    public Double convert(String value) {
        if (!FORMAT.matcher(value).matches()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a plain decimal number; write digits"
                    + " with at most one decimal point, e.g. 5 or 0.5");
        }
        return Double.valueOf(value);
    }
}
