package dev.kalloc.stress.workload;

import dev.kalloc.bio.StandardGuarantee;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The verdict on one scenario: for each guarantee what happened, and whether it is a failure
 * (a deadlock, a data mismatch or an error where forward progress was promised) or an expected
 * result (the same on none); then, among the runs where every operation succeeded (a run that
 * failed operations quickly is not faster), which had the lowest p99.9 latency, the highest
 * throughput and the least memory held idle.
 */
final class Verdict {
    private Verdict() {
    }

    /** The verdict lines for {@code scenario}: one per guarantee, then the comparisons. */
    static List<String> lines(RunLog log, String scenario) {
        List<String> lines = new ArrayList<>();
        List<RunResult> runs = new ArrayList<>();
        for (RunResult r : log.runs()) {
            if (r.scenario().equals(scenario)) {
                runs.add(r);
            }
        }
        for (RunResult r : runs) {
            lines.add(r.guarantee() + ": " + describe(r));
        }
        List<RunResult> clean = new ArrayList<>();
        for (RunResult r : runs) {
            if (r.outcome().equals("ok")) {
                clean.add(r);
            }
        }
        if (clean.size() > 1) {
            RunResult fastest = clean.stream()
                    .min(Comparator.comparingLong(r -> log.runTotal(r).getValueAtPercentile(99.9))).orElseThrow();
            lines.add(String.format(Locale.ROOT, "lowest p99.9: %s (%s ms)", fastest.guarantee(),
                    Text.millis(log.runTotal(fastest).getValueAtPercentile(99.9))));
            RunResult most = clean.stream().max(Comparator.comparingDouble(RunResult::throughput)).orElseThrow();
            lines.add(String.format(Locale.ROOT, "highest throughput: %s (%.0f of %.0f ops/s offered)",
                    most.guarantee(), most.throughput(), most.offeredRate()));
            Optional<RunResult> leanest = clean.stream().filter(r -> StandardGuarantee.parse(r.guarantee()).promisesProgress())
                    .min(Comparator.comparingDouble(RunResult::idleBytes));
            leanest.ifPresent(r -> lines.add("least memory held idle among the guarantees: " + r.guarantee() + " ("
                    + Text.bytes(r.idleBytes()) + " on average)"));
        }
        return lines;
    }

    /** What happened to one run, and whether that fails the command. */
    static String describe(RunResult r) {
        boolean promised = StandardGuarantee.parse(r.guarantee()).promisesProgress();
        if (!r.error().isEmpty()) {
            return "FAILED: the run broke with " + r.error();
        }
        if (r.deadlocked()) {
            String when = String.format(Locale.ROOT, "deadlocked %.1fs into the load, after %d operations", r.loadSeconds(),
                    r.completed());
            return promised ? "FAILED: " + when + " (this guarantee promises forward progress)"
                    : when + ": the expected result without a guarantee";
        }
        if (r.mismatches() > 0) {
            String first = r.mismatchExamples().isEmpty() ? "" : " (first: " + r.mismatchExamples().get(0) + ")";
            String what = r.mismatches() + " data mismatches" + first;
            return promised ? "FAILED: " + what : what + ": reported, not a failure of the command on none";
        }
        String ok = String.format(Locale.ROOT, "completed %d operations (%.0f/s of %.0f offered), %d failed, %s verified",
                r.completed(), r.throughput(), r.offeredRate(), r.failed(), Text.bytes(r.bytesVerified()));
        if (!promised && r.failed() > 0) {
            return ok + "; the failures are the baseline's expected result";
        }
        return ok;
    }
}
