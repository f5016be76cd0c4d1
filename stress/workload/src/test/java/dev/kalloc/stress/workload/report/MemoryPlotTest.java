// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.stress.workload.run.MemorySample;
import dev.kalloc.stress.workload.run.MemorySeries;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The side-by-side memory plot: one panel per guarantee in one PNG, nothing for no samples. */
class MemoryPlotTest {
    private static final List<String> LABELS = List.of("mempool-2.5.1", "mempool-modern", "reservation", "none");

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** Thirty seconds of a machine under a load that comes and goes. */
    private static MemorySeries series(int reserved, long pricePages) {
        List<MemorySample> samples = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int wave = (int) (200 * (1 + Math.sin(i / 20.0)));
            samples.add(new MemorySample(100L * i, new int[] {100, 2000 - wave}, new int[] {0, 300 + wave},
                    new int[] {5, i}, new int[] {0, reserved}, pricePages * 4096, Math.max(0, reserved - 300 - wave)
                            * 4096L, wave / 10));
        }
        return new MemorySeries(2, samples);
    }

    @Test
    void fourGuaranteesSideBySideInOneImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("memory.png");
        List<MemorySeries> series = List.of(series(0, 64), series(0, 64), series(512, 0), series(0, 0));
        assertThat(MemoryPlot.write(png, "writeback: memory over time", LABELS, series)).isTrue();
        assertThat(Files.size(png)).isPositive();
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(4 * MemoryPlot.PANEL_WIDTH);
        assertThat(image.getHeight()).isGreaterThan(MemoryPlot.PANEL_HEIGHT);
    }

    @Test
    void aGuaranteeWithoutSamplesKeepsItsPlace(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("memory.png");
        List<MemorySeries> series = List.of(series(0, 64), new MemorySeries(2, List.of()),
                new MemorySeries(2, List.of()), new MemorySeries(2, List.of()));
        assertThat(MemoryPlot.write(png, "one run deadlocked early", LABELS, series)).isTrue();
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(4 * MemoryPlot.PANEL_WIDTH);
    }

    @Test
    void noSamplesAnywhereWritesNothing(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("memory.png");
        List<MemorySeries> empty = new ArrayList<>();
        for (int i = 0; i < LABELS.size(); i++) {
            empty.add(new MemorySeries(2, List.of()));
        }
        assertThat(MemoryPlot.write(png, "nothing", LABELS, empty)).isFalse();
        assertThat(png).doesNotExist();
        assertThat(MemoryPlot.write(png, "nothing", List.of(), List.of())).isFalse();
        assertThat(png).doesNotExist();
    }

    @Test
    void labelsAndSeriesMustPair(@TempDir Path dir) {
        assertThatThrownBy(() -> MemoryPlot.write(dir.resolve("x.png"), "t", LABELS, List.of(series(0, 0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one label per series");
    }
}
