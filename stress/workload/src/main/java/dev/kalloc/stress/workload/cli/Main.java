// SPDX-License-Identifier: GPL-2.0-only
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
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:done; run, report: every run on mempool and reservation ran to the end with its data intact;"
                + " check: nothing wrong found",
            "1:run, report: a run on mempool or reservation deadlocked, lost data or broke with an error (on"
                + " none those are its expected results); check: a problem found",
            "2:bad usage: an unknown or out-of-range option, an --out folder that already holds a campaign",
            "3:the outputs cannot be written, or a folder's log cannot be read"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ./kalloc                              all scenarios x guarantees, 6 trials",
            "  ./kalloc run -s writeback --oom wait  2.5.1's writeback deadlock (exits 1)",
            "  ./kalloc run --faults -o results/f    page, slab and disk faults at once",
            "  ./kalloc run -n 1 -d 400ms --quiet    a quick look, no progress shown",
            "  ./kalloc sweep --quick                pressure and load stepped, ~2 minutes",
            "  ./kalloc compare results/a results/b  changes between two runs",
            "  ./kalloc check results/f              the log reads back, the report is whole",
            "  ./kalloc help run                     every option of run"})
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
