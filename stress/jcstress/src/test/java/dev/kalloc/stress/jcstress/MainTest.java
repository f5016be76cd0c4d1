// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Main}: a run that names no report folder gets a new one of its own under
 * {@code jcstress-results/}, one that names it keeps it, listing, help and re-parsing get nothing
 * added, and only the blobs a run wrote move into its report folder.
 */
class MainTest {
    private static final LocalDateTime NOW = LocalDateTime.of(2026, 12, 3, 2, 30, 5);

    @Test
    void aRunWithoutAReportFolderGetsItsOwnDatedFolder(@TempDir Path cwd) {
        List<String> argv = Main.withReportFolder(List.of("-m", "quick", "-t", "mempool"), cwd, NOW);
        assertThat(argv).containsExactly("-m", "quick", "-t", "mempool", "-r",
                cwd.resolve("jcstress-results/20261203-023005-000").toString());
        assertThat(Main.reportFolder(argv, cwd)).isEqualTo(cwd.resolve("jcstress-results/20261203-023005-000"));
    }

    @Test
    void aNamedReportFolderIsKeptAndResolvedAgainstTheWorkingFolder(@TempDir Path cwd) {
        List<String> args = List.of("-m", "sanity", "-r", "out/report");
        assertThat(Main.withReportFolder(args, cwd, NOW)).isEqualTo(args);
        assertThat(Main.reportFolder(args, cwd)).isEqualTo(cwd.resolve("out/report"));
    }

    @Test
    void everySpellingOfTheReportOptionIsSeen(@TempDir Path cwd) {
        for (List<String> args : List.of(List.of("-rout"), List.of("-r=out"), List.of("-r", "out"))) {
            assertThat(Main.withReportFolder(args, cwd, NOW)).isEqualTo(args);
            assertThat(Main.reportFolder(args, cwd)).isEqualTo(cwd.resolve("out"));
        }
    }

    @Test
    void reparsingABlobGetsAFolderLikeARun(@TempDir Path cwd) {
        assertThat(Main.withReportFolder(List.of("-p", "x.bin.gz"), cwd, NOW)).contains("-r");
    }

    @Test
    void listingAndHelpAreLeftAlone(@TempDir Path cwd) {
        for (List<String> args : List.of(List.of("-l"), List.of("-h"))) {
            assertThat(Main.withReportFolder(args, cwd, NOW)).isEqualTo(args);
            assertThat(Main.reportFolder(args, cwd)).isNull();
        }
    }

    @Test
    void onlyTheBlobsWrittenSinceTheStartMove(@TempDir Path cwd) throws IOException {
        Path report = Files.createDirectories(cwd.resolve("jcstress-results/run"));
        Path old = Files.writeString(cwd.resolve("jcstress-results-2025-01-01.bin.gz"), "old");
        Files.setLastModifiedTime(old, FileTime.fromMillis(0));
        Path fresh = Files.writeString(cwd.resolve("jcstress-results-2026-12-03.bin.gz"), "new");
        Files.writeString(cwd.resolve("notes.txt"), "not a blob");

        List<Path> moved = Main.moveBlobs(cwd, report, FileTime.fromMillis(1000));

        assertThat(moved).containsExactly(report.resolve(fresh.getFileName()));
        assertThat(report.resolve(fresh.getFileName())).hasContent("new");
        assertThat(fresh).doesNotExist();
        assertThat(old).exists();
        assertThat(cwd.resolve("notes.txt")).exists();
    }
}
