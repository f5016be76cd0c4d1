// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Cell;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.RunResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the report says, computed once from a {@link RunLog}: the statistics of every cell
 * and the comparisons of every metric in every scenario. Deterministic: the same log always gives
 * the same figures and verdicts, so {@code kalloc report} reproduces what {@code kalloc run}
 * printed.
 */
public final class Analysis {
    private final RunLog log;
    private final List<CellStats> cells = new ArrayList<>();
    private final Map<String, List<Comparison>> comparisons = new LinkedHashMap<>();

    private Analysis(RunLog log) {
        this.log = log;
    }

    public static Analysis of(RunLog log) {
        Analysis a = new Analysis(log);
        for (Cell c : log.cells()) {
            a.cells.add(CellStats.of(log, c));
        }
        for (String s : log.scenarios()) {
            List<Comparison> list = new ArrayList<>();
            List<CellStats> of = a.cells(s);
            for (Metric m : Metric.values()) {
                list.add(Comparison.of(s, m, of, a.offeredRate(s)));
            }
            a.comparisons.put(s, list);
        }
        return a;
    }

    public RunLog log() {
        return log;
    }

    /** Every cell, scenario by scenario. */
    List<CellStats> cells() {
        return cells;
    }

    /** The cells of {@code scenario}. */
    List<CellStats> cells(String scenario) {
        List<CellStats> out = new ArrayList<>();
        for (CellStats c : cells) {
            if (c.cell().scenario().equals(scenario)) {
                out.add(c);
            }
        }
        return out;
    }

    /** The cell of {@code scenario} on {@code guarantee}, or null. */
    CellStats cell(String scenario, String guarantee) {
        for (CellStats c : cells) {
            if (c.cell().scenario().equals(scenario) && c.cell().guarantee().equals(guarantee)) {
                return c;
            }
        }
        return null;
    }

    /** The comparisons of {@code scenario}, one per metric. */
    List<Comparison> comparisons(String scenario) {
        return comparisons.getOrDefault(scenario, List.of());
    }

    /** The comparison of {@code metric} in {@code scenario}. */
    Comparison comparison(String scenario, Metric metric) {
        for (Comparison c : comparisons(scenario)) {
            if (c.metric() == metric) {
                return c;
            }
        }
        return null;
    }

    /** Every significant finding of the campaign. */
    public List<Comparison.Finding> findings() {
        List<Comparison.Finding> all = new ArrayList<>();
        comparisons.values().forEach(list -> list.forEach(c -> all.addAll(c.findings())));
        return all;
    }

    /** The rate offered in {@code scenario}'s runs. */
    double offeredRate(String scenario) {
        for (RunResult r : log.runs()) {
            if (r.scenario().equals(scenario)) {
                return r.offeredRate();
            }
        }
        return 0;
    }

    /** The number of trials the campaign ran per cell (the most any cell has). */
    int trials() {
        int n = 0;
        for (CellStats c : cells) {
            n = Math.max(n, c.cell().trials().size());
        }
        return n;
    }

    /** True if some trial fails the command (a guarantee that promises progress failed it). */
    boolean failed() {
        for (RunResult r : log.runs()) {
            if (r.failsCommand()) {
                return true;
            }
        }
        return false;
    }
}
