// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {
    @Test
    void operationIStartsAtT0PlusIOverRate() {
        OpenLoopSchedule s = new OpenLoopSchedule(1_000, 1000, Duration.ofSeconds(2));
        assertThat(s.total()).isEqualTo(2000);
        assertThat(s.intendedStart(0)).isEqualTo(1_000);
        assertThat(s.intendedStart(1)).isEqualTo(1_000 + 1_000_000);
        assertThat(s.intendedStart(1999)).isEqualTo(1_000 + 1_999_000_000L);
    }

    @Test
    void fractionalRatesRoundEachStartNotTheInterval() {
        OpenLoopSchedule s = new OpenLoopSchedule(0, 3, Duration.ofSeconds(1));
        assertThat(s.total()).isEqualTo(3);
        assertThat(s.intendedStart(1)).isEqualTo(333_333_333L);
        assertThat(s.intendedStart(2)).isEqualTo(666_666_667L);
        // No drift: op 3000 of a 3/s schedule starts exactly 1000 s in.
        assertThat(s.intendedStart(3000)).isEqualTo(1_000_000_000_000L);
    }

    @Test
    void onlyOpsStartingBeforeTheEndBelongToTheRun() {
        assertThat(new OpenLoopSchedule(0, 1000, Duration.ofNanos(2_000_001)).total()).isEqualTo(3);
        assertThat(new OpenLoopSchedule(0, 1000, Duration.ofMillis(2)).total()).isEqualTo(2);
        assertThat(new OpenLoopSchedule(0, 1, Duration.ofMillis(1)).total()).isEqualTo(1);
    }

    @Test
    void dueByCountsOpsWhoseIntendedStartHasPassed() {
        OpenLoopSchedule s = new OpenLoopSchedule(100, 10, Duration.ofSeconds(1));
        assertThat(s.dueBy(99)).isZero();
        assertThat(s.dueBy(100)).isEqualTo(1);
        assertThat(s.dueBy(100 + 99_999_999)).isEqualTo(1);
        assertThat(s.dueBy(100 + 100_000_000)).isEqualTo(2);
        assertThat(s.dueBy(100 + 5_000_000_000L)).isEqualTo(s.total());
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offered rate");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, Double.NaN, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offered rate");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duration");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 10, Duration.ofSeconds(1)).intendedStart(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
}
