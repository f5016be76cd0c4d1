// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.mempool;

import dev.kalloc.mempool.MempoolPolicy;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * Fray explores the mempool's blocking paths on both policies: {@value #SCHEDULES} schedules per
 * test, chosen by Fray's default POS scheduler (partial order sampling: random priorities per
 * thread, re-drawn at racing operations), each a JUnit repetition. The invariant of each test is
 * its scenario's, in {@link MempoolScenarios}. A failing schedule stops the test; Fray prints
 * "Bug found in iteration test ..., you may find detailed report and replay files in DIR", and
 * {@code @ConcurrencyTest(replay = "DIR/recording")} on the same method replays it (README).
 */
@ExtendWith(FrayTestExtension.class)
class MempoolScheduleTest {
    /** Schedules explored by each test. */
    static final int SCHEDULES = 300;

    /** {@link MempoolScenarios#sleeperWokenByFree}, 2.5.1: exclusive untimed sleep, re-check under the lock. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void sleeperWokenByFree251() {
        MempoolScenarios.sleeperWokenByFree(MempoolPolicy.LINUX_2_5_1);
    }

    /** {@link MempoolScenarios#sleeperWokenByFree}, modern: queued under the pool lock. */
    @ConcurrencyTest(iterations = SCHEDULES, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void sleeperWokenByFreeModern() {
        MempoolScenarios.sleeperWokenByFree(MempoolPolicy.MODERN);
    }

    /** {@link MempoolScenarios#wakeupHandOff}, 2.5.1: the exclusive wake-up must be handed on. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void wakeupHandOff251() {
        MempoolScenarios.wakeupHandOff(MempoolPolicy.LINUX_2_5_1);
    }

    /** {@link MempoolScenarios#wakeupHandOff}, modern: every refill wakes every sleeper. */
    @ConcurrencyTest(iterations = SCHEDULES, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void wakeupHandOffModern() {
        MempoolScenarios.wakeupHandOff(MempoolPolicy.MODERN);
    }

    /** {@link MempoolScenarios#resizeDuringFrees}, 2.5.1. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void resizeDuringFrees251() {
        MempoolScenarios.resizeDuringFrees(MempoolPolicy.LINUX_2_5_1);
    }

    /** {@link MempoolScenarios#resizeDuringFrees}, modern. */
    @ConcurrencyTest(iterations = SCHEDULES, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void resizeDuringFreesModern() {
        MempoolScenarios.resizeDuringFrees(MempoolPolicy.MODERN);
    }

    /** {@link MempoolScenarios#twoFreesOneSlot}, 2.5.1. */
    @ConcurrencyTest(iterations = SCHEDULES)
    void twoFreesOneSlot251() {
        MempoolScenarios.twoFreesOneSlot(MempoolPolicy.LINUX_2_5_1);
    }

    /** {@link MempoolScenarios#twoFreesOneSlot}, modern. */
    @ConcurrencyTest(iterations = SCHEDULES, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void twoFreesOneSlotModern() {
        MempoolScenarios.twoFreesOneSlot(MempoolPolicy.MODERN);
    }
}
