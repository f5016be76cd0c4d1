// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The sweep's two plots, one curve per guarantee (the median over trials) inside its interval
 * band (a translucent polygon from the interval's low ends out and its high ends back):
 * <ul>
 *   <li>failed share of operations against the pressure step, from plenty of free memory on the
 *       left to none on the right (steps evenly spaced and labelled, since they crowd towards
 *       zero), with the steps at which a trial deadlocked or lost data marked at the top;</li>
 *   <li>p99 of successes (logarithmic) against the offered rate (its doublings evenly spaced,
 *       so logarithmic too, and labelled), with the stall threshold as a line and each
 *       guarantee's knee marked.</li>
 * </ul>
 */
final class SweepPlot {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};
    private static final int BAND_ALPHA = 50;

    private SweepPlot() {
    }

    /** One curve: x values, median, and the interval's ends (NaN where there is none). */
    record Curve(String name, double[] x, double[] median, double[] lo, double[] hi) {
    }

    /**
     * The pressure plot of one scenario under one OOM policy.
     *
     * @param stepLabels the steps' labels, x = 0, 1, ... from plenty to none
     * @param broken x of the steps at which some guarantee deadlocked or lost data, per guarantee
     */
    static void pressure(Path png, String title, List<String> stepLabels, List<Curve> curves, List<double[]> broken)
            throws IOException {
        XYChart chart = chart(title, "free memory left by the pressure (% of what set-up left)",
                "failed operations (% of begun)");
        indexAxis(chart, stepLabels);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(105.0);
        for (int i = 0; i < curves.size(); i++) {
            add(chart, curves.get(i), COLORS[i % COLORS.length]);
            double[] b = broken.get(i);
            if (b.length > 0) {
                double[] top = new double[b.length];
                java.util.Arrays.fill(top, 100.0 + i);
                XYSeries s = chart.addSeries(curves.get(i).name() + ": deadlock or data lost", b, top);
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                s.setMarker(SeriesMarkers.DIAMOND);
                s.setMarkerColor(COLORS[i % COLORS.length]);
            }
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * The latency plot of one scenario.
     *
     * @param rateLabels the rates' labels, x = 0, 1, ... (each rate double the one before)
     * @param knees per curve, {x, y} of its knee, or null if it has none on the plot
     */
    static void load(Path png, String title, List<String> rateLabels, List<Curve> curves, List<double[]> knees,
            double stallMillis) throws IOException {
        XYChart chart = chart(title, "offered rate (operations/s; each step doubles it)", "p99 of successes (ms)");
        indexAxis(chart, rateLabels);
        chart.getStyler().setYAxisLogarithmic(true);
        boolean any = false;
        for (int i = 0; i < curves.size(); i++) {
            any |= add(chart, curves.get(i), COLORS[i % COLORS.length]);
        }
        List<Double> kx = new ArrayList<>();
        List<Double> ky = new ArrayList<>();
        for (double[] k : knees) {
            if (k != null && k[1] > 0) {
                kx.add(k[0]);
                ky.add(k[1]);
            }
        }
        if (!kx.isEmpty()) {
            XYSeries s = chart.addSeries("knee", kx, ky);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.DIAMOND);
            s.setMarkerColor(Color.BLACK);
        }
        if (any && Double.isFinite(stallMillis)) {
            XYSeries s = chart.addSeries("stall threshold", new double[] {0, rateLabels.size() - 1.0},
                    new double[] {stallMillis, stallMillis});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Color.GRAY);
        }
        if (!any) {
            chart.addSeries("no p99 with enough samples at any rate", new double[] {0, rateLabels.size() - 1.0},
                    new double[] {1, 1}).setMarker(SeriesMarkers.NONE);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * An x axis of evenly spaced points 0, 1, ... labelled {@code labels}: ticks land on whole
     * numbers only when the axis runs from the first point to the last.
     */
    private static void indexAxis(XYChart chart, List<String> labels) {
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(Math.max(1.0, labels.size() - 1.0));
        chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> {
            long i = Math.round(x);
            // A blank, not an empty string: XChart cannot lay out an empty label.
            return Math.abs(x - i) < 1e-6 && i >= 0 && i < labels.size() ? labels.get((int) i) : " ";
        });
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(760).height(420).title(title).xAxisTitle(x).yAxisTitle(y).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(6);
        return chart;
    }

    /** Adds a curve's band and its median line; false if it has no point. */
    private static boolean add(XYChart chart, Curve c, Color color) {
        List<Double> bx = new ArrayList<>();
        List<Double> by = new ArrayList<>();
        List<Double> mx = new ArrayList<>();
        List<Double> my = new ArrayList<>();
        for (int i = 0; i < c.x().length; i++) {
            if (!Double.isNaN(c.median()[i])) {
                mx.add(c.x()[i]);
                my.add(c.median()[i]);
            }
        }
        if (mx.isEmpty()) {
            return false;
        }
        for (int i = 0; i < c.x().length; i++) {
            if (!Double.isNaN(c.lo()[i])) {
                bx.add(c.x()[i]);
                by.add(c.lo()[i]);
            }
        }
        for (int i = c.x().length - 1; i >= 0; i--) {
            if (!Double.isNaN(c.hi()[i])) {
                bx.add(c.x()[i]);
                by.add(c.hi()[i]);
            }
        }
        if (bx.size() >= 3) {
            XYSeries band = chart.addSeries(c.name() + " interval", bx, by);
            band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            band.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), BAND_ALPHA));
            band.setLineColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), BAND_ALPHA));
            band.setMarker(SeriesMarkers.NONE);
            band.setShowInLegend(false);
        }
        XYSeries line = chart.addSeries(c.name(), mx, my);
        line.setLineColor(color);
        line.setMarkerColor(color);
        line.setMarker(SeriesMarkers.CIRCLE);
        return true;
    }
}
