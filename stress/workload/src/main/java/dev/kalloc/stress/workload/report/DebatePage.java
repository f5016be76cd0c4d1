// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import dev.kalloc.stress.workload.run.Text;
import java.util.ArrayList;
import java.util.List;

/**
 * The debate section ({@link Debate}) as the report shows it: an HTML table at the top of
 * {@code index.html}, and Markdown for {@code debate.md}, which the root README's "What the runs
 * show so far" is pasted from. Claims, figures and verdicts are the rows' own; this class only
 * lays them out.
 */
final class DebatePage {
    private DebatePage() {
    }

    /** The section as Markdown, for the README and {@code debate.md}. */
    static String markdown(List<Debate.Row> rows, String source) {
        StringBuilder sb = new StringBuilder();
        sb.append("Each claim of the thread \"[patch] mempool-2.5.1-D2\" (linux-kernel, 14-18 December 2001),"
                + " paraphrased, with what this run measured. ").append(source).append("\n\n");
        sb.append("| # | who | claim | figure | verdict | why |\n|---|---|---|---|---|---|\n");
        for (Debate.Row r : rows) {
            sb.append("| ").append(r.id()).append(" | ").append(r.who()).append(" | ").append(md(r.claim())).append(" | ")
                    .append(md(r.figure())).append(" | **").append(r.status().text()).append("** | ").append(md(r.note()))
                    .append(" |\n");
        }
        sb.append("\nCommands: ");
        List<String> commands = new ArrayList<>();
        for (Debate.Row r : rows) {
            if (!commands.contains(r.command())) {
                commands.add(r.command());
            }
        }
        for (String c : commands) {
            sb.append("\n- `").append(c).append("`: ");
            List<String> ids = new ArrayList<>();
            for (Debate.Row r : rows) {
                if (r.command().equals(c)) {
                    ids.add(r.id());
                }
            }
            sb.append(String.join(", ", ids));
        }
        return sb.append('\n').toString();
    }

    private static String md(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    /** The section as HTML, for the top of {@code index.html}. */
    static String html(List<Debate.Row> rows) {
        StringBuilder h = new StringBuilder("<h2 id=\"debate\">The 2001 debate</h2>\n<p>Each claim of the thread"
                + " \"[patch] mempool-2.5.1-D2\" (linux-kernel, 14-18 December 2001), paraphrased: what tests it here,"
                + " what this run measured, the verdict, and the command that reproduces it. A claim this run cannot"
                + " test says so and names the run that would.</p>\n<table><tr><th>#</th><th>who</th><th>claim</th>"
                + "<th>measurement</th><th>figure</th><th>verdict</th><th>command</th></tr>\n");
        for (Debate.Row r : rows) {
            String cls = r.status() == Debate.Status.SUPPORTED ? "ok"
                    : r.status() == Debate.Status.CONTRADICTED ? "fail" : "";
            h.append("<tr><td>").append(r.id()).append("</td><td>").append(Text.html(r.who())).append("</td><td>")
                    .append(Text.html(r.claim())).append("</td><td>").append(Text.html(r.measurement()))
                    .append("</td><td>").append(Text.html(r.figure())).append("</td><td><span class=\"").append(cls)
                    .append("\">").append(Text.html(r.status().text())).append("</span>: ").append(Text.html(r.note()))
                    .append("</td><td><code>").append(Text.html(r.command())).append("</code></td></tr>\n");
        }
        return h.append("</table>\n").toString();
    }
}
