// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.reservation;

import static dev.kalloc.reservation.Rsv.ATOMIC;
import static dev.kalloc.reservation.Rsv.KERNEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code /proc}-style view, against a golden file and field by field. */
class ReservationInfoTest {

    private static String golden(String name) throws IOException {
        try (InputStream in = ReservationInfoTest.class.getResourceAsStream(name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Three zones (pcp off): DMA 255 free (min 8), Normal 512 (min 16), HighMem 256 (min 8).
     * 40 clean pages in Normal. "journal" (multishot, GFP_KERNEL) reserves 30: Normal first, so
     * Normal has 30 reserved, all backed by clean pages. "bounce" (oneshot, GFP_DMA)
     * reserves 20 in DMA, and a request of 240 more is refused. Under fault injection, journal
     * serves 3 pages; one more, a DMA allocation, finds no quota in DMA and fails.
     * Then ordinary allocations take every free page of Normal (the clean pages cover its 27
     * reserved ones) and every free page of DMA but bounce's 20; journal serves 2 more by
     * dropping 2 clean pages.
     */
    private static Reservations goldenState(Machine m, List<Page> keep) {
        Reservations rs = Reservations.boot(m);
        PageAllocator pa = m.pageAlloc();
        Rsv.addClean(m, new AddressSpace("file", null), 0, 40, KERNEL);
        keep.clear();
        Reservation journal = rs.create("journal", KERNEL, Reservation.RSV_MULTISHOT);
        Reservation bounce = rs.create("bounce", Gfp.GFP_DMA, Reservation.RSV_ONESHOT);
        journal.reserve(KERNEL, 30);
        bounce.reserve(Gfp.GFP_ATOMIC | Gfp.__GFP_DMA, 20);
        bounce.reserve(Gfp.GFP_ATOMIC, 240);
        pa.failPageAlloc().ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 11);
        try (ReservationScope scope = journal.enter()) {
            for (int i = 0; i < 3; i++) {
                keep.add(pa.allocPages(KERNEL, 0));
            }
            pa.allocPages(Gfp.GFP_NOIO | Gfp.__GFP_DMA, 0);
        }
        pa.failPageAlloc().attr().disable();
        keep.addAll(Rsv.grabAll(m, KERNEL));
        try (ReservationScope scope = journal.enter()) {
            for (int i = 0; i < 2; i++) {
                keep.add(pa.allocPages(Gfp.GFP_NOIO, 0));
            }
        }
        return rs;
    }

    @Test
    void viewMatchesGolden() throws IOException {
        try (Machine m = Rsv.threeZones()) {
            List<Page> keep = new ArrayList<>();
            Reservations rs = goldenState(m, keep);
            rs.checkInvariants();
            assertThat(rs.info()).isEqualTo(golden("reservationinfo.golden"));
        }
    }

    @Test
    void fieldsReadBack() {
        try (Machine m = Rsv.threeZones()) {
            List<Page> keep = new ArrayList<>();
            Reservations rs = goldenState(m, keep);
            String[] lines = rs.info().split("\n");
            assertThat(lines[0]).isEqualTo(ReservationInfo.VERSION_LINE);
            assertThat(lines[2].split("\\s+")).containsExactly("admissions", "2", "2", "0", "1", "0", "0");
            assertThat(lines[4].split("\\s+")).containsExactly("DMA", "20", "20", "0", "0", "0");
            assertThat(lines[5].split("\\s+")).containsExactly("Normal", "25", "0", "38", "25", "0");
            String[] journal = lines[8].split("\\s+");
            assertThat(journal).containsExactly("journal", "multishot", "25", "0", "5", "0", "0", ":", "allocs", "3",
                    "2", "1", ":", "clean", "2", "0", ":", "zones", "Normal,DMA");
        }
    }

    /** A row too wide for its columns widens that line only, and still splits into the fields. */
    @Test
    void wideValuesWidenTheirLineOnly() {
        ReservationStats s = new ReservationStats("a-very-long-reservation-name", false, "HighMem,Normal,DMA",
                123_456_789, 0, 1, 2, 3, 12_345_678_901L, 4, 5, 6, 7);
        String line = ReservationInfo.line(s);
        assertThat(line.split("\\s+")).containsExactly("a-very-long-reservation-name", "oneshot", "123456789", "0", "1",
                "2", "3", ":", "allocs", "12345678901", "4", "5", ":", "clean", "7", "6", ":", "zones",
                "HighMem,Normal,DMA");
    }
}
