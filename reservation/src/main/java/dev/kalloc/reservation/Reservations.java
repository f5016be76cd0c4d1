// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import dev.kalloc.page.Machine;
import dev.kalloc.page.ReserveAccount;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The reservations of one machine: where they are created ({@code init_page_reservation}), the
 * admission counters, the {@code /proc}-style view and the invariant check. The accounting
 * itself is the page allocator's (see {@link Reservation}); this object only lists and counts,
 * so two registries on one machine would each see their own reservations and nothing would break.
 *
 * <p>Usage:
 * <pre>{@code
 * Reservations rs = Reservations.boot(machine);
 * Reservation journal = rs.create("journal", Gfp.GFP_NOFS, Reservation.RSV_MULTISHOT);
 * journal.reserve(Gfp.GFP_NOFS, 32);
 * System.out.print(rs.info());        // reservationinfo - version 1.0 ...
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread. The counters are
 * {@link LongAdder}s (exact at a quiescent point); the list is copy-on-write (reservations are
 * created and destroyed rarely).
 */
public final class Reservations {
    private final Machine machine;
    private final List<Reservation> live = new CopyOnWriteArrayList<>();
    private final LongAdder granted = new LongAdder();
    private final LongAdder waited = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();

    private Reservations(Machine machine) {
        this.machine = machine;
    }

    /** A registry for {@code machine}'s reservations. */
    public static Reservations boot(Machine machine) {
        if (machine == null) {
            throw new IllegalArgumentException("machine must not be null");
        }
        return new Reservations(machine);
    }

    public Machine machine() {
        return machine;
    }

    /**
     * {@code init_page_reservation}: an empty reservation over the zonelist {@code zoneGfp}
     * selects ({@code GFP_KERNEL}: Normal then DMA; {@code GFP_HIGHUSER}: HighMem, Normal, DMA;
     * {@code GFP_DMA}: DMA). Reserve pages into it with {@link Reservation#reserve}.
     *
     * @param flags {@link Reservation#RSV_ONESHOT} or {@link Reservation#RSV_MULTISHOT}
     * @throws IllegalArgumentException for a missing name, unknown flags or gfp bits, or a
     *         zonelist with no populated zone
     */
    public Reservation create(String name, int zoneGfp, int flags) {
        Reservation r = new Reservation(this, name, zoneGfp, flags);
        live.add(r);
        return r;
    }

    /** The reservations created here and not destroyed, oldest first. */
    public List<Reservation> reservations() {
        return List.copyOf(live);
    }

    /** Reservations outstanding: created and not destroyed. */
    public int outstanding() {
        return live.size();
    }

    /**
     * {@link Reservation#reapExited()} on every outstanding reservation: ends the scopes of
     * threads that terminated inside them. Never sleeps; any thread.
     *
     * @return how many scopes were ended
     */
    public int reapExited() {
        int ended = 0;
        for (Reservation r : live) {
            ended += r.reapExited();
        }
        return ended;
    }

    void retired(Reservation r) {
        live.remove(r);
    }

    void countAdmission(ReserveAccount.Admission result, long nanos) {
        switch (result) {
            case GRANTED:
                granted.increment();
                break;
            case GRANTED_AFTER_WAIT:
                waited.increment();
                waitNanos.add(nanos);
                break;
            case REFUSED:
                refused.increment();
                break;
            case TIMED_OUT:
                timedOut.increment();
                waitNanos.add(nanos);
                break;
            default:
                throw new AssertionError(result);
        }
    }

    /** Admissions granted at once. */
    public long admissionsGranted() {
        return granted.sum();
    }

    /** Admissions granted after sleeping for frees. */
    public long admissionsWaited() {
        return waited.sum();
    }

    /** Admissions refused at once (a mask that may not sleep, and the pages were not there). */
    public long admissionsRefused() {
        return refused.sum();
    }

    /** Admissions that slept and gave up at their timeout. */
    public long admissionsTimedOut() {
        return timedOut.sum();
    }

    /** Nanoseconds admissions spent waiting, granted or timed out. */
    public long waitNanos() {
        return waitNanos.sum();
    }

    /** The {@code /proc}-style view: see {@link ReservationInfo}. */
    public String info() {
        return ReservationInfo.render(this);
    }

    /**
     * Checks the machine's invariants (which include, per zone, reserved &lt;= free + clean and
     * the reservation accounts' sums), then that no admission is half done and each
     * reservation's open-scope list matches its count. Quiescent points only.
     *
     * @throws AssertionError naming the first broken invariant
     */
    public void checkInvariants() {
        machine.checkInvariants();
        for (Reservation r : live) {
            r.checkScopes();
            if (r.debt() != 0 || r.pending() != 0) {
                throw new AssertionError(r + ": an admission is half done at a quiescent point (debt " + r.debt()
                        + ", pending " + r.pending() + ")");
            }
            if (r.avail() < 0 || r.used() < 0) {
                throw new AssertionError(r + ": negative counts (avail " + r.avail() + ", used " + r.used() + ")");
            }
        }
    }

    @Override
    public String toString() {
        return "Reservations[" + live.size() + " outstanding on " + machine + "]";
    }
}
