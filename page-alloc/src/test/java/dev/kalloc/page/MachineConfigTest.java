// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import static dev.kalloc.page.MachineConfig.GiB;
import static dev.kalloc.page.MachineConfig.MiB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.tests.TinyMachines;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MachineConfig defaults and validation, and what boot derives from a config: the zones, the
 * watermarks of {@code free_area_init_core} and the per-CPU batch of 2.5.45.
 */
class MachineConfigTest {

    @Test
    void builderDefaults() {
        MachineConfig c = MachineConfig.builder().build();
        assertThat(c.memory()).isEqualTo(64 * MiB);
        assertThat(c.nrCpus()).isEqualTo(2);
        assertThat(c.maxOrder()).isEqualTo(10);
        assertThat(c.perCpuLists()).isTrue();
        assertThat(c.zoneBalanceRatio()).isEqualTo(128);
        assertThat(c.zoneBalanceMin()).isEqualTo(20);
        assertThat(c.zoneBalanceMax()).isEqualTo(255);
        assertThat(c.kswapd()).isTrue();
        assertThat(c.oomPolicy().waits()).isFalse();
        assertThat(c.oomPolicy().rounds()).isEqualTo(8);
    }

    @ParameterizedTest(name = "{0} bytes -> DMA < {1}, Normal < {2}")
    @CsvSource({
        // i386 for 1 GiB and more: MAX_DMA_ADDRESS 16 MiB, MAXMEM 896 MiB
        "1073741824, 16777216, 939524096",
        "4294967296, 16777216, 939524096",
        "1610612736, 16777216, 939524096",
        // below 1 GiB the same proportions: 1/64 and 7/8, page aligned
        "536870912, 8388608, 469762048",
        "67108864, 1048576, 58720256",
        "4194304, 65536, 3670016",
        // 1 GiB - 4 KiB: 1073737728/64 = 16777152 -> 16773120; *7/8 = 939520512 -> 939520000
        "1073737728, 16773120, 939520000",
        // so small that DMA rounds down to nothing
        "131072, 0, 114688"})
    void defaultZoneLimits(long memory, long dma, long normal) {
        MachineConfig c = MachineConfig.builder().memory(memory).build();
        assertThat(c.dmaLimit()).isEqualTo(dma);
        assertThat(c.normalLimit()).isEqualTo(normal);
        assertThat(MachineConfig.I386_DMA_LIMIT).isEqualTo(16 * MiB);
        assertThat(MachineConfig.I386_MAXMEM).isEqualTo(896 * MiB);
    }

    @Test
    void settingMemoryResetsExplicitZoneLimits() {
        MachineConfig c = MachineConfig.builder().zoneLimits(2 * MiB, 3 * MiB).memory(64 * MiB).build();
        assertThat(c.dmaLimit()).isEqualTo(MiB);
        assertThat(c.normalLimit()).isEqualTo(56 * MiB);
        MachineConfig explicit = MachineConfig.builder().memory(64 * MiB).zoneLimits(2 * MiB, 3 * MiB).build();
        assertThat(explicit.dmaLimit()).isEqualTo(2 * MiB);
        assertThat(explicit.normalLimit()).isEqualTo(3 * MiB);
    }

    @Test
    void toBuilderReproducesTheConfig() {
        MachineConfig c = TinyMachines.threeZones().cpus(3).maxOrder(7).build();
        MachineConfig copy = c.toBuilder().build();
        assertThat(copy.toString()).isEqualTo(c.toString());
        assertThat(copy.oomPolicy()).isSameAs(c.oomPolicy());
        assertThat(c.toBuilder().cpus(5).build().nrCpus()).isEqualTo(5);
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                bad("memory 0", b -> b.memory(0)),
                bad("negative memory", b -> b.memory(-4096)),
                bad("memory not page aligned", b -> b.memory(4097)),
                bad("more frames than an int", b -> b.memory(1L << 44)),
                bad("dma limit not aligned", b -> b.zoneLimits(MiB + 1, 2 * MiB)),
                bad("normal limit not aligned", b -> b.zoneLimits(MiB, 2 * MiB + 512)),
                bad("dma above normal", b -> b.zoneLimits(2 * MiB, MiB)),
                bad("negative dma", b -> b.zoneLimits(-4096, MiB)),
                bad("empty Normal below memory", b -> b.memory(8 * MiB).zoneLimits(MiB, MiB)),
                bad("no cpu", b -> b.cpus(0)),
                bad("too many cpus", b -> b.cpus(1025)),
                bad("MAX_ORDER 0", b -> b.maxOrder(0)),
                bad("MAX_ORDER 21", b -> b.maxOrder(21)),
                bad("ratio 0", b -> b.zoneBalance(0, 20, 255)),
                bad("min above max", b -> b.zoneBalance(128, 30, 20)),
                bad("negative min", b -> b.zoneBalance(128, -1, 20)),
                bad("no OOM policy", b -> b.oomPolicy(null)));
    }

    private static Arguments bad(String name, UnaryOperator<MachineConfig.Builder> change) {
        return Arguments.of(name, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void invalidConfigsAreRejected(String name, UnaryOperator<MachineConfig.Builder> change) {
        MachineConfig.Builder b = change.apply(MachineConfig.builder());
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("machine config:");
    }

    @Test
    void boundaryConfigsAreAccepted() {
        MachineConfig dmaOnly = MachineConfig.builder().memory(4 * MiB).zoneLimits(8 * MiB, 8 * MiB).build();
        assertThat(dmaOnly.dmaLimit()).isEqualTo(8 * MiB);
        MachineConfig c = MachineConfig.builder().cpus(1024).maxOrder(20).zoneBalance(1, 0, 0).build();
        assertThat(c.nrCpus()).isEqualTo(1024);
        assertThat(MachineConfig.builder().maxOrder(1).cpus(1).build().maxOrder()).isEqualTo(1);
    }

    @Test
    void oomPolicyValidation() {
        assertThatThrownBy(() -> OomPolicy.failAfter(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(OomPolicy.failAfter(3).rounds()).isEqualTo(3);
        assertThat(OomPolicy.waitForFree().waits()).isTrue();
        assertThat(OomPolicy.waitForFree()).hasToString("waitForFree");
        assertThat(OomPolicy.failAfter(2)).hasToString("failAfter(2)");
    }

    // -------------------------------------------------------------------------------------------
    // What boot derives
    // -------------------------------------------------------------------------------------------

    @Test
    void oneGibMachineHasTheI386ZonesWatermarksAndBatches() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(GiB).kswapd(false).build())) {
            Zone dma = m.zone(Zone.ZONE_DMA);
            Zone normal = m.zone(Zone.ZONE_NORMAL);
            Zone high = m.zone(Zone.ZONE_HIGHMEM);
            assertThat(m.zones()).containsExactly(dma, normal, high);
            assertThat(m.nrPages()).isEqualTo(262144);

            assertThat(dma.startPfn()).isZero();
            assertThat(dma.size()).isEqualTo(4096);
            assertThat(normal.startPfn()).isEqualTo(4096);
            assertThat(normal.size()).isEqualTo(225280);
            assertThat(high.startPfn()).isEqualTo(229376);
            assertThat(high.size()).isEqualTo(32768);
            assertThat(List.of(dma.name(), normal.name(), high.name())).containsExactly("DMA", "Normal", "HighMem");

            // size/128: DMA 4096/128 = 32; Normal 1760 and HighMem 256 clamp to 255.
            assertWatermarks(dma, 32);
            assertWatermarks(normal, 255);
            assertWatermarks(high, 255);

            // batch = size/1024, capped at 256 KiB of pages (64), then /4, min 1:
            // DMA 4 -> 1; Normal 220 -> 64 -> 16; HighMem 32 -> 8.
            assertBatch(dma, 1);
            assertBatch(normal, 16);
            assertBatch(high, 8);

            assertThat(dma.freePages()).isEqualTo(4095);
            assertThat(normal.freePages()).isEqualTo(225280);
            assertThat(m.pfnToPage(229376).isHighMem()).isTrue();
            assertThat(m.pfnToPage(229376).testFlag(Page.PG_highmem)).isTrue();
            assertThat(m.pfnToPage(229375).isHighMem()).isFalse();
        }
    }

    @Test
    void tinyZonesClampTheirWatermarksToTheMinimum() {
        // 4 MiB default layout: DMA 16 pages, Normal 880, HighMem 128: all below 20*128.
        try (Machine m = Machine.boot(MachineConfig.builder().memory(4 * MiB).kswapd(false).build())) {
            assertThat(m.zone(Zone.ZONE_DMA).size()).isEqualTo(16);
            assertThat(m.zone(Zone.ZONE_NORMAL).size()).isEqualTo(880);
            assertThat(m.zone(Zone.ZONE_HIGHMEM).size()).isEqualTo(128);
            for (Zone z : m.zones()) {
                assertWatermarks(z, 20);
            }
        }
    }

    @Test
    void zoneBalanceRatioAndBoundsAreApplied() {
        // Normal 880 pages: 880/16 = 55, inside [1, 255]; DMA 16/16 = 1; HighMem 128/16 = 8.
        try (Machine m = Machine.boot(MachineConfig.builder().memory(4 * MiB).zoneBalance(16, 1, 255)
                .kswapd(false).build())) {
            assertWatermarks(m.zone(Zone.ZONE_NORMAL), 55);
            assertWatermarks(m.zone(Zone.ZONE_DMA), 1);
            assertWatermarks(m.zone(Zone.ZONE_HIGHMEM), 8);
        }
        // Bounds [5, 10]: Normal 55 -> 10, DMA 1 -> 5, HighMem 8 stays.
        try (Machine m = Machine.boot(MachineConfig.builder().memory(4 * MiB).zoneBalance(16, 5, 10)
                .kswapd(false).build())) {
            assertWatermarks(m.zone(Zone.ZONE_NORMAL), 10);
            assertWatermarks(m.zone(Zone.ZONE_DMA), 5);
            assertWatermarks(m.zone(Zone.ZONE_HIGHMEM), 8);
        }
    }

    @ParameterizedTest(name = "{0} pages -> batch {1}")
    @CsvSource({
        "1024, 1",      // 1/4 = 0 -> minimum 1
        "4096, 1",      // 4/4
        "8192, 2",      // 8/4
        "20480, 5",     // 20/4
        "64512, 15",    // 63/4
        "65536, 16",    // 64 pages = exactly 256 KiB: not capped, 64/4
        "66560, 16"})   // 65 -> capped at 64, /4
    void perCpuBatch(int pages, int batch) {
        try (Machine m = Machine.boot(TinyMachines.normalOnly(pages).build())) {
            assertBatch(m.zone(Zone.ZONE_NORMAL), batch);
        }
    }

    @Test
    void perCpuListsOffMeansNoPagesets() {
        try (Machine m = Machine.boot(TinyMachines.threeZones().perCpuLists(false).build())) {
            for (Zone z : m.zones()) {
                assertThat(z.pageset).isNull();
                assertThat(z.perCpuPages()).isZero();
            }
        }
    }

    @Test
    void setWatermarksValidates() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Zone z = m.zone(Zone.ZONE_NORMAL);
            z.setWatermarks(1, 2, 3);
            assertThat(List.of(z.pagesMin(), z.pagesLow(), z.pagesHigh())).containsExactly(1, 2, 3);
            assertThatThrownBy(() -> z.setWatermarks(-1, 2, 3)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> z.setWatermarks(3, 2, 3)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> z.setWatermarks(1, 3, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThat(List.of(z.pagesMin(), z.pagesLow(), z.pagesHigh())).containsExactly(1, 2, 3);
        }
    }

    @Test
    void zonesOfTheThreeZonePreset() {
        try (Machine m = TinyMachines.bootThreeZones()) {
            assertThat(m.zones()).extracting(Zone::startPfn).containsExactly(0, 256, 768);
            assertThat(m.zones()).extracting(Zone::size).containsExactly(256, 512, 256);
            assertWatermarks(m.zone(Zone.ZONE_DMA), 8);
            assertWatermarks(m.zone(Zone.ZONE_NORMAL), 16);
            assertWatermarks(m.zone(Zone.ZONE_HIGHMEM), 8);
            assertThat(m.pageAlloc().nrFreePages()).isEqualTo(1023);
        }
    }

    @Test
    void emptyZonesAreLeftOut() {
        try (Machine m = Machine.boot(MachineConfig.builder().memory(4 * MiB).zoneLimits(8 * MiB, 8 * MiB)
                .kswapd(false).build())) {
            assertThat(m.zones()).hasSize(1);
            assertThat(m.zone(Zone.ZONE_DMA).size()).isEqualTo(1024);
            assertThat(m.zone(Zone.ZONE_NORMAL)).isNull();
            assertThat(m.zone(Zone.ZONE_HIGHMEM)).isNull();
        }
        try (Machine m = Machine.boot(TinyMachines.normalOnly(512).build())) {
            assertThat(m.zones()).extracting(Zone::name).containsExactly("Normal");
            assertThat(m.zone(Zone.ZONE_NORMAL).startPfn()).isZero();
        }
    }

    private static void assertWatermarks(Zone z, int mask) {
        assertThat(List.of(z.pagesMin(), z.pagesLow(), z.pagesHigh())).as("zone %s min/low/high", z.name())
                .containsExactly(mask, 2 * mask, 3 * mask);
    }

    private static void assertBatch(Zone z, int batch) {
        for (PerCpuPages[] cpu : z.pageset) {
            PerCpuPages hot = cpu[0];
            PerCpuPages cold = cpu[1];
            assertThat(List.of(hot.batch, hot.low, hot.high)).as("zone %s hot batch/low/high", z.name())
                    .containsExactly(batch, 2 * batch, 6 * batch);
            assertThat(List.of(cold.batch, cold.low, cold.high)).as("zone %s cold batch/low/high", z.name())
                    .containsExactly(batch, 0, 2 * batch);
        }
        assertThat(z.pageset.length).isEqualTo(z.machine().config().nrCpus());
    }
}
