// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.page.Zone;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code /proc}-style text view of a machine's reservations. The kernel never had one (the
 * patch printed debug lines); the format follows {@code /proc/slabinfo} 2.1 as
 * {@code mempoolinfo} does: a version line, then three tables, each a {@code #} header naming its
 * columns in angle brackets followed by its rows, with groups introduced by {@code :}.
 *
 * <h2>Format, version 1.0</h2>
 * <pre>
 * reservationinfo - version 1.0
 * # admissions &lt;outstanding&gt; &lt;granted&gt; &lt;waited&gt; &lt;refused&gt; &lt;timed_out&gt; &lt;wait_ns&gt;
 * admissions               1         2        0         1           0                0
 * # zone     &lt;reserved&gt; &lt;free&gt; &lt;clean&gt; &lt;backed_by_clean&gt; &lt;depleted&gt;
 * Normal             16    400      30               16          0
 * # name               &lt;type&gt;     &lt;avail&gt; ... : allocs &lt;free&gt; ... : clean ... : zones &lt;zones&gt;
 * bio                  multishot       16 ...
 * </pre>
 * <ol>
 *   <li>{@code admissions} (one row): reservations outstanding (created, not destroyed), then
 *       admissions granted at once, granted after waiting, refused at once, timed out, and the
 *       nanoseconds spent waiting (granted or timed out);</li>
 *   <li>one row per populated zone, lowest first: {@code reserved} (R, unused reserved pages of
 *       every reservation), {@code free} (F, buddy lists), {@code clean} (C, clean page-cache
 *       pages and pinned clean orphans), {@code backed_by_clean} ({@code min(R, C)}: reserved pages
 *       occupied by clean pages rather than free ones, the December 2001 refinement at work),
 *       {@code depleted} (admissions waiting on the zone);</li>
 *   <li>one row per reservation, oldest first: {@code type} ({@code oneshot} or
 *       {@code multishot}), {@code avail}, {@code pending}, {@code used}, {@code debt},
 *       {@code scopes} (open on live threads: a dead thread's are ended first, see
 *       {@link Reservation#scopes()}); group {@code allocs}: allocations served from
 *       a free page ({@code free}), served after dropping clean pages ({@code after_drop}), not
 *       served ({@code failed}); group {@code clean}: clean pages dropped for it
 *       ({@code dropped}), sleeps because every clean page left was pinned
 *       ({@code pinned_waits}); group {@code zones}: its zones, highest first.</li>
 * </ol>
 * Names are left-aligned in 20 characters; numbers right-aligned in columns as wide as their
 * header token; a value too wide widens its own line only. Each count is read under its zone's
 * lock; the view is a consistent snapshot only at a quiescent point.
 */
public final class ReservationInfo {
    /** The first line of the view. */
    public static final String VERSION_LINE = "reservationinfo - version 1.0";

    private static final String ADMISSIONS_HEADER =
            "# admissions <outstanding> <granted> <waited> <refused> <timed_out>        <wait_ns>";
    private static final String ADMISSIONS_ROW = "admissions   %13d %9d %8d %9d %11d %16d";
    private static final String ZONE_HEADER = "# zone     <reserved>   <free>  <clean> <backed_by_clean> <depleted>";
    private static final String ZONE_ROW = "%-10s %10d %8d %8d %17d %10d";
    private static final String RSV_HEADER = "# name               <type>     <avail> <pending>  <used>  <debt>"
            + " <scopes> : allocs     <free> <after_drop>   <failed> : clean  <dropped> <pinned_waits>"
            + " : zones <zones>";
    private static final String RSV_ROW = "%-20s %-9s %8d %9d %7d %7d %8d : allocs %10d %12d %10d : clean %10d %14d"
            + " : zones %s";

    private ReservationInfo() {
    }

    /** The view of {@code registry}'s machine and reservations. */
    public static String render(Reservations registry) {
        List<ReservationStats> stats = new ArrayList<>();
        for (Reservation r : registry.reservations()) {
            stats.add(r.stats());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(VERSION_LINE).append('\n');
        sb.append(ADMISSIONS_HEADER).append('\n');
        sb.append(String.format(Locale.ROOT, ADMISSIONS_ROW, registry.outstanding(), registry.admissionsGranted(),
                registry.admissionsWaited(), registry.admissionsRefused(), registry.admissionsTimedOut(),
                registry.waitNanos())).append('\n');
        sb.append(ZONE_HEADER).append('\n');
        for (Zone z : registry.machine().zones()) {
            sb.append(String.format(Locale.ROOT, ZONE_ROW, z.name(), z.reservedPages(), z.freePages(),
                    z.nrCleanReclaimable(), z.reservedBackedByClean(), z.nrDepleted())).append('\n');
        }
        sb.append(RSV_HEADER).append('\n');
        for (ReservationStats s : stats) {
            sb.append(line(s)).append('\n');
        }
        return sb.toString();
    }

    /** One reservation's row, without the newline. */
    public static String line(ReservationStats s) {
        return String.format(Locale.ROOT, RSV_ROW, s.name(), s.multishot() ? "multishot" : "oneshot", s.avail(),
                s.pending(), s.used(), s.debt(), s.scopes(), s.servedFree(), s.servedAfterDrop(), s.failures(),
                s.droppedClean(), s.pinnedWaits(), s.zones());
    }
}
