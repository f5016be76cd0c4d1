// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.ProcFs;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.stress.workload.run.RunConfig;
import dev.kalloc.stress.workload.scenarios.PressureFill;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code kalloc proc}: boots a machine of the given size, optionally puts it under the writeback
 * scenario's page-cache pressure, and prints its {@code /proc} views in the kernel's formats.
 */
@Command(name = "proc", mixinStandardHelpOptions = true,
        description = "Boots a machine and prints /proc/buddyinfo, zoneinfo, meminfo and slabinfo.")
final class ProcCommand implements Callable<Integer> {
    static final List<String> VIEWS = List.of("buddyinfo", "zoneinfo", "meminfo", "slabinfo");

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--memory"}, paramLabel = "MIB", defaultValue = "64",
            description = "Simulated RAM in MiB (default: ${DEFAULT-VALUE})")
    private int memoryMiB;

    @Option(names = {"-c", "--cpus"}, paramLabel = "N", defaultValue = "2", description = "CPUs (default: ${DEFAULT-VALUE})")
    private int cpus;

    @Option(names = "--views", split = ",", paramLabel = "VIEW",
            description = "Views to print (default: all): buddyinfo, zoneinfo, meminfo, slabinfo")
    private List<String> views = new ArrayList<>(VIEWS);

    @Option(names = "--pressure", description = "Fill memory with page-cache pages first, as a hog would")
    private boolean pressure;

    @Override
    public Integer call() {
        for (String v : views) {
            if (!VIEWS.contains(v)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown view '" + v + "'; choose from "
                        + String.join(", ", VIEWS));
            }
        }
        if (memoryMiB < RunConfig.MIN_MEMORY_MIB || memoryMiB > RunConfig.MAX_MEMORY_MIB) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--memory " + memoryMiB + " MiB: must be in ["
                    + RunConfig.MIN_MEMORY_MIB + ", " + RunConfig.MAX_MEMORY_MIB + "]");
        }
        if (cpus < 1 || cpus > 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cpus " + cpus + ": must be in [1, 64]");
        }
        PrintWriter out = spec.commandLine().getOut();
        MachineConfig config = MachineConfig.builder().memory(memoryMiB * MachineConfig.MiB).cpus(cpus).kswapd(false).build();
        try (Machine m = Machine.boot(config)) {
            SlabAllocator slab = SlabAllocator.boot(m);
            if (pressure) {
                PressureFill.fill(m, "hog", Long.MAX_VALUE, false);
            }
            for (String v : views) {
                out.println("# /proc/" + v);
                switch (v) {
                    case "buddyinfo":
                        out.print(ProcFs.buddyinfo(m));
                        break;
                    case "zoneinfo":
                        out.print(ProcFs.zoneinfo(m));
                        break;
                    case "meminfo":
                        out.print(ProcFs.meminfo(m));
                        break;
                    default:
                        out.print(slab.slabinfo());
                }
                out.println();
            }
        }
        out.flush();
        return 0;
    }
}
