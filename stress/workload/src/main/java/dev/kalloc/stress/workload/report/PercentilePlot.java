// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A percentile plot in the style of HdrHistogram's plotter: latency against percentile, the
 * percentile axis logarithmic in {@code 1 / (1 - p)}, so that 90%, 99%, 99.9% and 99.99% are
 * equally spaced and the tail gets the room. One series per guarantee, written as a PNG.
 *
 * <p>The x coordinate is {@code log10(1 / (1 - p))}, the number of nines (1 = 90%, 2 = 99%, 3 =
 * 99.9%), on a linear axis whose title says so: XChart 3.8.8's tick placement never ends with
 * custom labels as wide as "99.999%", so the axis keeps its plain numbers. The latency axis is
 * logarithmic, since one guarantee's stall can be a thousand times another's median; latencies
 * below a microsecond are drawn at a microsecond.
 *
 * <p>Each curve ends where the data ends: at the highest percentile with at least
 * {@link Support#MIN_BEYOND} samples beyond it, the same rule the tables use. Beyond that point
 * a curve would only repeat the few largest values, flat out to six nines, as if it had been
 * measured there.
 */
final class PercentilePlot {
    /** The highest percentile plotted: 100% itself would sit at infinity on this axis. */
    static final double MAX_PERCENTILE = 0.999999;

    private PercentilePlot() {
    }

    /** The percentile axis's title, which explains its numbers. */
    static final String X_TITLE = "percentile, in nines: 1 = 90%, 2 = 99%, 3 = 99.9%, 4 = 99.99%, 5 = 99.999%";

    /** The least latency drawn, in milliseconds: the log axis has no zero. */
    static final double MIN_MILLIS = 0.001;

    /** The x coordinate of percentile {@code p} (a fraction in [0, 1)): {@code log10(1 / (1 - p))}. */
    static double x(double p) {
        return Math.log10(1 / (1 - Math.min(p, MAX_PERCENTILE)));
    }

    /**
     * The highest percentile (a fraction) that {@code samples} support: {@code 1 - 10 / samples},
     * at most {@link #MAX_PERCENTILE}; negative when too few samples support any.
     */
    static double lastSupported(long samples) {
        return samples == 0 ? -1 : Math.min(MAX_PERCENTILE, 1 - Support.MIN_BEYOND / (double) samples);
    }

    /**
     * The (x, latency ms) points of {@code h}, ticking 5 times per halving of the distance to
     * 100%, up to {@link #lastSupported} and ending exactly there.
     */
    static double[][] points(Histogram h) {
        List<double[]> pts = new ArrayList<>();
        double last = lastSupported(h.getTotalCount());
        if (last >= 0) {
            for (HistogramIterationValue v : h.percentiles(5)) {
                double p = v.getPercentileLevelIteratedTo() / 100;
                if (p >= last) {
                    break;
                }
                pts.add(new double[] {x(p), Math.max(MIN_MILLIS, v.getValueIteratedTo() / 1e6)});
            }
            pts.add(new double[] {x(last), Math.max(MIN_MILLIS, h.getValueAtPercentile(100 * last) / 1e6)});
        }
        double[][] out = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            out[0][i] = pts.get(i)[0];
            out[1][i] = pts.get(i)[1];
        }
        return out;
    }

    /**
     * Writes the plot of {@code series} (name to histogram, in order) to {@code png}.
     *
     * @return false if no series had a value (nothing written)
     */
    static boolean write(Path png, String title, List<String> names, List<Histogram> histograms) throws IOException {
        XYChart chart = new XYChartBuilder().width(760).height(420).title(title)
                .xAxisTitle(X_TITLE).yAxisTitle("latency from intended start (ms)").build();
        Styler s = chart.getStyler();
        s.setLegendPosition(Styler.LegendPosition.InsideSE);
        s.setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisMin(0.0);
        double xMax = 1;
        for (Histogram h : histograms) {
            xMax = Math.max(xMax, Math.ceil(x(Math.max(0, lastSupported(h.getTotalCount())))));
        }
        chart.getStyler().setXAxisMax(xMax);
        chart.getStyler().setMarkerSize(4);
        boolean any = false;
        for (int i = 0; i < names.size(); i++) {
            double[][] pts = points(histograms.get(i));
            if (pts[0].length == 0) {
                continue;
            }
            XYSeries series = chart.addSeries(names.get(i), pts[0], pts[1]);
            series.setMarker(SeriesMarkers.CIRCLE);
            any = true;
        }
        if (!any) {
            return false;
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
