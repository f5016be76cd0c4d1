// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.page.Zone;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A run's memory time series: its {@link MemorySample}s in time order, all over the same zones,
 * and their encoding as one line of text, which is stored as a comment line of the run's
 * HdrHistogram {@code .hlog} so that a report can redraw it long after the run. It is the
 * measurement behind claim L4 of the 2001 debate: LaHaise's "reserved memory is not wasted"
 * against the idle elements of Molnar's pools, time-averaged ({@link #meanEffectivePriceBytes()}).
 *
 * <h2>The line</h2>
 * <pre>
 * m1:&lt;zones&gt;;&lt;sample&gt;;&lt;sample&gt;...
 * sample = dt,F[0..z),C[0..z),D[0..z),R[0..z),nominal,effective,inUse
 * </pre>
 * {@code m1} names the format (a later one would be {@code m2}), {@code zones} is the length of
 * every per-zone array, and each sample is {@code 4 + 4 * zones} decimal numbers: time, free,
 * clean, dirty and reserved pages per zone, the two prices in bytes and the use. Every number is
 * the difference from the same field of the previous sample (the first sample's from 0): a
 * steady machine sampled every 100 ms then writes {@code 100,0,0,...} (26 characters with two
 * zones), which keeps a one-hour run (36,000 samples) near a megabyte rather than several. No
 * blanks, tabs or line breaks; encoding and decoding are linear in the number of samples. An
 * empty series is {@code m1:<zones>} alone.
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li>A series knows its zone count even when empty, so a run that never reached its load
 *       still round-trips, and two series of one machine can be checked against each other.</li>
 *   <li>Time never goes back: samples are kept in the order taken, and decoding refuses a line
 *       whose times fall, since a plot of it would be wrong silently.</li>
 *   <li>The means are plain averages over samples: the samples are taken at a fixed period, so
 *       that is the time average, and it is what a report can recompute from the line.</li>
 * </ul>
 *
 * <p>Immutable; safe to share between threads.
 */
public final class MemorySeries {
    /** The format tag the line begins with, followed by ':' and the zone count. */
    static final String FORMAT = "m1";
    /** The first word of the interval-log comment line that holds a run's series. */
    static final String MARK = "kalloc-series";
    /** The per-zone fields of a sample, in line order, for messages. */
    private static final String[] PER_ZONE = {"free", "clean", "dirty", "reserved"};
    /** The fields after the per-zone ones. */
    private static final String[] TAIL = {"nominal", "effective", "inUse"};

    private final int zones;
    private final List<MemorySample> samples;

    /**
     * A series of {@code samples} (copied) over {@code zones} zones.
     *
     * @throws IllegalArgumentException if {@code zones} is outside [1, {@code Zone.MAX_NR_ZONES}],
     *         a sample is null or covers another number of zones, or times fall
     */
    public MemorySeries(int zones, List<MemorySample> samples) {
        if (zones < 1 || zones > Zone.MAX_NR_ZONES) {
            throw new IllegalArgumentException("a memory series covers 1 to " + Zone.MAX_NR_ZONES + " zones, not "
                    + zones);
        }
        if (samples == null) {
            throw new IllegalArgumentException("a memory series needs a list of samples (null given)");
        }
        List<MemorySample> copy = new ArrayList<>(samples.size());
        MemorySample previous = null;
        for (MemorySample s : samples) {
            int n = copy.size() + 1;
            if (s == null) {
                throw new IllegalArgumentException("sample " + n + " of the memory series is null");
            }
            if (s.zones() != zones) {
                throw new IllegalArgumentException("sample " + n + " covers " + s.zones() + " zones; the series "
                        + zones);
            }
            if (previous != null && s.tMillis() < previous.tMillis()) {
                throw new IllegalArgumentException("sample " + n + " at " + s.tMillis() + " ms comes after one at "
                        + previous.tMillis() + " ms: time goes back");
            }
            copy.add(s);
            previous = s;
        }
        this.zones = zones;
        this.samples = Collections.unmodifiableList(copy);
    }

    /** The length of every sample's per-zone arrays. */
    int zones() {
        return zones;
    }

    public int size() {
        return samples.size();
    }

    /** The samples, oldest first (unmodifiable). */
    public List<MemorySample> samples() {
        return samples;
    }

    /** The time average of the effective price, in bytes; 0 for an empty series. */
    public double meanEffectivePriceBytes() {
        double sum = 0;
        for (MemorySample s : samples) {
            sum += s.effectivePriceBytes();
        }
        return samples.isEmpty() ? 0 : sum / samples.size();
    }

    /** The time average of the nominal price, in bytes; 0 for an empty series. */
    double meanNominalPriceBytes() {
        double sum = 0;
        for (MemorySample s : samples) {
            sum += s.nominalPriceBytes();
        }
        return samples.isEmpty() ? 0 : sum / samples.size();
    }

    /** The series as one line, in the format of the class comment. */
    String encode() {
        StringBuilder sb = new StringBuilder(8 + samples.size() * (4 + 4 * zones) * 3);
        sb.append(FORMAT).append(':').append(zones);
        long[] previous = new long[fieldCount(zones)];
        long[] current = new long[previous.length];
        for (MemorySample s : samples) {
            fields(s, current);
            sb.append(';');
            for (int f = 0; f < current.length; f++) {
                if (f > 0) {
                    sb.append(',');
                }
                sb.append(current[f] - previous[f]);
            }
            long[] swap = previous;
            previous = current;
            current = swap;
        }
        return sb.toString();
    }

    /**
     * The series {@code line} encodes; blanks around it (a trailing carriage return) are ignored.
     *
     * @throws IllegalArgumentException saying what is malformed and where: not this format, a
     *         missing or bad zone count, a truncated line, a sample with the wrong number of
     *         fields (another zone count's, or cut short), a field that is not a number or
     *         overflows, a count that comes out negative, or times that fall
     */
    static MemorySeries decode(String line) {
        if (line == null) {
            throw new IllegalArgumentException("no memory series to decode (null)");
        }
        String text = line.strip();
        String prefix = FORMAT + ":";
        if (!text.startsWith(prefix)) {
            throw new IllegalArgumentException("not a memory series: it does not begin with '" + prefix + "' ("
                    + excerpt(text) + ")");
        }
        String[] parts = text.substring(prefix.length()).split(";", -1);
        int zones = zoneCount(parts[0]);
        int expected = fieldCount(zones);
        List<MemorySample> samples = new ArrayList<>(parts.length - 1);
        long[] values = new long[expected];
        for (int i = 1; i < parts.length; i++) {
            boolean last = i == parts.length - 1;
            if (parts[i].isEmpty()) {
                throw new IllegalArgumentException(last ? "memory series truncated: the line ends with ';'"
                        : "memory series sample " + i + " is empty (';;')");
            }
            String[] fields = parts[i].split(",", -1);
            if (fields.length != expected) {
                throw new IllegalArgumentException(wrongFieldCount(i, fields.length, zones, last));
            }
            for (int f = 0; f < expected; f++) {
                values[f] = add(values[f], number(fields[f], i, f, zones), i, f, zones);
            }
            try {
                samples.add(sample(values, zones));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("memory series sample " + i + ": " + e.getMessage(), e);
            }
        }
        try {
            return new MemorySeries(zones, samples);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("memory series: " + e.getMessage(), e);
        }
    }

    private static int zoneCount(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("memory series truncated: no zone count after '" + FORMAT + ":'");
        }
        int zones;
        try {
            zones = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("memory series zone count is not a number: '" + excerpt(text) + "'");
        }
        if (zones < 1 || zones > Zone.MAX_NR_ZONES) {
            throw new IllegalArgumentException("memory series zone count " + zones + " is outside [1, "
                    + Zone.MAX_NR_ZONES + "]");
        }
        return zones;
    }

    private static String wrongFieldCount(int sample, int found, int zones, boolean last) {
        String msg = "memory series sample " + sample + " has " + found + " fields, but " + zones + " zones need "
                + fieldCount(zones);
        boolean otherZoneCount = found > 4 && (found - 4) % 4 == 0 && (found - 4) / 4 <= Zone.MAX_NR_ZONES;
        boolean cutShort = last && found < fieldCount(zones);
        if (otherZoneCount) {
            msg += " (as many as " + (found - 4) / 4 + " zones would have: zone count mismatch"
                    + (cutShort ? ", or the line is truncated)" : ")");
        } else if (cutShort) {
            msg += " (the line is truncated)";
        }
        return msg;
    }

    private static long number(String text, int sample, int field, int zones) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("memory series sample " + sample + ", field " + fieldName(field, zones)
                    + " is not a number: '" + excerpt(text) + "'");
        }
    }

    private static long add(long previous, long delta, int sample, int field, int zones) {
        try {
            return Math.addExact(previous, delta);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("memory series sample " + sample + ", field " + fieldName(field, zones)
                    + " overflows: " + previous + " + " + delta);
        }
    }

    /** The sample whose fields are {@code v}, in line order. */
    private static MemorySample sample(long[] v, int zones) {
        int[][] perZone = new int[4][zones];
        for (int k = 0; k < 4; k++) {
            for (int z = 0; z < zones; z++) {
                long x = v[1 + k * zones + z];
                if (x > Integer.MAX_VALUE || x < Integer.MIN_VALUE) {
                    throw new IllegalArgumentException(fieldName(1 + k * zones + z, zones) + " = " + x
                            + " is not a page count");
                }
                perZone[k][z] = (int) x;
            }
        }
        int p = 1 + 4 * zones;
        return new MemorySample(v[0], perZone[0], perZone[1], perZone[2], perZone[3], v[p], v[p + 1], v[p + 2]);
    }

    /** {@code s}'s fields in line order, into {@code out}. */
    private static void fields(MemorySample s, long[] out) {
        int zones = s.zones();
        out[0] = s.tMillis();
        int[][] perZone = {s.free(), s.clean(), s.dirty(), s.reserved()};
        for (int k = 0; k < 4; k++) {
            for (int z = 0; z < zones; z++) {
                out[1 + k * zones + z] = perZone[k][z];
            }
        }
        int p = 1 + 4 * zones;
        out[p] = s.nominalPriceBytes();
        out[p + 1] = s.effectivePriceBytes();
        out[p + 2] = s.inUse();
    }

    private static int fieldCount(int zones) {
        return 4 + 4 * zones;
    }

    /** Field {@code f}'s name for messages: "t", "free[1]", "effective". */
    private static String fieldName(int f, int zones) {
        if (f == 0) {
            return "t";
        }
        if (f <= 4 * zones) {
            return PER_ZONE[(f - 1) / zones] + "[" + (f - 1) % zones + "]";
        }
        return TAIL[f - 1 - 4 * zones];
    }

    /** At most 40 characters of {@code s}, for a message about a line that may be megabytes long. */
    private static String excerpt(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    @Override
    public String toString() {
        return "MemorySeries[" + samples.size() + " samples over " + zones + " zones]";
    }
}
