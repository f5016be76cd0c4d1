// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run (one trial of one scenario on one guarantee) came to, apart from its latency
 * histograms, which live in the interval log under the run's tags. It is written into that log as a comment line
 * ({@link #encode()}) and read back by {@link #decode(String)}, so a report can be rendered again
 * from the log alone.
 *
 * @param scenario scenario name
 * @param guarantee guarantee label
 * @param trial the trial number, from 1
 * @param seed the seed this trial ran with (derived from the campaign's seed and the trial)
 * @param offeredRate operations per second offered
 * @param plannedSeconds how long load was offered
 * @param loadSeconds from the first intended start to the last operation's end (or to the deadlock)
 * @param started operations begun
 * @param completed operations ended (successfully or not)
 * @param failed operations that failed (an allocation refused, an I/O error)
 * @param stalls operations slower than the stall threshold
 * @param deadlocked the watchdog saw no progress for its limit
 * @param waitSites where each thread of the run waited when the watchdog fired
 * @param bytesVerified bytes read back and found equal to what was written
 * @param mismatches data checks that failed
 * @param mismatchExamples the first failed checks, described
 * @param idleBytes memory the guarantee held idle, time-averaged over the load: a mempool's idle
 *        elements, a reservation's unused reserved pages R
 * @param priceBytes what the guarantee took from everyone else, time-averaged: a mempool's idle
 *        elements, a reservation's {@code max(0, R - C)} summed over zones (see {@code report.Metric.PRICE})
 * @param error the exception that broke the run, or empty
 * @param counters the scenario's counters
 * @param opTypes the operation types recorded, in order
 */
public record RunResult(String scenario, String guarantee, int trial, long seed, double offeredRate, double plannedSeconds, double loadSeconds,
        long started, long completed, long failed, long stalls, boolean deadlocked, List<String> waitSites,
        long bytesVerified, long mismatches, List<String> mismatchExamples, double idleBytes, double priceBytes,
        String error,
        Map<String, Long> counters, List<String> opTypes) {
    /** Counter of every run: free pages when set-up was done, before the pressure. */
    public static final String PRESSURE_FREE_BEFORE = "pressure.free_before";
    /** Counter of every run: free pages when the load started, after the pressure. */
    public static final String PRESSURE_FREE_AT_LOAD = "pressure.free_at_load";


    /** The comment line's first word. */
    static final String MARK = "kalloc-run";

    /** The suffix of the tag of failed operations. */
    public static final String FAILED = "failed";

    /** {@code scenario.guarantee.tN}: names files of this run. */
    public String id() {
        return scenario + "." + guarantee + ".t" + trial;
    }

    /** {@code scenario/guarantee}: the cell this run is a trial of. */
    String cell() {
        return scenario + "/" + guarantee;
    }

    /** The interval-log tag of the successful operations of type {@code op} of this run. */
    public String tag(String op) {
        return tag(scenario, guarantee, trial, op);
    }

    /** The interval-log tag of the failed operations of type {@code op} of this run. */
    String failedTag(String op) {
        return tag(op) + "/" + FAILED;
    }

    /**
     * {@code scenario/guarantee/tN/op}: every trial keeps its own histograms, so statistics over
     * trials can be computed again from the log alone.
     */
    public static String tag(String scenario, String guarantee, int trial, String op) {
        return scenario + "/" + guarantee + "/t" + trial + "/" + op;
    }

    /** Completed operations (successful or not) per second of load. */
    double throughput() {
        return loadSeconds > 0 ? completed / countedSeconds() : 0;
    }

    /**
     * Successful operations per second of load: what the scenario got done. Never more than the
     * offered rate: see {@link #countedSeconds()}.
     */
    public double goodput() {
        return loadSeconds > 0 ? (completed - failed) / countedSeconds() : 0;
    }

    /**
     * The seconds the rates count over: the load time, but never less than the time the load was
     * offered for. The open loop starts the n operations of a run of {@code plannedSeconds} at
     * {@code offeredRate} (n - 1) intervals apart, so a run that kept up ends its last one about
     * one interval before the planned time is up; over the load time alone it would show more done
     * per second than was offered (502 of 500, 1001 of 1000), a rate no load generator offered.
     * Failed operations do not stretch it: they are not done, and they were offered in the same
     * time as the rest.
     */
    private double countedSeconds() {
        return Math.max(loadSeconds, plannedSeconds);
    }

    /** A failure of the command: a deadlock or mismatch where progress was promised, or any error. */
    public boolean failsCommand() {
        boolean promised = GuaranteeKind.parse(guarantee).promisesProgress();
        return !error.isEmpty() || (promised && (deadlocked || mismatches > 0));
    }

    /**
     * One word for the table: ERROR, DEADLOCK or MISMATCH (capitals: they fail the command where
     * progress was promised), else {@code failures} if some operations failed (an allocation
     * refused, an I/O error), else {@code ok}.
     */
    public String outcome() {
        if (!error.isEmpty()) {
            return "ERROR";
        }
        if (deadlocked) {
            return "DEADLOCK";
        }
        if (mismatches > 0) {
            return "MISMATCH";
        }
        return failed > 0 ? "failures" : "ok";
    }

    /** The comment line: {@link #MARK} then tab-separated {@code key=value}, values escaped. */
    String encode() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("scenario", scenario);
        kv.put("guarantee", guarantee);
        kv.put("trial", Integer.toString(trial));
        kv.put("seed", Long.toString(seed));
        kv.put("offered_rate", num(offeredRate));
        kv.put("planned_s", num(plannedSeconds));
        kv.put("load_s", num(loadSeconds));
        kv.put("started", Long.toString(started));
        kv.put("completed", Long.toString(completed));
        kv.put("failed", Long.toString(failed));
        kv.put("stalls", Long.toString(stalls));
        kv.put("deadlocked", Boolean.toString(deadlocked));
        kv.put("wait_sites", String.join("\n", waitSites));
        kv.put("bytes_verified", Long.toString(bytesVerified));
        kv.put("mismatches", Long.toString(mismatches));
        kv.put("mismatch_examples", String.join("\n", mismatchExamples));
        kv.put("idle_bytes", num(idleBytes));
        kv.put("price_bytes", num(priceBytes));
        kv.put("error", error);
        kv.put("op_types", String.join("\n", opTypes));
        counters.forEach((k, v) -> kv.put("counter." + k, Long.toString(v)));
        StringBuilder sb = new StringBuilder(MARK);
        kv.forEach((k, v) -> sb.append('\t').append(k).append('=').append(escape(v)));
        return sb.toString();
    }

    /**
     * Parses a line made by {@link #encode()} (without the log's leading {@code #}).
     *
     * @throws IllegalArgumentException naming what is missing or malformed
     */
    static RunResult decode(String line) {
        String[] fields = line.split("\t");
        if (fields.length == 0 || !fields[0].equals(MARK)) {
            throw new IllegalArgumentException("not a " + MARK + " line: " + abbreviate(line));
        }
        Map<String, String> kv = new LinkedHashMap<>();
        Map<String, Long> counters = new LinkedHashMap<>();
        for (int i = 1; i < fields.length; i++) {
            int eq = fields[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(MARK + " field without '=': " + abbreviate(fields[i]));
            }
            String k = fields[i].substring(0, eq);
            String v = unescape(fields[i].substring(eq + 1));
            if (k.startsWith("counter.")) {
                counters.put(k.substring("counter.".length()), parseLong(k, v));
            } else {
                kv.put(k, v);
            }
        }
        String scenario = req(kv, "scenario");
        String guarantee = req(kv, "guarantee");
        long trial = parseLong(kv, "trial");
        if (trial < 1 || trial > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(MARK + " field 'trial' must be a positive number: " + trial);
        }
        return new RunResult(scenario, guarantee, (int) trial, parseLong(kv, "seed"),
                parseDouble(kv, "offered_rate"),
                parseDouble(kv, "planned_s"), parseDouble(kv, "load_s"), parseLong(kv, "started"),
                parseLong(kv, "completed"), parseLong(kv, "failed"), parseLong(kv, "stalls"),
                Boolean.parseBoolean(req(kv, "deadlocked")), lines(req(kv, "wait_sites")),
                parseLong(kv, "bytes_verified"), parseLong(kv, "mismatches"), lines(req(kv, "mismatch_examples")),
                parseDouble(kv, "idle_bytes"), parseDouble(kv, "price_bytes"), req(kv, "error"), counters, lines(req(kv, "op_types")));
    }

    private static String req(Map<String, String> kv, String k) {
        String v = kv.get(k);
        if (v == null) {
            throw new IllegalArgumentException(MARK + " line lacks field '" + k + "'");
        }
        return v;
    }

    private static long parseLong(Map<String, String> kv, String k) {
        return parseLong(k, req(kv, k));
    }

    private static long parseLong(String k, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MARK + " field '" + k + "' is not an integer: '" + v + "'");
        }
    }

    private static double parseDouble(Map<String, String> kv, String k) {
        String v = req(kv, k);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MARK + " field '" + k + "' is not a number: '" + v + "'");
        }
    }

    private static List<String> lines(String v) {
        return v.isEmpty() ? List.of() : List.of(v.split("\n", -1));
    }

    /** Shortest text that parses back to the same double. */
    private static String num(double d) {
        return Double.toString(d);
    }

    /** Escapes '%', tab, CR and LF as %25, %09, %0D, %0A: a value then fits one tab-separated field. */
    static String escape(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '%':
                    sb.append("%25");
                    break;
                case '\t':
                    sb.append("%09");
                    break;
                case '\n':
                    sb.append("%0A");
                    break;
                case '\r':
                    sb.append("%0D");
                    break;
                default:
                    sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Reverses {@link #escape}. */
    static String unescape(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                if (i + 2 >= v.length()) {
                    throw new IllegalArgumentException("truncated escape in '" + abbreviate(v) + "'");
                }
                String hex = v.substring(i + 1, i + 3);
                try {
                    sb.append((char) Integer.parseInt(hex, 16));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad escape %" + hex + " in '" + abbreviate(v) + "'");
                }
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
