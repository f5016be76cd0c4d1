// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The /proc views against golden files. The machine and the request sequence are fixed, so every
 * number is determined by the algorithm; the comments derive the interesting ones by hand so that
 * a golden file cannot silently absorb a behaviour change.
 */
class ProcFsGoldenTest {

    /**
     * 16 MiB, scaled i386 layout: DMA = 16 MiB/64 = 256 KiB = pfn 0..63, Normal up to 7/8 =
     * 14 MiB = pfn 64..3583 (3520 pages), HighMem pfn 3584..4095 (512 pages). One CPU.
     */
    private static Machine goldenMachine() {
        return Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).cpus(1).kswapd(false).build());
    }

    /** The fixed history the golden files describe. */
    private static void goldenHistory(Machine m) {
        PageAllocator pa = m.pageAlloc();
        for (int i = 0; i < 3; i++) {
            assertThat(pa.allocPages(Gfp.GFP_KERNEL, 0)).isNotNull();
        }
        assertThat(pa.allocPages(Gfp.GFP_KERNEL, 3)).isNotNull();
        assertThat(pa.allocPages(Gfp.GFP_HIGHUSER, 2)).isNotNull();
        AddressSpace file = new AddressSpace("golden", null);
        for (int i = 0; i < 5; i++) {
            Page p = m.pageCache().addNewPage(file, i, Gfp.GFP_KERNEL);
            if (i < 2) {
                m.pageCache().setPageDirty(p);
            }
        }
        m.zone(Zone.ZONE_NORMAL).addReservedPages(7);
    }

    @Test
    void buddyinfoAfterBootIsDerivableByHand() {
        try (Machine m = goldenMachine()) {
            // DMA: pfn 0 is reserved, so pfn 1..63 merge into blocks 1 (o0), 2-3 (o1), 4-7 (o2),
            // 8-15 (o3), 16-31 (o4), 32-63 (o5).
            // Normal: 3520 = 6*512 + 256 + 128 + 64 pages from an aligned start: o9 x6, o8, o7, o6.
            // HighMem: 512 pages, one o9 block.
            assertThat(ProcFs.buddyinfo(m)).isEqualTo(""
                    + "Node 0, zone      DMA      1      1      1      1      1      1      0      0      0      0 \n"
                    + "Node 0, zone   Normal      0      0      0      0      0      0      1      1      1      6 \n"
                    + "Node 0, zone  HighMem      0      0      0      0      0      0      0      0      0      1 \n");
        }
    }

    @Test
    void buddyinfoMatchesGolden() throws IOException {
        // Normal serves 8 order-0 pages and one order-3 block, all from the o6 block at zone
        // index 3456 (the top-most, smallest block): its splits leave o5 at 3456 and o4 at 3488,
        // every lower piece is consumed. HighMem's order-2 request splits its only o9 block,
        // leaving one block each of o2..o8.
        try (Machine m = goldenMachine()) {
            goldenHistory(m);
            assertThat(ProcFs.buddyinfo(m)).isEqualTo(golden("buddyinfo.txt"));
        }
    }

    @Test
    void zoneinfoMatchesGolden() throws IOException {
        try (Machine m = goldenMachine()) {
            goldenHistory(m);
            // Watermarks: DMA 64/128 = 0 and HighMem 512/128 = 4 clamp up to 20 (20/40/60);
            // Normal 3520/128 = 27 (27/54/81). Per-CPU batch: present/1024 is at most 3, /4 = 0,
            // so 1 everywhere: hot low 2 high 6, cold low 0 high 2.
            assertThat(ProcFs.zoneinfo(m)).isEqualTo(golden("zoneinfo.txt"));
        }
    }

    @Test
    void meminfoMatchesGolden() throws IOException {
        // Free: 63 (DMA) + 3520 - 16 (Normal) + 512 - 4 (HighMem) = 4075 pages = 16300 kB;
        // Cached 5 pages = 20 kB, Dirty 2 pages = 8 kB, HighFree 508 pages = 2032 kB.
        try (Machine m = goldenMachine()) {
            goldenHistory(m);
            assertThat(ProcFs.meminfo(m)).isEqualTo(golden("meminfo.txt"));
        }
    }

    @Test
    void buddyinfoLinesHaveTheKernelLayout() {
        try (Machine m = goldenMachine()) {
            goldenHistory(m);
            for (String line : ProcFs.buddyinfo(m).split("\n")) {
                // "Node %d, zone %8s " then "%6lu " per order.
                assertThat(line).matches("Node 0, zone [ A-Za-z]{8} ( {0,5}\\d{1,6} ){10}");
            }
        }
    }

    @Test
    void meminfoLinesHaveTheKernelLayout() {
        try (Machine m = goldenMachine()) {
            for (String line : ProcFs.meminfo(m).split("\n")) {
                assertThat(line).hasSize(25).matches("[A-Za-z]+: *\\d+ kB");
            }
        }
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = ProcFsGoldenTest.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
