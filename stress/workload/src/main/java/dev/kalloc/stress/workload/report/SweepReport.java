// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.SweepConfig;
import dev.kalloc.stress.workload.run.SweepPoint;
import dev.kalloc.stress.workload.run.Text;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a sweep's findings ({@link SweepAnalysis}) into the sweep's folder: {@code summary.json},
 * {@code index.html} with the breaking points and knees on top, the knee tests, one failure plot
 * per scenario and OOM policy and one latency plot per scenario ({@link SweepPlot}), and the table
 * of every step; and the same two tables as text for the terminal. Each point's own outputs
 * ({@code kalloc.hlog}, {@code .hgrm} files, {@code summary.json}) stay in its folder, linked.
 */
public final class SweepReport {
    public static final String INDEX = "index.html";
    public static final String SUMMARY = "summary.json";

    private final SweepAnalysis a;
    private final SweepConfig config;
    private final List<SweepPoint> points;
    private final String command;

    public SweepReport(SweepAnalysis analysis, SweepConfig config, List<SweepPoint> points, String command) {
        this.a = analysis;
        this.config = config;
        this.points = points;
        this.command = command;
    }

    private List<String> guarantees() {
        return config.base().guarantees().stream().map(g -> g.label()).toList();
    }

    private List<String> scenarios() {
        return config.base().scenarios();
    }

    private SweepAnalysis.BreakingPoint breakingPoint(boolean waits, String scenario, String guarantee) {
        for (SweepAnalysis.BreakingPoint b : a.breakingPoints()) {
            if (b.oomWaits() == waits && b.scenario().equals(scenario) && b.guarantee().equals(guarantee)) {
                return b;
            }
        }
        return null;
    }

    private SweepAnalysis.Knee knee(String scenario, String guarantee) {
        for (SweepAnalysis.Knee k : a.knees()) {
            if (k.scenario().equals(scenario) && k.guarantee().equals(guarantee)) {
                return k;
            }
        }
        return null;
    }

    /** A breaking point in a few words: {@code kept going}, or the step and the outcomes there. */
    public static String text(SweepAnalysis.BreakingPoint b) {
        if (b == null) {
            return "-";
        }
        return b.keptGoing() ? "kept going" : Text.percent(b.firstBreak()) + "% (" + b.outcome() + ")";
    }

    private String lowest() {
        List<Double> s = config.steps();
        return Text.percent(s.get(s.size() - 1)) + "%";
    }

    /** The breaking-point and knee tables, and the knee tests, for the terminal. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("Breaking points: the first step, from ").append(Text.percent(config.steps().get(0)))
                .append("% free to ").append(lowest()).append(", at which a cell broke (a deadlock, lost data or an")
                .append(" error in any trial, or failed operations in most); 'kept going' to ").append(lowest()).append('\n');
        List<String> gs = guarantees();
        // Each column as wide as its widest entry, so that one long outcome does not widen all.
        StringBuilder row = new StringBuilder("%-5s %-10s");
        for (String g : gs) {
            int w = g.length();
            for (boolean waits : new boolean[] {false, true}) {
                for (String s : scenarios()) {
                    w = Math.max(w, text(breakingPoint(waits, s, g)).length());
                }
            }
            row.append(" %-").append(w).append('s');
        }
        row.append("%n");
        List<Object> head = new ArrayList<>(List.of("oom", "scenario"));
        head.addAll(gs);
        sb.append(String.format(Locale.ROOT, row.toString(), head.toArray()).stripTrailing()).append('\n');
        for (boolean waits : new boolean[] {false, true}) {
            for (String s : scenarios()) {
                List<Object> cells = new ArrayList<>(List.of(waits ? "wait" : "fail", s));
                for (String g : gs) {
                    cells.add(text(breakingPoint(waits, s, g)));
                }
                sb.append(String.format(Locale.ROOT, row.toString(), cells.toArray()).stripTrailing()).append('\n');
            }
        }
        int w = 16;
        if (!a.knees().isEmpty()) {
            sb.append('\n').append(kneeTitle()).append('\n');
            String krow = "%-10s" + (" %-" + w + "s").repeat(gs.size()) + "%n";
            List<Object> kh = new ArrayList<>(List.of("scenario"));
            kh.addAll(gs);
            sb.append(String.format(Locale.ROOT, krow, kh.toArray()).stripTrailing()).append('\n');
            for (String s : scenarios()) {
                List<Object> cells = new ArrayList<>(List.of(s));
                for (String g : gs) {
                    SweepAnalysis.Knee k = knee(s, g);
                    cells.add(k == null ? "-" : k.text());
                }
                sb.append(String.format(Locale.ROOT, krow, cells.toArray()).stripTrailing()).append('\n');
            }
            for (String s : scenarios()) {
                for (SweepAnalysis.KneeTest t : a.kneeTests(s)) {
                    sb.append(kneeTest(t)).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private String kneeTitle() {
        return "Knees at --free " + Text.percent(config.loadFree()) + "% --oom fail: the highest rate sustained from "
                + Text.percent(config.rateFrom()) + "/s doubling (completed >= "
                + Math.round(SweepConfig.SATURATION * 100) + "% of offered and p99 within "
                + Text.duration(config.base().stallThreshold()) + "; '<': not even the first, '>=': never broke)";
    }

    static String kneeTest(SweepAnalysis.KneeTest t) {
        return String.format(Locale.ROOT, "%s: %s's knee is below %s's: at %s/s %s, p = %.3g, %s", t.scenario(),
                t.lower(), t.higher(), Text.percent(t.rate()), t.measure().equals("p99") ? "p99" : "completed share",
                t.p(), t.significant() ? "significant (Holm, 5%)" : "not significant");
    }

    /** Writes {@code summary.json}, the plots and {@code index.html}; returns the index's path. */
    public Path write(Path dir) throws IOException {
        Files.writeString(dir.resolve(SUMMARY), json(), StandardCharsets.UTF_8);
        Map<String, List<String>> plots = writePlots(dir);
        Path index = dir.resolve(INDEX);
        Files.writeString(index, html(plots), StandardCharsets.UTF_8);
        return index;
    }

    private Map<String, List<String>> writePlots(Path dir) throws IOException {
        Map<String, List<String>> plots = new LinkedHashMap<>();
        List<Double> steps = config.steps();
        List<String> labels = steps.stream().map(f -> Text.percent(f) + "%").toList();
        for (String s : scenarios()) {
            List<String> mine = new ArrayList<>();
            for (boolean waits : new boolean[] {false, true}) {
                List<SweepPlot.Curve> curves = new ArrayList<>();
                List<double[]> broken = new ArrayList<>();
                boolean any = false;
                for (String g : guarantees()) {
                    Estimate[] at = new Estimate[steps.size()];
                    List<Double> br = new ArrayList<>();
                    for (SweepAnalysis.PressureStep p : a.pressure()) {
                        if (p.point().oomWaits() != waits || !p.scenario().equals(s) || !p.guarantee().equals(g)) {
                            continue;
                        }
                        int i = steps.indexOf(p.point().freePercent());
                        at[i] = p.failedShare();
                        Cell c = p.stats().cell();
                        if (c.deadlocks() + c.mismatches() + c.errors() > 0) {
                            br.add((double) i);
                        }
                        any = true;
                    }
                    curves.add(curve(g, at, 100));
                    broken.add(br.stream().mapToDouble(Double::doubleValue).toArray());
                }
                if (any) {
                    String name = "pressure-" + (waits ? "wait" : "fail") + "-" + s + ".png";
                    SweepPlot.pressure(dir.resolve(name), s + ": failed operations by free memory, --oom "
                            + (waits ? "wait" : "fail"), labels, curves, broken);
                    mine.add(name);
                }
            }
            if (writeLoadPlot(dir, s)) {
                mine.add("load-" + s + ".png");
            }
            plots.put(s, mine);
        }
        return plots;
    }

    private boolean writeLoadPlot(Path dir, String s) throws IOException {
        // The rates this scenario ran, from the first: each doubles the one before.
        List<Double> rates = new ArrayList<>();
        for (double r : config.loadRates()) {
            if (a.load().stream().anyMatch(l -> l.scenario().equals(s) && l.rate() == r)) {
                rates.add(r);
            }
        }
        if (rates.isEmpty()) {
            return false;
        }
        List<SweepPlot.Curve> curves = new ArrayList<>();
        List<double[]> knees = new ArrayList<>();
        for (String g : guarantees()) {
            Estimate[] byRate = new Estimate[rates.size()];
            for (SweepAnalysis.LoadStep l : a.load()) {
                int i = rates.indexOf(l.rate());
                CellStats.Figure f = l.stats().figure(Metric.P99);
                if (l.scenario().equals(s) && l.guarantee().equals(g) && i >= 0 && f.present()) {
                    byRate[i] = f.estimate();
                }
            }
            SweepPlot.Curve curve = curve(g, byRate, 1);
            curves.add(curve);
            SweepAnalysis.Knee k = knee(s, g);
            double[] at = null;
            if (k != null && !Double.isNaN(k.knee())) {
                int i = rates.indexOf(k.knee());
                if (i >= 0 && byRate[i] != null) {
                    at = new double[] {i, curve.median()[i]};
                }
            }
            knees.add(at);
        }
        SweepPlot.load(dir.resolve("load-" + s + ".png"), s + ": p99 by offered rate (--free "
                + Text.percent(config.loadFree()) + "%, --oom fail)", rates.stream().map(Text::percent).toList(), curves,
                knees, config.base().stallThreshold().toNanos() / 1e6);
        return true;
    }

    /**
     * The curve of {@code at} (an estimate per evenly spaced point, null where there is none),
     * each figure times {@code scale}.
     */
    private static SweepPlot.Curve curve(String name, Estimate[] at, double scale) {
        int n = at.length;
        double[] x = new double[n];
        double[] med = new double[n];
        double[] lo = new double[n];
        double[] hi = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            med[i] = at[i] == null ? Double.NaN : scale * at[i].median();
            lo[i] = at[i] == null ? Double.NaN : scale * at[i].lo();
            hi[i] = at[i] == null ? Double.NaN : scale * at[i].hi();
        }
        return new SweepPlot.Curve(name, x, med, lo, hi);
    }

    String json() {
        Json j = new Json();
        j.beginObject();
        j.name("command").value(command);
        j.name("scenarios").beginArray();
        scenarios().forEach(j::value);
        j.endArray();
        j.name("guarantees").beginArray();
        guarantees().forEach(j::value);
        j.endArray();
        j.name("trials").value(config.base().trials());
        j.name("free_steps_percent").beginArray();
        config.steps().forEach(j::value);
        j.endArray();
        j.name("load_free_percent").value(config.loadFree());
        j.name("saturation").value(SweepConfig.SATURATION);
        j.name("stall_threshold_ms").value(config.base().stallThreshold().toNanos() / 1e6);
        j.name("points").beginArray();
        for (SweepPoint p : points) {
            j.beginObject().name("folder").value(p.folder()).name("kind").value(p.kind().name().toLowerCase(Locale.ROOT))
                    .name("oom").value(p.oom()).name("free_percent").value(p.freePercent()).name("rate").value(p.rate())
                    .endObject();
        }
        j.endArray();
        j.name("breaking_points").beginArray();
        for (SweepAnalysis.BreakingPoint b : a.breakingPoints()) {
            j.beginObject().name("oom").value(b.oomWaits() ? "wait" : "fail").name("scenario").value(b.scenario())
                    .name("guarantee").value(b.guarantee()).name("kept_going").value(b.keptGoing());
            if (!b.keptGoing()) {
                j.name("first_break_free_percent").value(b.firstBreak());
            }
            j.name("outcome").value(b.outcome()).endObject();
        }
        j.endArray();
        j.name("knees").beginArray();
        for (SweepAnalysis.Knee k : a.knees()) {
            j.beginObject().name("scenario").value(k.scenario()).name("guarantee").value(k.guarantee())
                    .name("knee").value(k.text());
            if (!Double.isNaN(k.knee())) {
                j.name("knee_rate").value(k.knee());
            }
            if (!Double.isNaN(k.brokeAt())) {
                j.name("broke_at_rate").value(k.brokeAt()).name("why").value(k.why());
            }
            j.endObject();
        }
        j.endArray();
        j.name("knee_tests").beginArray();
        for (SweepAnalysis.KneeTest t : a.kneeTests()) {
            j.beginObject().name("scenario").value(t.scenario()).name("lower").value(t.lower()).name("higher")
                    .value(t.higher()).name("rate").value(t.rate()).name("measure").value(t.measure()).name("p")
                    .value(t.p()).name("significant").value(t.significant()).endObject();
        }
        j.endArray();
        j.name("pressure").beginArray();
        for (SweepAnalysis.PressureStep p : a.pressure()) {
            j.beginObject().name("oom").value(p.point().oom()).name("free_percent").value(p.point().freePercent())
                    .name("scenario").value(p.scenario()).name("guarantee").value(p.guarantee())
                    .name("outcomes").value(p.stats().cell().outcomes()).name("breaks").value(p.breaks());
            if (p.failedShare() != null) {
                estimate(j, "failed_share", p.failedShare());
            }
            figure(j, p.stats().figure(Metric.P99));
            figure(j, p.stats().figure(Metric.PRICE));
            j.endObject();
        }
        j.endArray();
        j.name("load").beginArray();
        for (SweepAnalysis.LoadStep l : a.load()) {
            j.beginObject().name("rate").value(l.rate()).name("scenario").value(l.scenario()).name("guarantee")
                    .value(l.guarantee()).name("outcomes").value(l.stats().cell().outcomes())
                    .name("sustained").value(l.sustained()).name("why").value(l.why());
            estimate(j, "done_share", l.doneShare());
            figure(j, l.stats().figure(Metric.P50));
            figure(j, l.stats().figure(Metric.P99));
            figure(j, l.stats().figure(Metric.P99_9));
            j.endObject();
        }
        j.endArray();
        j.endObject();
        return j.toString();
    }

    private static void estimate(Json j, String name, Estimate e) {
        j.name(name).beginObject().name("median").value(e.median()).name("lo").value(e.lo()).name("hi").value(e.hi())
                .name("confidence").value(e.confidence()).endObject();
    }

    private static void figure(Json j, CellStats.Figure f) {
        if (f.present()) {
            estimate(j, f.metric().label(), f.estimate());
        }
    }

    private String html(Map<String, List<String>> plots) {
        StringBuilder h = new StringBuilder(Report.htmlHead("kalloc sweep"));
        h.append("<h1>kalloc sweep</h1>\n<p><code>").append(Text.html(command)).append("</code>; ")
                .append(config.base().trials()).append(" trials a cell, ").append(Text.duration(config.base().duration()))
                .append(" of load a run; every point's own interval log, .hgrm files and summary.json are in its folder (")
                .append("<code>kalloc report DIR/POINT</code> renders its full page).</p>\n");
        h.append("<h2>Breaking points</h2>\n<p>The first step, from plenty of free memory to none, at which a cell broke:"
                + " a deadlock, lost data or an error in any trial, or failed operations in most trials (median failed"
                + " share above 0). The pressure sweep runs at ").append(Text.percent(config.base().rate()))
                .append(" operations/s.</p>\n<table><tr><th>oom</th><th>scenario</th>");
        guarantees().forEach(g -> h.append("<th>").append(Text.html(g)).append("</th>"));
        h.append("</tr>\n");
        for (boolean waits : new boolean[] {false, true}) {
            for (String s : scenarios()) {
                h.append("<tr><td>").append(waits ? "wait" : "fail").append("</td><td>").append(s).append("</td>");
                for (String g : guarantees()) {
                    SweepAnalysis.BreakingPoint b = breakingPoint(waits, s, g);
                    h.append("<td").append(b != null && !b.keptGoing() ? " class=\"fail\"" : "").append('>')
                            .append(Text.html(text(b))).append("</td>");
                }
                h.append("</tr>\n");
            }
        }
        h.append("</table>\n");
        if (!a.knees().isEmpty()) {
            h.append("<h2>Knees</h2>\n<p>").append(Text.html(kneeTitle())).append(".</p>\n<table><tr><th>scenario</th>");
            guarantees().forEach(g -> h.append("<th>").append(Text.html(g)).append("</th>"));
            h.append("</tr>\n");
            for (String s : scenarios()) {
                h.append("<tr><td>").append(s).append("</td>");
                for (String g : guarantees()) {
                    SweepAnalysis.Knee k = knee(s, g);
                    h.append("<td>").append(k == null ? "-" : Text.html(k.text() + (k.why().isEmpty() ? ""
                            : " (at " + Text.percent(k.brokeAt()) + "/s: " + k.why() + ")"))).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n<ul>\n");
            for (SweepAnalysis.KneeTest t : a.kneeTests()) {
                h.append("<li>").append(Text.html(kneeTest(t))).append("</li>\n");
            }
            h.append("</ul>\n");
        }
        for (String s : scenarios()) {
            h.append("<h2>").append(s).append("</h2>\n");
            for (String png : plots.getOrDefault(s, List.of())) {
                h.append("<img src=\"").append(png).append("\" alt=\"").append(png).append("\">\n");
            }
            pressureTable(h, s);
            loadTable(h, s);
        }
        h.append("<h2>Points</h2>\n<ul>\n");
        for (SweepPoint p : points) {
            h.append("<li><a href=\"").append(p.folder()).append("/summary.json\">").append(p.folder()).append("</a>: ")
                    .append(Text.html(p.toString())).append("</li>\n");
        }
        return h.append("</ul>\n</body></html>\n").toString();
    }

    private void pressureTable(StringBuilder h, String s) {
        h.append("<table><tr><th>oom</th><th>free</th>");
        guarantees().forEach(g -> h.append("<th>").append(Text.html(g))
                .append(": outcomes; failed % [interval]; p99 ms; price KiB</th>"));
        h.append("</tr>\n");
        for (boolean waits : new boolean[] {false, true}) {
            for (double f : config.steps()) {
                h.append("<tr><td>").append(waits ? "wait" : "fail").append("</td><td class=\"n\">")
                        .append(Text.percent(f)).append("%</td>");
                for (String g : guarantees()) {
                    SweepAnalysis.PressureStep p = a.pressure().stream().filter(x -> x.point().oomWaits() == waits
                            && x.point().freePercent() == f && x.scenario().equals(s) && x.guarantee().equals(g))
                            .findFirst().orElse(null);
                    if (p == null) {
                        h.append("<td>-</td>");
                        continue;
                    }
                    Estimate e = p.failedShare();
                    h.append("<td").append(p.breaks() ? " class=\"fail\"" : "").append('>')
                            .append(Text.html(p.stats().cell().outcomes())).append("; ")
                            .append(e == null ? "- (no trial ran to the end)" : String.format(Locale.ROOT,
                                    "%.2f [%.2f, %.2f]", 100 * e.median(), 100 * e.lo(), 100 * e.hi()))
                            .append("; ").append(Text.html(p.stats().figure(Metric.P99).text())).append("; ")
                            .append(Text.html(p.stats().figure(Metric.PRICE).text())).append("</td>");
                }
                h.append("</tr>\n");
            }
        }
        h.append("</table>\n");
    }

    private void loadTable(StringBuilder h, String s) {
        if (a.load().stream().noneMatch(l -> l.scenario().equals(s))) {
            return;
        }
        h.append("<table><tr><th>rate</th>");
        guarantees().forEach(g -> h.append("<th>").append(Text.html(g))
                .append(": completed % of offered; p50, p99, p99.9 ms</th>"));
        h.append("</tr>\n");
        for (double r : config.loadRates()) {
            if (a.load().stream().noneMatch(l -> l.scenario().equals(s) && l.rate() == r)) {
                continue;
            }
            h.append("<tr><td class=\"n\">").append(Text.percent(r)).append("/s</td>");
            for (String g : guarantees()) {
                SweepAnalysis.LoadStep l = a.load().stream().filter(x -> x.scenario().equals(s) && x.rate() == r
                        && x.guarantee().equals(g)).findFirst().orElse(null);
                if (l == null) {
                    h.append("<td>-</td>");
                    continue;
                }
                Estimate d = l.doneShare();
                h.append("<td").append(l.sustained() ? "" : " class=\"fail\"").append('>')
                        .append(String.format(Locale.ROOT, "%.1f [%.1f, %.1f]", 100 * d.median(), 100 * d.lo(), 100 * d.hi()))
                        .append("; ").append(Text.html(l.stats().figure(Metric.P50).text())).append(", ")
                        .append(Text.html(l.stats().figure(Metric.P99).text())).append(", ")
                        .append(Text.html(l.stats().figure(Metric.P99_9).text()))
                        .append(l.why().isEmpty() ? "" : "; " + Text.html(l.why())).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }
}
