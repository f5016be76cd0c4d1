// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.stress.workload.cli.Cli;
import dev.kalloc.stress.workload.run.RunLog;
import dev.kalloc.stress.workload.run.SyntheticLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report replaces the earlier one in its folder whole: nothing of the earlier one that the new
 * one does not write is left beside it, and a report that fails halfway changes nothing.
 */
class StagedReportTest {
    @TempDir
    Path dir;

    @Test
    void aReportOfFewerCellsAndTrialsLeavesNoStaleFileOfTheEarlierOne() throws Exception {
        SyntheticLog more = new SyntheticLog();
        more.latencies("writeback", "mempool-2.5.1", 1, 2, 3);
        more.latencies("writeback", "none", 4, 5, 6);
        more.latencies("bounce", "reservation", 1, 2, 3);
        new Report(more.write(dir), dir).render();
        assertThat(dir.resolve("bounce.reservation.write.hgrm")).isRegularFile();
        assertThat(dir.resolve("plot-bounce-write.png")).isRegularFile();
        Files.writeString(dir.resolve("notes.txt"), "mine"); // not the report's: left alone

        SyntheticLog fewer = new SyntheticLog();
        fewer.latencies("writeback", "mempool-2.5.1", 1, 2);
        RunLog log = fewer.write(dir);
        Cli c = Cli.run("report", dir.toString());
        assertThat(c.status()).as(c.err()).isZero();

        assertThat(names(".hgrm")).containsExactlyInAnyOrderElementsOf(Report.hgrmFiles(log))
                .containsExactly("writeback.mempool-2.5.1.write.hgrm");
        assertThat(names(".png")).allMatch(n -> n.contains("writeback")).noneMatch(n -> n.contains("bounce"));
        assertThat(dir.resolve("notes.txt")).hasContent("mine");
        assertThat(Files.readString(dir.resolve(Report.SUMMARY), StandardCharsets.UTF_8))
                .doesNotContain("\"scenario\": \"bounce\"");
        assertThat(names("")).noneMatch(n -> n.startsWith(".kalloc-staging-"));
    }

    @Test
    void aStageThatIsNotPublishedChangesNothingAndLeavesNothing() throws Exception {
        Files.writeString(dir.resolve("index.html"), "the good report");
        assertThatThrownBy(() -> {
            try (StagedOutput staged = new StagedOutput(dir)) {
                Files.writeString(staged.stage().resolve("index.html"), "half a report");
                throw new IOException("the disk filled up");
            }
        }).hasMessage("the disk filled up");
        assertThat(dir.resolve("index.html")).hasContent("the good report");
        assertThat(names("")).containsExactly("index.html");
    }

    @Test
    void publishingReplacesStagedFilesAndRemovesOnlyStaleOnesItClaims() throws Exception {
        Files.writeString(dir.resolve("a.hgrm"), "old a");
        Files.writeString(dir.resolve("b.hgrm"), "old b, not written again");
        Files.writeString(dir.resolve("keep.txt"), "not ours");
        try (StagedOutput staged = new StagedOutput(dir)) {
            Files.writeString(staged.stage().resolve("a.hgrm"), "new a");
            staged.publish(n -> n.endsWith(".hgrm"), "a.hgrm");
        }
        assertThat(names("")).containsExactlyInAnyOrder("a.hgrm", "keep.txt");
        assertThat(dir.resolve("a.hgrm")).hasContent("new a");
    }

    private List<String> names(String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted().toList();
        }
    }
}
