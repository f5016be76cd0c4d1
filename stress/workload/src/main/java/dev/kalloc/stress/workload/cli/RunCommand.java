// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.report.Estimate;
import dev.kalloc.stress.workload.report.SummaryTable;
import dev.kalloc.stress.workload.run.Campaign;
import dev.kalloc.stress.workload.run.Progress;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.Scenario;
import dev.kalloc.stress.workload.run.Text;
import dev.kalloc.stress.workload.scenarios.Scenarios;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code kalloc run}: a campaign of scenarios x guarantees. Options are checked by
 * {@link RunConfig#validate()}; a bad one is a usage error naming it.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs each scenario on each guarantee with open-loop load, then writes the report.",
            "Outputs in --out: kalloc.hlog, one .hgrm per tag, summary.json, index.html, plots, proc/."})
final class RunCommand implements Callable<Integer> {
    /**
     * {@code --faults}: settings at which each kind of fault is met in every run of the default
     * campaign (the run's {@code faults.*} counters) while a guarantee that keeps its promise
     * loses nothing. A disk error in 500 bios fails a few bios of each device in a run and, in
     * raid1, one of the two in-sync mirrors early in the load; 10% of the non-sleeping page
     * allocations and a quarter of the non-sleeping slab allocations refused send the pools
     * often to their reserves, and to the sleeping attempts behind them.
     */
    static final double FAULTS_DISK_ERROR_RATE = 0.002;
    static final int FAULTS_PAGE_FAIL_PERCENT = 10;
    static final int FAULTS_SLAB_FAIL_PERCENT = 25;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private CampaignOptions common = new CampaignOptions();

    @Option(names = {"-s", "--scenarios"}, split = ",", paramLabel = "NAME",
            description = "Scenarios to run (default: all). Known: ${COMPLETION-CANDIDATES}",
            completionCandidates = ScenarioNames.class)
    private List<String> scenarios = new ArrayList<>();

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "1s",
            description = "Load time of each run (default: ${DEFAULT-VALUE})")
    private Duration duration;

    @Option(names = {"-n", "--trials"}, paramLabel = "N", defaultValue = "6",
            description = "Independent trials of every scenario x guarantee, each on a fresh machine with its own"
                + " seed; figures are medians over trials with 95%% intervals (fewer than 6 trials: [min-max], which"
                + " covers the median less surely) (default: ${DEFAULT-VALUE})")
    private int trials;

    @Option(names = {"-r", "--rate"}, converter = DecimalConverter.class, paramLabel = "OPS", defaultValue = "2000",
            description = "Offered operations per second in each run (default: ${DEFAULT-VALUE})")
    private double rate;

    @Option(names = "--disk-error-rate", paramLabel = "P", defaultValue = "0",
            description = "Probability that a disk fails a bio, in [0, 1]; raid1's mirrors take it too, never on the"
                + " last good in-sync copy (default: ${DEFAULT-VALUE}; --faults: " + FAULTS_DISK_ERROR_RATE + ")")
    private double diskErrorRate;

    @Option(names = "--page-fail-percent", paramLabel = "PCT", defaultValue = "0",
            description = "fail_page_alloc probability in percent; like the kernel's, it fails only allocations that"
                + " may not sleep, and no highmem ones (default: ${DEFAULT-VALUE}, off; --faults: "
                + FAULTS_PAGE_FAIL_PERCENT + ")")
    private int pageFailPercent;

    @Option(names = "--page-fail-interval", paramLabel = "N", defaultValue = "1",
            description = "fail_page_alloc interval: every N-th eligible allocation may fail (default: ${DEFAULT-VALUE})")
    private int pageFailInterval;

    @Option(names = "--slab-fail-percent", paramLabel = "PCT", defaultValue = "0",
            description = "failslab probability in percent; like the kernel's, it fails only allocations that may"
                + " not sleep, such as a mempool's first attempt (default: ${DEFAULT-VALUE}, off; --faults: "
                + FAULTS_SLAB_FAIL_PERCENT + ")")
    private int slabFailPercent;

    @Option(names = "--faults", description = "Every kind of fault at once: page allocation failures, slab failures"
            + " and disk errors at the --faults values of --page-fail-percent, --slab-fail-percent and"
            + " --disk-error-rate (each one given explicitly wins)")
    private boolean faults;

    @Option(names = "--watchdog", paramLabel = "TIME", defaultValue = "2s",
            description = "No operation completing for this long marks a run deadlocked (default: ${DEFAULT-VALUE})")
    private Duration watchdog;

    @Option(names = "--kswapd", negatable = true, defaultValue = "false",
            description = "Run kswapd (default: off, so writeback depends on the flusher and direct reclaim)")
    private boolean kswapd;

    @Option(names = "--oom", paramLabel = "POLICY", defaultValue = "fail",
            description = "When reclaim frees nothing: 'wait' for frees (a stall the watchdog sees) or 'fail'"
                + " the allocation after 8 rounds (default: ${DEFAULT-VALUE})")
    private String oom;

    @Option(names = "--free", converter = DecimalConverter.class, paramLabel = "PCT", defaultValue = "0",
            description = "Memory pressure: the share of the memory free after set-up that each scenario's pressure"
                + " leaves free, in percent (default: ${DEFAULT-VALUE}, it takes all it can; 'kalloc sweep' steps it)")
    private double free;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Output folder (default: results/kalloc-<date>-<time>)")
    private Path out;

    /** The validated configuration these options describe. */
    RunConfig config() {
        if (faults) {
            diskErrorRate = CampaignOptions.given(spec, "--disk-error-rate") ? diskErrorRate : FAULTS_DISK_ERROR_RATE;
            pageFailPercent = CampaignOptions.given(spec, "--page-fail-percent") ? pageFailPercent
                    : FAULTS_PAGE_FAIL_PERCENT;
            slabFailPercent = CampaignOptions.given(spec, "--slab-fail-percent") ? slabFailPercent
                    : FAULTS_SLAB_FAIL_PERCENT;
        }
        CampaignOptions.requireNonEmpty(spec, "--scenarios", scenarios);
        CampaignOptions.requireNonEmpty(spec, "--guarantees", common.guarantees);
        List<String> sc = CampaignOptions.scenarios(scenarios, Scenarios.all().stream().map(Scenario::name).toList());
        List<GuaranteeKind> gs = common.guarantees();
        boolean oomWaits;
        if (oom.equals("wait")) {
            oomWaits = true;
        } else if (oom.equals("fail")) {
            oomWaits = false;
        } else {
            throw new IllegalArgumentException("--oom '" + oom + "': choose wait or fail");
        }
        if (out != null && out.toString().isEmpty()) {
            throw new IllegalArgumentException("--out '': an empty path; name a folder ('.' for the current one)");
        }
        Path dir = out != null ? out
                : Path.of("results", "kalloc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return new RunConfig(sc, gs, duration, trials, rate, common.memoryMiB, common.cpus, common.seed, diskErrorRate,
                pageFailPercent, pageFailInterval, slabFailPercent, common.workers, watchdog, common.stallThreshold,
                common.serviceTime, kswapd, oomWaits, free + 0.0, common.warmup, dir)
                .validate();
    }

    @Override
    public Integer call() throws InterruptedException {
        RunConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (java.nio.file.Files.exists(config.out().resolve(Campaign.LOG))) {
            // Writing over it would lose that campaign, and its plots, .hgrm files, proc/ snapshots
            // and jmh/ results would be mixed into this one's report.
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + config.out()
                    + ": already holds a campaign (" + Campaign.LOG + "); choose another folder or remove it"
                    + " ('kalloc report " + config.out() + "' renders that one again)");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (config.trials() < Estimate.trialsFor95()) {
            // Accepted (a quick look is legitimate), but said once: the figures cannot carry the
            // confidence the report's rules are built for.
            spec.commandLine().getErr().println("kalloc run: note: " + Text.count(config.trials(), "trial")
                    + " a cell: the brackets are " + SummaryTable.intervalName(config.trials())
                    + ", and with several guarantees few or no differences can reach significance");
            spec.commandLine().getErr().flush();
        }
        try {
            long start = System.nanoTime();
            new Campaign(config, Scenarios::byName, System.err).run(Progress.forStderr(common.quiet));
            String elapsed = String.format(java.util.Locale.ROOT, " in %.1fs", (System.nanoTime() - start) / 1e9);
            stdout.println();
            return ReportCommand.renderAndPrint(config.out(), stdout, elapsed);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("kalloc run: cannot write the outputs in " + config.out() + ": " + e.getMessage());
            return Main.EXIT_IO;
        } catch (IllegalArgumentException e) {
            // RunLog.read refusing the log this campaign just wrote: cut or damaged on the way to
            // the disk. The log is left as it is for inspection.
            System.err.println("kalloc run: the log written in " + config.out() + " does not read back: "
                    + e.getMessage());
            return Main.EXIT_IO;
        }
    }

    /** The scenario names, for picocli's help text. */
    static final class ScenarioNames extends ArrayList<String> {
        ScenarioNames() {
            for (Scenario s : Scenarios.all()) {
                add(s.name());
            }
        }
    }
}
