// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.KERNEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 2.6 modifiers ({@code __GFP_NOWARN}, {@code __GFP_NORETRY}, {@code __GFP_NOMEMALLOC}) are
 * accepted wherever a reservation takes a gfp mask, and do not keep a task from its own
 * reservation: NOMEMALLOC refuses the emergency reserve below the watermarks, not reserved
 * pages that are the task's, and NORETRY ends only the retry loop after reclaim, which the
 * reservation branch comes before.
 */
class GfpModifiersTest {
    private static final int ALL_THREE = Gfp.__GFP_NOWARN | Gfp.__GFP_NORETRY | Gfp.__GFP_NOMEMALLOC;

    @Test
    void createAndReserveAcceptTheModifiers() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("modern", KERNEL | ALL_THREE, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(Gfp.GFP_NOIO | ALL_THREE, 4)).isTrue();
            assertThat(r.avail()).isEqualTo(4);
            rs.checkInvariants();
        }
    }

    /** Memory exhausted but for the reservation: a PF_MEMALLOC task with all three bits still gets its pages. */
    @Test
    void aTaskInsideItsReservationIsServedWithTheModifiers() {
        try (Machine m = Rsv.normalOnly()) {
            Reservations rs = Reservations.boot(m);
            Reservation r = rs.create("modern", KERNEL, Reservation.RSV_MULTISHOT);
            assertThat(r.reserve(KERNEL, 3)).isTrue();
            List<Page> hog = Rsv.grabAll(m, KERNEL);
            assertThat(m.pageAlloc().allocPages(Gfp.GFP_NOIO | ALL_THREE, 0)).isNull();

            List<Page> got = new ArrayList<>();
            Task t = m.current();
            int saved = t.setFlags(Task.PF_MEMALLOC);
            try (ReservationScope scope = r.enter()) {
                got.add(m.pageAlloc().allocPages(Gfp.GFP_NOIO | ALL_THREE, 0));
                got.add(m.pageAlloc().allocPages(Gfp.GFP_ATOMIC | Gfp.__GFP_NOMEMALLOC, 0));
            } finally {
                t.restoreFlags(saved);
            }
            try (ReservationScope scope = r.enter()) {
                got.add(m.pageAlloc().allocPages(Gfp.GFP_NOIO | ALL_THREE, 0));
            }
            assertThat(got).doesNotContainNull();
            assertThat(r.used()).isEqualTo(3);
            assertThat(m.pageAlloc().oomRounds()).isZero();
            Rsv.freeAll(m, got);
            Rsv.freeAll(m, hog);
            rs.checkInvariants();
        }
    }
}
