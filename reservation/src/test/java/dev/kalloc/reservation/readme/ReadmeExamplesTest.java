// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin use
import dev.kalloc.page.*;
import dev.kalloc.reservation.*;
import java.util.ArrayList;
import java.util.List;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import org.junit.jupiter.api.Test;

/**
 * reservation/README.md's examples, compiled and run here exactly as the README shows them.
 * The first is the case a reservation exists for (issue 18): memory full, 32 pages served from
 * the reservation, the 33rd refused; its printed output is the README's, line for line. The
 * second (a thread that dies inside a scope) continues with a reservation {@code rsv}.
 * {@link ReadmeExamples} fails if a README block and its region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    /** The README line after which the first example's output is shown. */
    private static final String README_OUTPUT_INTRO =
            "one, and failed). The pages still free are the emergency reserve the atomic fill could not take:";
    private static final String SOURCE = "src/test/java/dev/kalloc/reservation/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "use", "thread-dies-in-scope");
    }

    /**
     * Granted at once; 32 pages served from free reserved pages and one allocation beyond the
     * quota counted as failed; nothing left free for GFP_NOIO in DMA and Normal but the atomic
     * reserve the fill could not take.
     */
    @Test
    void useExampleServesThirtyTwoPagesFromTheReservationAndRefusesTheThirtyThird() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::use);
        assertThat(out).startsWith("granted true, served 32, then null\n" + ReservationInfo.VERSION_LINE + "\n");
        assertThat(out).isEqualTo(ReadmeExamples.textBlockAfter(README, README_OUTPUT_INTRO));
    }

    /** The dead thread's scope is ended by destroy, which goes ahead. */
    @Test
    void threadThatDiesInsideAScopeDoesNotBlockDestroy() throws Exception {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            Reservation rsv = rs.create("bio", Gfp.GFP_NOIO, Reservation.RSV_MULTISHOT);
            assertThat(rsv.reserve(Gfp.GFP_NOIO, 8)).isTrue();
            // readme:begin thread-dies-in-scope
            Thread t = new Thread(() -> { rsv.enter(); throw new RuntimeException("dies in the scope"); });
            t.start();
            t.join();
            rsv.destroy();                 // the dead thread's scope ends here; destroy goes ahead
            // readme:end
            assertThat(rsv.isDestroyed()).isTrue();
            assertThat(rsv.scopesEndedWithThread()).isEqualTo(1);
            assertThat(rs.outstanding()).isZero();
            rs.checkInvariants();
        }
    }

    private static void use() {
        // readme:begin use
        try (Machine m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build())) {
            Reservations rs = Reservations.boot(m);
            Reservation rsv = rs.create("bio", Gfp.GFP_NOIO, Reservation.RSV_MULTISHOT); // Normal, then DMA
            boolean granted = rsv.reserve(Gfp.GFP_NOIO, 32);   // yes now, or sleep until it can be had;
                                                               // an atomic gfp is refused at once instead
            PageAllocator pa = m.pageAlloc();
            List<Page> others = new ArrayList<>();             // fill memory: the reserved pages are not
            Page p;                                            // there for ordinary allocations
            while ((p = pa.allocPages(Gfp.GFP_ATOMIC | Gfp.__GFP_HIGHMEM, 0)) != null) {
                others.add(p);
            }
            List<Page> mine = new ArrayList<>();
            try (ReservationScope scope = rsv.enter()) {       // current->page_reservations, nestable
                while ((p = pa.allocPages(Gfp.GFP_NOIO, 0)) != null) { // ordinary calls: the normal passes
                    mine.add(p);                               // fail, the reservation serves them up to
                }                                              // its quota, then reclaim finds nothing
            }
            System.out.println("granted " + granted + ", served " + mine.size() + ", then null");
            System.out.print(rs.info());                       // reservationinfo - version 1.0
            mine.forEach(pa::freePage);                        // multishot: each free gives its quota back
            others.forEach(pa::freePage);
            rsv.destroy();
        }
        // readme:end
    }
}
