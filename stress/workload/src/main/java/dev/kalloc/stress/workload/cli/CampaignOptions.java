// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options {@code kalloc run} and {@code kalloc sweep} share (a picocli mixin): the guarantees,
 * and the machine, load generator and thresholds every run of either boots with. The name lists
 * are parsed here once, for both: an unknown name is refused naming the known ones, a name given
 * twice is refused too (it would run its cells twice and compare them with themselves).
 */
final class CampaignOptions {
    @Option(names = {"-g", "--guarantees"}, split = ",", paramLabel = "NAME",
            description = "Guarantees to run on (default: all): mempool-2.5.1, mempool-modern, reservation, none")
    List<String> guarantees = new ArrayList<>();

    @Option(names = {"-m", "--memory"}, paramLabel = "MIB", defaultValue = "32",
            description = "Simulated RAM in MiB, 16 to 512 (larger machines take too long to boot and fill for each"
                + " run, and the writeback scenario's disk, twice the memory, would pass a RAM disk's 2 GiB); the top"
                + " eighth is highmem (default: ${DEFAULT-VALUE})")
    int memoryMiB;

    @Option(names = {"-c", "--cpus"}, paramLabel = "N", defaultValue = "2",
            description = "Simulated CPUs, 1 to 64 (default: ${DEFAULT-VALUE})")
    int cpus;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "1", description = "Seed of data patterns and faults (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = {"-w", "--workers"}, paramLabel = "N", defaultValue = "4",
            description = "Load-generator threads per run (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--stall-threshold", paramLabel = "TIME", defaultValue = "100ms",
            description = "Operations slower than this count as stalls; in a sweep, a p99 above it does not sustain"
                + " a rate (default: ${DEFAULT-VALUE})")
    Duration stallThreshold;

    @Option(names = "--service-time", paramLabel = "TIME", defaultValue = "100us",
            description = "Time a RAM disk takes per bio (default: ${DEFAULT-VALUE})")
    Duration serviceTime;

    @Option(names = "--warmup", paramLabel = "TIME", defaultValue = "200ms",
            description = "Before measuring (a sweep: before its first point), run each scenario on each guarantee this"
                + " long unrecorded, so that no guarantee measured pays for the JIT compiler (default: ${DEFAULT-VALUE};"
                + " 0s for none)")
    Duration warmup;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr (without it: a bar on a terminal, else"
            + " one line per finished run)")
    boolean quiet;

    /** The guarantees named, or all of them. */
    List<GuaranteeKind> guarantees() {
        if (guarantees.isEmpty()) {
            return List.of(GuaranteeKind.values());
        }
        List<GuaranteeKind> gs = new ArrayList<>();
        for (String g : guarantees) {
            GuaranteeKind k;
            try {
                k = GuaranteeKind.parse(g);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--guarantees: " + e.getMessage(), e);
            }
            if (gs.contains(k)) {
                throw new IllegalArgumentException("--guarantees: '" + g + "' is named twice");
            }
            gs.add(k);
        }
        return gs;
    }

    /** Whether {@code option} was on the command line (a preset gives way to it). */
    static boolean given(picocli.CommandLine.Model.CommandSpec spec, String option) {
        picocli.CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        return parsed != null && parsed.hasMatchedOption(option);
    }

    /**
     * Refuses an option given with an empty list ({@code -s ,}), which picocli hands over as no
     * values at all: read as "the default", it would run what the user did not ask for.
     */
    static void requireNonEmpty(picocli.CommandLine.Model.CommandSpec spec, String option, List<?> values) {
        picocli.CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (values.isEmpty() && parsed != null && parsed.hasMatchedOption(option)) {
            throw new IllegalArgumentException(option + ": an empty list; name at least one, or leave the option out");
        }
    }

    /** The scenarios named in {@code given}, or {@code defaults}. */
    static List<String> scenarios(List<String> given, List<String> defaults) {
        if (given.isEmpty()) {
            return defaults;
        }
        List<String> sc = new ArrayList<>();
        for (String s : given) {
            String name;
            try {
                name = Scenarios.byName(s).name();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--scenarios: " + e.getMessage(), e);
            }
            if (sc.contains(name)) {
                throw new IllegalArgumentException("--scenarios: '" + s + "' is named twice");
            }
            sc.add(name);
        }
        return sc;
    }
}
