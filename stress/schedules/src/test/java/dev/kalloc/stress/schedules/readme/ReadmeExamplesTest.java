// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.tests.ReadmeExamples;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * stress/schedules/README.md's one Java block, the replay annotation, compiled here exactly as
 * the README shows it, on an abstract method so that no engine runs it (its recording is a path
 * a failing run writes, not a file in the tree). The test checks that the path is the one Fray
 * writes for the method it names, with {@code fray.organize.by.test} as the pom sets it: the
 * report folder of that class and method, which must exist and be a concurrency test.
 * {@link ReadmeExamples} fails if the README block and the region part.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/stress/schedules/readme/ReadmeExamplesTest.java";
    private static final String TEST_CLASS = "dev.kalloc.stress.schedules.mempool.MempoolScheduleTest";
    private static final String TEST_METHOD = "wakeupHandOff251";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "replay");
    }

    @Test
    void replayPathIsTheReportFolderOfAnExistingConcurrencyTest() throws Exception {
        ConcurrencyTest shown = Replay.class.getDeclaredMethod(TEST_METHOD).getAnnotation(ConcurrencyTest.class);
        assertThat(shown.replay())
                .isEqualTo("target/fray/fray-report/" + TEST_CLASS + "/" + TEST_METHOD + "/recording");
        Method replayed = Class.forName(TEST_CLASS).getDeclaredMethod(TEST_METHOD);
        assertThat(replayed.getAnnotation(ConcurrencyTest.class)).as("the method the README replays").isNotNull();
    }

    /** Abstract: JUnit runs no method of it; only the annotation's text and values are used. */
    abstract static class Replay {
        // readme:begin replay
        @ConcurrencyTest(replay = "target/fray/fray-report/dev.kalloc.stress.schedules.mempool.MempoolScheduleTest/wakeupHandOff251/recording")
        // readme:end
        abstract void wakeupHandOff251();
    }
}
