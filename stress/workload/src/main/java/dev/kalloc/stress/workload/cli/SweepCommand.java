// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.stress.workload.report.SweepAnalysis;
import dev.kalloc.stress.workload.report.SweepReport;
import dev.kalloc.stress.workload.run.Progress;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.run.SweepConfig;
import dev.kalloc.stress.workload.run.Text;
import dev.kalloc.stress.workload.scenarios.BounceScenario;
import dev.kalloc.stress.workload.scenarios.Raid1Scenario;
import dev.kalloc.stress.workload.scenarios.WritebackScenario;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code kalloc sweep}: where each guarantee breaks as free memory runs out, and where its latency
 * turns as the offered rate grows ({@link Sweep}, {@link SweepAnalysis}). The sweep's settings are
 * written to {@code DIR/sweep.args} before the first point, so that {@code --resume DIR} finishes
 * exactly the sweep that was begun.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Sweeps memory pressure (free memory from plenty to none, under --oom fail and wait) and offered"
            + " load (doubling until every guarantee saturates) over every scenario x guarantee, with trials.",
            "Prints the breaking points and knees; writes index.html, summary.json and plots to DIR, and one folder"
                + " per point with its kalloc.hlog, .hgrm files and summary.json.",
            "A default sweep takes about 15 minutes on 2 cores; --quick about 2."})
final class SweepCommand implements Callable<Integer> {
    /** The file of the sweep's own arguments, in its folder. */
    static final String ARGS = "sweep.args";
    /** The scenarios a sweep runs by default: each alone (mixed adds them together). */
    static final List<String> DEFAULT_SCENARIOS = List.of(WritebackScenario.NAME, BounceScenario.NAME, Raid1Scenario.NAME);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private CampaignOptions common = new CampaignOptions();

    @Option(names = {"-s", "--scenarios"}, split = ",", paramLabel = "NAME",
            description = "Scenarios (default: writeback, bounce, raid1). Known: ${COMPLETION-CANDIDATES}",
            completionCandidates = RunCommand.ScenarioNames.class)
    private List<String> scenarios = new ArrayList<>();

    @Option(names = {"-n", "--trials"}, paramLabel = "N", defaultValue = "6",
            description = "Trials of every cell at every point (default: ${DEFAULT-VALUE}; --quick: 2)")
    private int trials;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "500ms",
            description = "Load time of each run (default: ${DEFAULT-VALUE}; --quick: 150ms)")
    private Duration duration;

    @Option(names = {"-r", "--rate"}, converter = DecimalConverter.class, paramLabel = "OPS", defaultValue = "2000",
            description = "Offered operations/s of the pressure sweep (default: ${DEFAULT-VALUE})")
    private double rate;

    @Option(names = "--free-steps", converter = DecimalConverter.class, split = ",", paramLabel = "PCT",
            description = "Pressure steps: the memory left free, %% of what set-up left (default: 10,2,1,0.5,0;"
                + " --quick: 10,1,0)")
    private List<Double> freeSteps = new ArrayList<>();

    @Option(names = "--load-free", converter = DecimalConverter.class, paramLabel = "PCT", defaultValue = "0",
            description = "Pressure of the load sweep, %% free (default: ${DEFAULT-VALUE}, as 'kalloc run')")
    private double loadFree;

    @Option(names = "--rate-from", converter = DecimalConverter.class, paramLabel = "OPS", defaultValue = "2000",
            description = "First rate of the load sweep, doubled at each point (default: ${DEFAULT-VALUE})")
    private double rateFrom;

    @Option(names = "--rate-max", converter = DecimalConverter.class, paramLabel = "OPS", defaultValue = "64000",
            description = "Highest rate of the load sweep (default: ${DEFAULT-VALUE}; --quick: 8000)")
    private double rateMax;

    @Option(names = "--watchdog", paramLabel = "TIME", defaultValue = "1s",
            description = "No operation completing for this long marks a run deadlocked (default: ${DEFAULT-VALUE})")
    private Duration watchdog;

    @Option(names = "--quick", description = "A coarse sweep in about 2 minutes: the --quick defaults above")
    private boolean quick;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Output folder (default: results/sweep-<date>-<time>)")
    private Path out;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Finishes the sweep in DIR with its own settings (DIR/sweep.args), skipping finished points")
    private Path resume;

    private boolean given(String option) {
        return spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The validated configuration these options describe, in {@code dir}. */
    SweepConfig config(Path dir) {
        if (quick) {
            trials = given("--trials") ? trials : 2;
            duration = given("--duration") ? duration : Duration.ofMillis(150);
            rateMax = given("--rate-max") ? rateMax : 8000;
            if (freeSteps.isEmpty()) {
                freeSteps = List.of(10.0, 1.0, 0.0);
            }
        }
        CampaignOptions.requireNonEmpty(spec, "--free-steps", freeSteps);
        CampaignOptions.requireNonEmpty(spec, "--scenarios", scenarios);
        CampaignOptions.requireNonEmpty(spec, "--guarantees", common.guarantees);
        List<Double> steps = freeSteps.isEmpty() ? List.of(10.0, 2.0, 1.0, 0.5, 0.0)
                : freeSteps.stream().map(f -> f + 0.0).toList(); // -0 is 0
        List<String> sc = CampaignOptions.scenarios(scenarios, DEFAULT_SCENARIOS);
        RunConfig base = new RunConfig(sc, common.guarantees(), duration, trials, rate, common.memoryMiB, common.cpus,
                common.seed, 0, 0, 1, 0, common.workers, watchdog, common.stallThreshold, common.serviceTime, false, false, 0,
                common.warmup, dir);
        return new SweepConfig(base, steps, loadFree + 0.0, rateFrom, rateMax).validate();
    }


    /** The arguments that describe {@code c} in full, for {@link #ARGS}: defaults spelled out. */
    static List<String> args(SweepConfig c) {
        RunConfig b = c.base();
        List<String> a = new ArrayList<>();
        a.add("--scenarios=" + String.join(",", b.scenarios()));
        a.add("--guarantees=" + b.guarantees().stream().map(GuaranteeKind::label).collect(Collectors.joining(",")));
        a.add("--trials=" + b.trials());
        a.add("--duration=" + Text.duration(b.duration()));
        a.add("--rate=" + Text.percent(b.rate()));
        a.add("--free-steps=" + c.freeSteps().stream().map(Text::percent).collect(Collectors.joining(",")));
        a.add("--load-free=" + Text.percent(c.loadFree()));
        a.add("--rate-from=" + Text.percent(c.rateFrom()));
        a.add("--rate-max=" + Text.percent(c.rateMax()));
        a.add("--memory=" + b.memoryMiB());
        a.add("--cpus=" + b.cpus());
        a.add("--seed=" + b.seed());
        a.add("--workers=" + b.workers());
        a.add("--watchdog=" + Text.duration(b.watchdog()));
        a.add("--stall-threshold=" + Text.duration(b.stallThreshold()));
        a.add("--service-time=" + Text.duration(b.serviceTime()));
        a.add("--warmup=" + Text.duration(b.warmup()));
        return a;
    }

    @Override
    public Integer call() throws InterruptedException {
        CommandLine cl = spec.commandLine();
        SweepConfig config;
        String command;
        try {
            if (resume != null) {
                // --quiet changes only what stderr shows, none of the sweep's settings.
                if (cl.getParseResult().matchedOptions().stream().filter(o -> !o.longestName().equals("--quiet"))
                        .count() > 1) {
                    throw new IllegalArgumentException("--resume takes no other option but --quiet: the sweep goes on"
                            + " with its own, from " + resume.resolve(ARGS));
                }
                config = resumed(resume);
                command = "./kalloc sweep " + String.join(" ", args(config));
            } else {
                Path dir = out != null ? out : Path.of("results", "sweep-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
                if (out != null && out.toString().isEmpty()) {
                    throw new IllegalArgumentException("--out '': an empty path; name a folder");
                }
                config = config(dir);
                command = "./kalloc sweep " + String.join(" ", args(config));
                if (Files.exists(dir.resolve(ARGS))) {
                    throw new IllegalArgumentException("--out " + dir + ": already holds a sweep; finish it with"
                            + " 'kalloc sweep --resume " + dir + "' or choose another folder");
                }
                if (Files.isDirectory(dir) && !isEmpty(dir)) {
                    throw new IllegalArgumentException("--out " + dir + ": not empty; a sweep writes a folder of its own");
                }
                if (Files.exists(dir) && !Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("--out " + dir + ": a file, not a folder");
                }
            }
        } catch (IllegalArgumentException | CommandLine.TypeConversionException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage(), e);
        } catch (IOException e) {
            cl.getErr().println("kalloc sweep: cannot read " + (resume != null ? resume.resolve(ARGS) : out) + ": "
                    + Text.ioError(e));
            return Main.EXIT_IO;
        }
        PrintWriter stdout = cl.getOut();
        Path dir = config.base().out();
        try {
            if (resume == null) {
                Files.createDirectories(dir);
                Files.write(dir.resolve(ARGS), args(config), StandardCharsets.UTF_8);
            }
            cl.getErr().println(estimate(config));
            cl.getErr().flush();
            long start = System.nanoTime();
            Sweep sweep = new Sweep(config, System.err, Progress.forStderr(common.quiet));
            SweepAnalysis analysis;
            try {
                analysis = sweep.run();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "kalloc sweep --resume: " + e.getMessage(), e);
            }
            SweepReport report = new SweepReport(analysis, config, List.copyOf(sweep.points().keySet()), command);
            Path index = report.write(dir);
            stdout.println();
            stdout.print(report.text());
            stdout.println();
            stdout.printf(Locale.ROOT, "%d points (%d run, %d resumed) in %.1fs; report: %s%n", sweep.points().size(),
                    sweep.ran(), sweep.resumed(), (System.nanoTime() - start) / 1e9, index.toAbsolutePath());
            stdout.flush();
            return 0;
        } catch (IOException e) {
            cl.getErr().println("kalloc sweep: cannot read or write the outputs in " + dir + ": " + Text.ioError(e));
            return Main.EXIT_IO;
        } catch (UncheckedIOException e) {
            cl.getErr().println("kalloc sweep: cannot read or write the outputs in " + dir + ": "
                    + Text.ioError(e.getCause()));
            return Main.EXIT_IO;
        }
    }

    /** The configuration of the sweep begun in {@code dir}, from its {@link #ARGS}. */
    static SweepConfig resumed(Path dir) throws IOException {
        Path file = dir.resolve(ARGS);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume " + dir + ": no sweep there (" + ARGS + " is missing)");
        }
        List<String> args = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        SweepCommand c = new SweepCommand();
        CommandLine cl = new CommandLine(c).registerConverter(Duration.class, new DurationConverter());
        cl.setExpandAtFiles(false); // a line starting with @ is damage, not a file to read
        SweepConfig config;
        try {
            cl.parseArgs(args.toArray(new String[0]));
            if (c.resume != null || c.out != null || c.quick) {
                throw new IllegalArgumentException("it names --resume, --out or --quick, which a sweep never writes there");
            }
            config = c.config(dir);
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--resume " + dir + ": " + file + " is damaged: " + e.getMessage(), e);
        }
        // The file holds every setting, spelled out as args() writes them: anything else (an empty
        // file, a line removed or edited by hand) would resume a sweep other than the one begun.
        if (!args(config).equals(args)) {
            throw new IllegalArgumentException("--resume " + dir + ": " + file + " is damaged: it does not hold every"
                    + " setting of a sweep as 'kalloc sweep' writes them (" + String.join(" ", args(config)) + ")");
        }
        return config;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** The sweep's size and a time estimate, for stderr before it starts. */
    static String estimate(SweepConfig c) {
        RunConfig b = c.base();
        long cells = (long) b.scenarios().size() * b.guarantees().size() * b.trials();
        long pressure = cells * c.pressurePoints().size();
        long load = cells * c.loadRates().size();
        double perRun = b.duration().toNanos() / 1e9 + SET_UP_SECONDS;
        return String.format(Locale.ROOT, "kalloc sweep: %d pressure points and up to %d load points, %d to %d runs of %s;"
                + " about %s to %s here (each run adds about %.1f s of boot, fill and verification, a"
                + " deadlocked one its watchdog)", c.pressurePoints().size(), c.loadRates().size(), pressure + cells,
                pressure + load, Text.duration(b.duration()), roughly((pressure + cells) * perRun),
                roughly((pressure + load) * perRun), SET_UP_SECONDS);
    }

    /** A time estimate in seconds below two minutes, else in minutes. */
    static String roughly(double seconds) {
        return seconds < 120 ? String.format(Locale.ROOT, "%.0f s", seconds)
                : String.format(Locale.ROOT, "%.0f min", seconds / 60);
    }

    /** What a run costs beyond its load time on this 2-core machine, measured: boot, fill, drain, verify. */
    static final double SET_UP_SECONDS = 0.5;
}
