// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * The kalloc command run in this JVM as {@code Main} runs it, with what it printed captured.
 *
 * @param status the exit status
 * @param out what it printed on stdout
 * @param err what it printed on stderr
 */
public record Cli(int status, String out, String err) {
    public static Cli run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Cli(status, out.toString(), err.toString());
    }
}
