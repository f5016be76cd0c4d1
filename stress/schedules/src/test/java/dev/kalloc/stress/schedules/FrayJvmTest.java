// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Guards the module against passing without exploring anything. Fray's JUnit extension reports
 * every {@code @ConcurrencyTest} as skipped ("Fray is not enabled in this JVM") when the tests run
 * on a JDK that Fray did not instrument, which surefire counts as no failure. This fails instead:
 * the tests must run on the JDK that {@code prepare-fray} made, whose release file names Fray as
 * its implementor.
 */
class FrayJvmTest {
    @Test
    void testsRunOnFraysInstrumentedJdk() throws IOException {
        Path release = Path.of(System.getProperty("java.home"), "release");
        assertThat(Files.readAllLines(release)).as("%s: the tests must run on Fray's instrumented JDK "
                + "(target/fray/fray-java, set up by prepare-fray)", release).anyMatch(l -> l.contains("IMPLEMENTOR=Fray"));
    }
}
