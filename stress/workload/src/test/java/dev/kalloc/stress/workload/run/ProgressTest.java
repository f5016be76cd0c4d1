// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link Progress} in the two modes for a stream that is not a terminal. */
class ProgressTest {
    private static String drive(Progress.Mode mode) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Progress p = Progress.open(new PrintStream(buf, true, StandardCharsets.UTF_8), "kalloc", 3, mode)) {
            p.status("boot");
            p.stepTo(50);
            p.finished(100, "a.none.t1 ok");
            p.status("load");
            p.finished(200, "b.none.t1 DEADLOCK");
            p.maxHint(200);
            p.finished(200, "done");
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void linesAreOnePerFinishedThingWithoutCarriageReturns() {
        assertThat(drive(Progress.Mode.LINES)).isEqualTo(String.join(System.lineSeparator(),
                "kalloc 1/3 runs: a.none.t1 ok", "kalloc 2/3 runs: b.none.t1 DEADLOCK", "kalloc 2/2 runs: done", ""));
    }

    @Test
    void quietWritesNothing() {
        assertThat(drive(Progress.Mode.QUIET)).isEmpty();
    }

    @Test
    void theBarRedrawsInPlace() {
        // The terminal form, for contrast: its frames are what must not reach a file.
        assertThat(drive(Progress.Mode.BAR)).contains("\r").contains("kalloc");
    }
}
