// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.jcstress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shaded jar's entry point: jcstress's own {@code Main}, with kalloc's places for what a run
 * writes. jcstress puts its HTML report in {@code results/}, the folder kalloc's workload runs
 * use, overwriting the last report there, and drops its result blob
 * ({@code jcstress-results-*.bin.gz}) in the working folder. Here a run that names no report
 * folder ({@code -r}) reports into a new folder {@code jcstress-results/<date>-<time>/}, and in
 * every run the blob that run wrote is moved into its report folder once jcstress has finished
 * (also when it exits with a failure status, so a shutdown hook does it).
 *
 * <p>Everything else, options and exit status included, is jcstress's: the arguments are passed
 * on unchanged apart from the added {@code -r}. Listing ({@code -l}) and help ({@code -h})
 * write nothing and are passed on as they are; re-parsing a blob ({@code -p}) writes a report
 * and gets a folder like a run. A report folder that stays empty (no test matched, bad options)
 * is removed again.
 */
public final class Main {
    /** Where a run that names no report folder reports, relative to the working folder. */
    static final Path DEFAULT_ROOT = Path.of("jcstress-results");
    private static final String BLOB_GLOB = "jcstress-results-*.bin.gz";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        List<String> argv = withReportFolder(Arrays.asList(args), cwd, LocalDateTime.now());
        Path report = reportFolder(argv, cwd);
        if (report != null) {
            try {
                Files.createDirectories(report);
            } catch (IOException e) {
                System.err.println("kalloc: cannot make the report folder " + report + ": " + e.getMessage());
                System.exit(1);
            }
            System.out.println("kalloc: the report and the result blob of this run go to " + report);
            FileTime start = FileTime.fromMillis(System.currentTimeMillis() - 1000);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                moveBlobs(cwd, report, start);
                removeIfEmpty(report);
            }, "jcstress-blob-mover"));
        }
        org.openjdk.jcstress.Main.main(argv.toArray(new String[0]));
    }

    /**
     * The arguments jcstress gets: {@code args}, plus {@code -r jcstress-results/<stamp>} when
     * the run writes a report and names no folder for it.
     */
    static List<String> withReportFolder(List<String> args, Path cwd, LocalDateTime now) {
        if (!writesReport(args) || reportOption(args) >= 0) {
            return args;
        }
        String stamp = now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
        List<String> out = new ArrayList<>(args);
        out.add("-r");
        out.add(cwd.resolve(DEFAULT_ROOT).resolve(stamp).toString());
        return out;
    }

    /** The folder the run reports into, absolute; null when the run writes no report. */
    static Path reportFolder(List<String> args, Path cwd) {
        if (!writesReport(args)) {
            return null;
        }
        int i = reportOption(args);
        if (i < 0) {
            return null;
        }
        String a = args.get(i);
        String folder = a.equals("-r") ? (i + 1 < args.size() ? args.get(i + 1) : null)
                : a.substring(a.startsWith("-r=") ? 3 : 2);
        if (folder == null || folder.isEmpty()) {
            return null; // jcstress refuses a bare -r itself, with its own message
        }
        return cwd.resolve(folder).normalize();
    }

    /** The index of the report option, as jopt-simple reads it ({@code -r DIR}, {@code -rDIR}, {@code -r=DIR}), or -1. */
    private static int reportOption(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("-r") && !a.startsWith("-rf")) {
                return i;
            }
        }
        return -1;
    }

    private static boolean writesReport(List<String> args) {
        return !(args.contains("-h") || args.contains("-l"));
    }

    private static void removeIfEmpty(Path report) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(report)) {
            if (!entries.iterator().hasNext()) {
                Files.delete(report);
            }
        } catch (IOException e) {
            // Left as it is: an empty folder is harmless, and a shutdown hook has no one to tell.
        }
    }

    /** Moves the blobs written in {@code cwd} since {@code start} into {@code report}. */
    static List<Path> moveBlobs(Path cwd, Path report, FileTime start) {
        List<Path> moved = new ArrayList<>();
        try (DirectoryStream<Path> blobs = Files.newDirectoryStream(cwd, BLOB_GLOB)) {
            for (Path blob : blobs) {
                if (Files.getLastModifiedTime(blob).compareTo(start) >= 0) {
                    Path to = report.resolve(blob.getFileName());
                    Files.move(blob, to, StandardCopyOption.REPLACE_EXISTING);
                    moved.add(to);
                }
            }
        } catch (IOException e) {
            // A shutdown hook has no caller to tell: say where the blob stayed.
            System.err.println("kalloc: could not move the result blob from " + cwd + " to " + report + ": " + e);
        }
        return moved;
    }
}
