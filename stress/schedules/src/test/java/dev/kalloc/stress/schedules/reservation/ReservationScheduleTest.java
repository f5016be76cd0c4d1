// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.reservation;

import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * Fray explores reservation admission with debt repayment and release: {@value #SCHEDULES}
 * schedules per test (Fray's POS scheduler, one JUnit repetition each). The invariant of each
 * test is its scenario's, in {@link ReservationScenarios}. A failing schedule stops the test and
 * Fray prints where its recording is; {@code @ConcurrencyTest(replay = "DIR/recording")} replays
 * it (README).
 */
@ExtendWith(FrayTestExtension.class)
class ReservationScheduleTest {
    /** Schedules explored by each test. */
    static final int SCHEDULES = 200;

    /** {@link ReservationScenarios#admissionWokenByRelease}. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void admissionWokenByRelease() {
        ReservationScenarios.admissionWokenByRelease();
    }

    /** {@link ReservationScenarios#debtRepaidByReleaseAndFree}. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void debtRepaidByReleaseAndFree() {
        ReservationScenarios.debtRepaidByReleaseAndFree();
    }
}
