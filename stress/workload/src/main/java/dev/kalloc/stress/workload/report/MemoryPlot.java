// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.stress.workload.run.MemorySample;
import dev.kalloc.stress.workload.run.MemorySeries;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The memory time series of one scenario, one panel per guarantee side by side in one PNG: the
 * picture behind claim L4 of the 2001 debate. Each panel plots, against seconds since the load
 * began, the machine's free pages, clean and dirty page cache, unused reserved pages R (all zones
 * summed), the guarantee's effective price in pages (a mempool's idle elements; a reservation's
 * {@code max(0, R - C)}, LaHaise's measure) and the elements or reserved pages in use. Where the
 * clean page cache lies above R, a reservation's price line stays at zero: LaHaise's argument,
 * visible.
 *
 * <p>Decisions:
 * <ul>
 *   <li>Every panel has the same axes (the largest value and the longest run of all), so the
 *       panels compare by eye; a guarantee without samples keeps its place, marked empty.</li>
 *   <li>One legend for all panels, drawn in the header under the title, with fixed colours, so a
 *       small panel is not half legend and a line means the same in every panel.</li>
 *   <li>The panels are separate XChart charts, rendered with {@link BitmapEncoder#getBufferedImage}
 *       and drawn into one image written with {@link ImageIO}; XChart has no grid of charts.</li>
 *   <li>The axes keep XChart's own tick labels: as {@link PercentilePlot} notes, 3.8.8's tick
 *       placement can loop forever with custom label formatters.</li>
 *   <li>"In use" counts elements (pages for a reservation) on the pages axis: for page-sized
 *       elements (bounce pages, a reservation's pages) the two coincide; for others (bios) the
 *       line shows when the guarantee was busy, which is what it is there for.</li>
 * </ul>
 *
 * <p>Needs {@code java.awt.headless=true} on a machine without a display ({@code Main} sets it).
 */
final class MemoryPlot {
    /** Width of one guarantee's panel; the image is this times the number of guarantees. */
    static final int PANEL_WIDTH = 460;
    /** Height of a panel, below the header. */
    static final int PANEL_HEIGHT = 340;

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final int PAD = 8;
    private static final int SWATCH = 22;

    /** One plotted line: its legend text, colour, width, and value (in pages) of a sample. */
    private enum Line {
        FREE("free pages", new Color(0x2CA02C), 1.2f, MemorySample::totalFree),
        CLEAN("clean page cache (C)", new Color(0x1F77B4), 1.2f, MemorySample::totalClean),
        DIRTY("dirty + writeback page cache", new Color(0x8C564B), 1.2f, MemorySample::totalDirty),
        RESERVED("unused reserved pages (R)", new Color(0x9467BD), 1.2f, MemorySample::totalReserved),
        PRICE("effective price: idle elements, or max(0, R - C)", new Color(0xFF7F0E), 2.2f,
                s -> (double) s.effectivePriceBytes() / PhysicalMemory.PAGE_SIZE),
        IN_USE("in use (elements; reserved pages used)", new Color(0x7F7F7F), 1.2f, MemorySample::inUse);

        final String label;
        final Color color;
        final float width;
        final ToDoubleFunction<MemorySample> value;

        Line(String label, Color color, float width, ToDoubleFunction<MemorySample> value) {
            this.label = label;
            this.color = color;
            this.width = width;
            this.value = value;
        }
    }

    private MemoryPlot() {
    }

    /**
     * Writes the panels of {@code series} (one per guarantee, labelled by the label at the same
     * position) to {@code png}.
     *
     * @return false if every series is empty (nothing is written)
     * @throws IllegalArgumentException if the lists are missing, hold nulls, or differ in length
     * @throws IOException if the file cannot be written
     */
    static boolean write(Path png, String title, List<String> guaranteeLabels, List<MemorySeries> series)
            throws IOException {
        if (guaranteeLabels == null || series == null || guaranteeLabels.size() != series.size()
                || guaranteeLabels.stream().anyMatch(Objects::isNull) || series.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("a memory plot needs one label per series, without nulls: "
                    + guaranteeLabels + " for " + (series == null ? null : series.size() + " series"));
        }
        double yMax = 0;
        double tMin = 0;
        double tMax = 0;
        boolean any = false;
        for (MemorySeries s : series) {
            for (MemorySample m : s.samples()) {
                any = true;
                tMin = Math.min(tMin, seconds(m));
                tMax = Math.max(tMax, seconds(m));
                for (Line line : Line.values()) {
                    yMax = Math.max(yMax, line.value.applyAsDouble(m));
                }
            }
        }
        if (!any) {
            return false;
        }
        // An axis whose ends coincide has no scale; a run of one sample or an idle machine gets one.
        yMax = Math.max(1, Math.ceil(yMax * 1.05));
        tMax = Math.max(tMax, tMin + 1);

        int width = PANEL_WIDTH * series.size();
        int header;
        Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            header = header(probe, width, title, false);
        } finally {
            probe.dispose();
        }
        BufferedImage image = new BufferedImage(width, header + PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            header(g, width, title, true);
            for (int i = 0; i < series.size(); i++) {
                int x = i * PANEL_WIDTH;
                if (series.get(i).size() == 0) {
                    emptyPanel(g, x, header, guaranteeLabels.get(i));
                } else {
                    g.drawImage(BitmapEncoder.getBufferedImage(chart(guaranteeLabels.get(i), series.get(i), tMin, tMax,
                            yMax)), x, header, null);
                }
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JVM; cannot write " + png);
        }
        return true;
    }

    private static double seconds(MemorySample s) {
        return s.tMillis() / 1000.0;
    }

    /** One guarantee's panel, on the shared axes. */
    private static XYChart chart(String label, MemorySeries series, double tMin, double tMax, double yMax) {
        String title = String.format(Locale.ROOT, "%s: mean price %.1f pages", label,
                series.meanEffectivePriceBytes() / PhysicalMemory.PAGE_SIZE);
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
                .xAxisTitle("seconds since the load began").yAxisTitle("pages").build();
        XYStyler s = chart.getStyler();
        s.setLegendVisible(false);
        s.setChartBackgroundColor(Color.WHITE);
        s.setXAxisMin(tMin);
        s.setXAxisMax(tMax);
        s.setYAxisMin(0.0);
        s.setYAxisMax(yMax);
        List<MemorySample> samples = series.samples();
        double[] t = new double[samples.size()];
        for (int k = 0; k < t.length; k++) {
            t[k] = seconds(samples.get(k));
        }
        for (Line line : Line.values()) {
            double[] y = new double[t.length];
            for (int k = 0; k < y.length; k++) {
                y[k] = line.value.applyAsDouble(samples.get(k));
            }
            XYSeries xy = chart.addSeries(line.label, t, y);
            xy.setMarker(SeriesMarkers.NONE);
            xy.setLineColor(line.color);
            xy.setLineWidth(line.width);
        }
        return chart;
    }

    /** A panel for a guarantee without samples: its label, and the word. */
    private static void emptyPanel(Graphics2D g, int x, int y, String label) {
        g.setColor(Color.GRAY);
        g.drawRect(x + PAD, y + PAD, PANEL_WIDTH - 2 * PAD, PANEL_HEIGHT - 2 * PAD);
        g.setFont(TITLE_FONT);
        g.drawString(label + ": no samples", x + 2 * PAD, y + PANEL_HEIGHT / 2);
    }

    /**
     * Lays out (and with {@code draw}, draws) the title and the legend, its entries flowing onto
     * as many rows as {@code width} needs.
     *
     * @return the header's height
     */
    private static int header(Graphics2D g, int width, String title, boolean draw) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(TITLE_FONT);
        FontMetrics tm = g.getFontMetrics();
        int y = PAD + tm.getAscent();
        if (draw) {
            g.setColor(Color.BLACK);
            g.drawString(title, Math.max(PAD, (width - tm.stringWidth(title)) / 2), y);
        }
        y += tm.getDescent() + PAD;
        g.setFont(LEGEND_FONT);
        FontMetrics lm = g.getFontMetrics();
        int rowHeight = lm.getHeight() + 4;
        int x = PAD;
        y += lm.getAscent();
        for (Line line : Line.values()) {
            int entry = SWATCH + 6 + lm.stringWidth(line.label) + 3 * PAD;
            if (x > PAD && x + entry > width) {
                x = PAD;
                y += rowHeight;
            }
            if (draw) {
                g.setColor(line.color);
                g.setStroke(new BasicStroke(line.width + 1));
                int mid = y - lm.getAscent() / 2 + 1;
                g.drawLine(x, mid, x + SWATCH, mid);
                g.setColor(Color.BLACK);
                g.drawString(line.label, x + SWATCH + 6, y);
            }
            x += entry;
        }
        return y + lm.getDescent() + PAD;
    }
}
