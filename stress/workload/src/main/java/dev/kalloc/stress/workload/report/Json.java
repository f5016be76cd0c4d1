// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.util.Locale;

/**
 * A minimal streaming JSON writer for {@code summary.json}: objects, arrays, strings, numbers and
 * booleans, written in order with commas placed by the writer. It exists so that the report needs
 * no JSON library; it only writes.
 *
 * <p>Strings are escaped as RFC 8259 requires: quotation mark, reverse solidus and every control
 * character below U+0020 (the common ones by their short escapes, the rest as {@code \}{@code uXXXX}),
 * plus U+2028 and U+2029, which are legal JSON but break JavaScript that embeds the text. Non-finite
 * numbers have no JSON form and are written as {@code null}.
 *
 * <p>Misuse (a value where a name is needed, closing what is not open) is an
 * {@link IllegalStateException} naming the problem.
 */
final class Json {
    private final StringBuilder out = new StringBuilder();
    /** One entry per open container: 'o' or 'a' and whether it has members yet. */
    private final StringBuilder stack = new StringBuilder();
    private boolean first = true;
    private boolean afterName;

    /** Appends {@code s} as a JSON string literal, quotes included. */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        quote(sb, s);
        return sb.toString();
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (stack.length() > 0 && stack.charAt(stack.length() - 1) == 'o') {
            throw new IllegalStateException("json: a value inside an object needs a name first");
        }
        if (stack.length() == 0 && out.length() > 0) {
            throw new IllegalStateException("json: only one top-level value is allowed");
        }
        separator();
    }

    private void separator() {
        if (stack.length() > 0) {
            if (!first) {
                out.append(',');
            }
            out.append('\n');
            indent();
        }
        first = false;
    }

    private void indent() {
        for (int i = 0; i < stack.length(); i++) {
            out.append("  ");
        }
    }

    /** Starts a member of the open object. */
    Json name(String name) {
        if (stack.length() == 0 || stack.charAt(stack.length() - 1) != 'o' || afterName) {
            throw new IllegalStateException("json: name '" + name + "' outside an object or after another name");
        }
        separator();
        quote(out, name);
        out.append(": ");
        afterName = true;
        return this;
    }

    Json beginObject() {
        beforeValue();
        out.append('{');
        stack.append('o');
        first = true;
        return this;
    }

    Json endObject() {
        return end('o', '}');
    }

    Json beginArray() {
        beforeValue();
        out.append('[');
        stack.append('a');
        first = true;
        return this;
    }

    Json endArray() {
        return end('a', ']');
    }

    private Json end(char kind, char close) {
        if (stack.length() == 0 || stack.charAt(stack.length() - 1) != kind || afterName) {
            throw new IllegalStateException("json: '" + close + "' does not close the open container");
        }
        stack.setLength(stack.length() - 1);
        if (!first) {
            out.append('\n');
            indent();
        }
        out.append(close);
        first = false;
        return this;
    }

    Json value(String s) {
        beforeValue();
        if (s == null) {
            out.append("null");
        } else {
            quote(out, s);
        }
        return this;
    }

    Json value(long n) {
        beforeValue();
        out.append(n);
        return this;
    }

    Json value(double d) {
        beforeValue();
        if (Double.isFinite(d)) {
            out.append(BigDecimalText.of(d));
        } else {
            out.append("null");
        }
        return this;
    }

    Json value(boolean b) {
        beforeValue();
        out.append(b);
        return this;
    }

    /** The document; every container must be closed. */
    @Override
    public String toString() {
        if (stack.length() != 0) {
            throw new IllegalStateException("json: " + stack.length() + " containers are still open");
        }
        return out.toString() + "\n";
    }

    /** Finite doubles in plain decimal (no exponent JSON parsers might dislike in huge values). */
    private static final class BigDecimalText {
        static String of(double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            return new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
        }
    }
}
