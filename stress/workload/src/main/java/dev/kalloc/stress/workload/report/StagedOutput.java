// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A set of output files written aside, in a hidden folder inside the output folder, and moved
 * into place only once every one of them is written: a report that fails halfway (a file it
 * cannot write, a bug) leaves the earlier report exactly as it was, never a mix of the two or an
 * empty page over a good one.
 *
 * <p>Invariants: nothing in the output folder changes before {@link #publish}; after it, the
 * output folder holds every file staged, and no file the caller names as its own ({@code ours})
 * that this staging did not write, so that a report of a campaign with fewer cells or trials
 * leaves no {@code .hgrm} file or plot of the earlier one beside its own. The stage is in the
 * output folder so that each move is a rename within one file system (atomic where the file
 * system allows it); {@link #close} removes what is left of it.
 *
 * <p>What this does not cover: {@link #publish} renames file by file, so a failure or a kill
 * (SIGKILL, or a signal while {@code kalloc run} renders) in the middle of it leaves some new
 * files beside some old ones, and a kill leaves the {@code .kalloc-staging-*} folder behind (it
 * is not removed at the next start, which could be a second report writing beside this one).
 * Rendering the report again ({@code kalloc report DIR}) puts the folder right: the log is never
 * touched by a render.
 */
final class StagedOutput implements AutoCloseable {
    private final Path target;
    private final Path stage;

    /**
     * A stage for {@code target}, creating {@code target} if needed.
     *
     * @throws IOException if {@code target} cannot be created or written into
     */
    StagedOutput(Path target) throws IOException {
        this.target = target;
        Files.createDirectories(target);
        this.stage = Files.createTempDirectory(target, ".kalloc-staging-");
    }

    /** The folder to write into. */
    Path stage() {
        return stage;
    }

    /**
     * Moves every staged file into the output folder, replacing a file of the same name, with
     * {@code last} (if staged) moved last: a reader who opens it finds what it refers to. Then
     * deletes every regular file of the output folder that {@code ours} claims and that was not
     * staged.
     */
    void publish(Predicate<String> ours, String last) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(stage)) {
            s.map(p -> p.getFileName().toString()).sorted(Comparator.comparing((String n) -> n.equals(last)))
                    .forEach(names::add);
        }
        for (String n : names) {
            move(stage.resolve(n), target.resolve(n));
        }
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(target)) {
            s.filter(p -> Files.isRegularFile(p) && ours.test(p.getFileName().toString())
                    && !names.contains(p.getFileName().toString())).forEach(stale::add);
        }
        for (Path p : stale) {
            Files.delete(p);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes the stage and whatever is still in it (everything, if {@link #publish} was not reached). */
    @Override
    public void close() throws IOException {
        if (!Files.exists(stage)) {
            return;
        }
        List<Path> left;
        try (Stream<Path> s = Files.walk(stage)) {
            left = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : left) {
            Files.deleteIfExists(p);
        }
    }
}
