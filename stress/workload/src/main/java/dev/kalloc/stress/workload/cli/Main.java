package dev.kalloc.stress.workload.cli;

import dev.kalloc.stress.workload.run.Environment;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code kalloc} command. With no arguments it is {@code kalloc run}: every scenario on every
 * guarantee on the default machine, about a minute on 2 cores, then the summary table and the
 * report's path.
 *
 * <p>Exit status: 0 when every run on mempool and reservation completed with its data intact; 1
 * when one deadlocked, lost data or broke (on none those are reported results, not failures); 2
 * for bad options (picocli's usage error); 3 when the outputs cannot be written or read.
 */
@Command(name = "kalloc", mixinStandardHelpOptions = true, version = "kalloc " + Environment.VERSION,
        description = {"Runs the kalloc drivers under memory pressure on every guarantee (mempool in the 2.5.1 and"
            + " modern orders, reservation, none) and reports latency, failures, deadlocks, idle memory and"
            + " verified data.", "", "With no arguments: 'kalloc run' with its defaults."},
        subcommands = {RunCommand.class, SweepCommand.class, ReportCommand.class, CompareCommand.class, ProcCommand.class, CheckCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for a run where a guarantee failed its promise. */
    public static final int EXIT_FAILED = 1;
    /** Exit status when outputs cannot be written or read. */
    public static final int EXIT_IO = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: run, sweep, report, compare, proc or check");
    }

    /** The command line with its converters, for {@link #main} and tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).registerConverter(java.time.Duration.class, new DurationConverter());
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        String[] effective = args.length == 0 ? new String[] {"run"} : args;
        int status = commandLine().execute(effective);
        System.exit(status);
    }
}
