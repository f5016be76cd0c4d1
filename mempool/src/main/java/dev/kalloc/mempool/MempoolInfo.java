// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code /proc}-style text view of pools, one line per pool. The kernel has no
 * {@code /proc/mempoolinfo}; the format follows {@code /proc/slabinfo} 2.1, which a kernel
 * developer already reads: a version line, a {@code #} header naming each column in angle
 * brackets, and groups of columns introduced by {@code :} and a group name.
 *
 * <h2>Format, version 1.0</h2>
 * <pre>
 * mempoolinfo - version 1.0
 * # name               &lt;policy&gt; &lt;min_nr&gt; &lt;curr_nr&gt; ... : served &lt;nowait&gt; ... : freed ... : sleeps ...
 * bio                  2.5.1         256       256        0 : served        1234 ...
 * </pre>
 * Fields, left to right (all counts since the pool was created):
 * <ol>
 *   <li>{@code name}: the pool's name, left-aligned in 20 characters (a longer name pushes the
 *       rest of its line right; the line still parses as whitespace-separated fields);</li>
 *   <li>{@code policy}: {@code 2.5.1} or {@code modern} ({@link MempoolPolicy#label()});</li>
 *   <li>{@code min_nr}, {@code curr_nr}: the reserve and the idle elements now;</li>
 *   <li>{@code nr_out}: elements handed out and not yet freed;</li>
 *   <li>group {@code served}: successful allocations by level ({@link MempoolLevel}):
 *       {@code nowait}, {@code half_full}, {@code full_gfp}, {@code nonempty}, {@code waited};
 *       they sum to the allocations the pool has made;</li>
 *   <li>group {@code freed}: frees that refilled the pool ({@code to_pool}) and frees handed to
 *       the underlying allocator ({@code to_alloc});</li>
 *   <li>group {@code sleeps}: sleeps on the pool's wait queue ({@code waits}), their total time
 *       in nanoseconds ({@code wait_ns}), and allocations that returned null
 *       ({@code failures}).</li>
 * </ol>
 * A pool that does not count its fast path ({@code fastPathStatistics(false)}) shows {@code -}
 * for {@code nr_out}, {@code nowait} and {@code to_alloc}.
 * Numbers are right-aligned in fixed widths, as wide as their header token plus a margin; a
 * number too wide for its column widens that line only.
 */
public final class MempoolInfo {
    /** The first line of the view. */
    public static final String VERSION_LINE = "mempoolinfo - version 1.0";

    private static final int NAME_WIDTH = 20;
    private static final String HEADER;
    private static final String ROW;

    static {
        String[][] columns = {
            {"<policy>", "-8", "s"},
            {"<min_nr>", "8", "d"}, {"<curr_nr>", "9", "d"}, {"<nr_out>", "9", "s"},
            {": served", null, null},
            {"<nowait>", "12", "s"}, {"<half_full>", "12", "d"}, {"<full_gfp>", "12", "d"},
            {"<nonempty>", "12", "d"}, {"<waited>", "12", "d"},
            {": freed", null, null},
            {"<to_pool>", "12", "d"}, {"<to_alloc>", "12", "s"},
            {": sleeps", null, null},
            {"<waits>", "10", "d"}, {"<wait_ns>", "16", "d"}, {"<failures>", "10", "d"},
        };
        StringBuilder header = new StringBuilder(String.format("%-" + NAME_WIDTH + "s", "# name"));
        StringBuilder row = new StringBuilder("%-" + NAME_WIDTH + "s");
        for (String[] c : columns) {
            if (c[1] == null) {
                header.append(' ').append(c[0]);
                row.append(' ').append(c[0]);
            } else {
                header.append(' ').append(String.format("%" + c[1] + "s", c[0]));
                row.append(" %").append(c[1]).append(c[2]);
            }
        }
        HEADER = header.toString().stripTrailing();
        ROW = row.toString();
    }

    private MempoolInfo() {
    }

    /** The view of {@code pools}, in the order given: version line, header, one line each. */
    public static String render(Iterable<? extends Mempool<?>> pools) {
        List<MempoolStats> stats = new ArrayList<>();
        for (Mempool<?> pool : pools) {
            stats.add(pool.stats());
        }
        return renderStats(stats);
    }

    /** The view of snapshots already taken. */
    public static String renderStats(Iterable<MempoolStats> stats) {
        StringBuilder sb = new StringBuilder();
        sb.append(VERSION_LINE).append('\n');
        sb.append(HEADER).append('\n');
        for (MempoolStats s : stats) {
            sb.append(line(s)).append('\n');
        }
        return sb.toString();
    }

    /** One pool's line, without the newline. */
    public static String line(MempoolStats s) {
        return String.format(Locale.ROOT, ROW, s.name(), s.policy().label(), s.minNr(), s.currNr(), counted(s, s.nrOut()),
                counted(s, s.nowait()), s.halfFull(), s.fullGfp(), s.nonempty(), s.afterWait(), s.freedToPool(),
                counted(s, s.freedToAllocator()), s.waits(), s.waitNanos(), s.failures());
    }

    /** A fast-path counter as printed: "-" where the pool does not count it. */
    private static String counted(MempoolStats s, long value) {
        return s.fastPathCounted() ? Long.toString(value) : "-";
    }
}
