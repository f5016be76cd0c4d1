// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.MempoolBugs;
import dev.kalloc.mempool.MempoolPolicy;
import dev.kalloc.page.PageBugs;
import dev.kalloc.stress.schedules.mempool.MempoolLincheckTest;
import dev.kalloc.stress.schedules.mempool.MempoolScenarios;
import dev.kalloc.stress.schedules.reservation.ReservationScenarios;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Shows that each schedule test catches the bug it exists for. For every injected bug (one
 * protection of a blocking path removed by a test-only switch, see {@code InjectedBug} in the
 * mempool and page packages), it turns the bug on, lets Fray explore the scenario that names it,
 * with seed {@value #SEED} and a budget of {@value #BUDGET} schedules, and asserts that a failing
 * schedule IS found, and for the reason the bug predicts (a lost wake-up shows as a deadlock: every
 * thread parked; an overfilled pool as the pool's own assertion). A test that cannot catch the bug
 * it names is not evidence; this is the check that each one can.
 *
 * <p>Each failing schedule is then replayed once from the recording Fray wrote, with the bug still
 * in force, and must fail the same way: the deterministic replay the README tells a developer to
 * use. Each case prints one line, "injected-bug | ..." with the number of schedules it took, and
 * all of them go to {@code target/injected-bugs.md}, the table the README shows. The seed makes the
 * counts reproducible on the same code: the same seed explores the same schedules.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InjectedBugsTest {
    /** Seed of the scheduler's random choices, fixed so the counts reproduce. */
    static final long SEED = 15;
    /** The most schedules an injected bug may take to be caught. */
    static final int BUDGET = 2000;

    private static final List<String> ROWS = new ArrayList<>();

    @Test
    @org.junit.jupiter.api.Order(1)
    void noWakeupHandOffIsCaught() throws Exception {
        expectCaught("mempool: NO_WAKEUP_HANDOFF (2.5.1's woken waiter leaves without passing the wake-up on)",
                "MempoolScheduleTest.wakeupHandOff251", () -> MempoolBugs.inject("NO_WAKEUP_HANDOFF"),
                () -> MempoolScenarios.wakeupHandOff(MempoolPolicy.LINUX_2_5_1), Kind.DEADLOCK, Explorer.Timing.DEFAULT, null);
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void wakeCheckBeforeRefill251IsCaught() throws Exception {
        expectCaught("mempool: WAKE_CHECK_BEFORE_REFILL (the barrier pair: free looks for sleepers before it refills)",
                "MempoolScheduleTest.sleeperWokenByFree251", () -> MempoolBugs.inject("WAKE_CHECK_BEFORE_REFILL"),
                () -> MempoolScenarios.sleeperWokenByFree(MempoolPolicy.LINUX_2_5_1), Kind.DEADLOCK, Explorer.Timing.DEFAULT, null);
    }

    @Test
    @org.junit.jupiter.api.Order(3)
    void wakeCheckBeforeRefillModernIsCaught() throws Exception {
        expectCaught("mempool: WAKE_CHECK_BEFORE_REFILL (the barrier pair: free looks for sleepers before it refills)",
                "MempoolScheduleTest.sleeperWokenByFreeModern", () -> MempoolBugs.inject("WAKE_CHECK_BEFORE_REFILL"),
                () -> MempoolScenarios.sleeperWokenByFree(MempoolPolicy.MODERN), Kind.ASSERTION, Explorer.Timing.VIRTUAL,
                "ended by the timeout, not woken by a free");
    }

    @Test
    @org.junit.jupiter.api.Order(4)
    void noRecheckBeforeSleepIsCaught() throws Exception {
        expectCaught("mempool: NO_RECHECK_BEFORE_SLEEP (2.5.1's sleeper skips the re-check of curr_nr under the lock)",
                "MempoolScheduleTest.sleeperWokenByFree251", () -> MempoolBugs.inject("NO_RECHECK_BEFORE_SLEEP"),
                () -> MempoolScenarios.sleeperWokenByFree(MempoolPolicy.LINUX_2_5_1), Kind.DEADLOCK, Explorer.Timing.DEFAULT, null);
    }

    @Test
    @org.junit.jupiter.api.Order(5)
    void queueAfterUnlockIsCaught() throws Exception {
        expectCaught("mempool: QUEUE_AFTER_UNLOCK (modern sleeper queues after dropping the lock that saw the pool empty)",
                "MempoolScheduleTest.sleeperWokenByFreeModern", () -> MempoolBugs.inject("QUEUE_AFTER_UNLOCK"),
                () -> MempoolScenarios.sleeperWokenByFree(MempoolPolicy.MODERN), Kind.ASSERTION, Explorer.Timing.VIRTUAL,
                "ended by the timeout, not woken by a free");
    }

    @Test
    @org.junit.jupiter.api.Order(6)
    void noRefillRecheckIsCaughtByTwoFrees() throws Exception {
        expectCaught("mempool: NO_REFILL_RECHECK (free skips the re-check of curr_nr < min_nr under the lock)",
                "MempoolScheduleTest.twoFreesOneSlot251", () -> MempoolBugs.inject("NO_REFILL_RECHECK"),
                () -> MempoolScenarios.twoFreesOneSlot(MempoolPolicy.LINUX_2_5_1), Kind.ASSERTION, Explorer.Timing.DEFAULT,
                "add_element on a full array");
    }

    @Test
    @org.junit.jupiter.api.Order(7)
    void noRefillRecheckIsCaughtByResize() throws Exception {
        expectCaught("mempool: NO_REFILL_RECHECK (free skips the re-check of curr_nr < min_nr under the lock)",
                "MempoolScheduleTest.resizeDuringFreesModern", () -> MempoolBugs.inject("NO_REFILL_RECHECK"),
                () -> MempoolScenarios.resizeDuringFrees(MempoolPolicy.MODERN), Kind.ASSERTION, Explorer.Timing.VIRTUAL,
                // Two unchecked refills past a shrunk min_nr: curr_nr above min_nr, or (when the
                // array is at its length) an add on a full array. Which one the first failing
                // schedule shows depends on where the pool lock lets the explorer switch threads.
                "break 0 <= curr_nr <= min_nr <= length", "add_element on a full array");
    }

    @Test
    @org.junit.jupiter.api.Order(8)
    void noAdmissionRecheckIsCaught() throws Exception {
        expectCaught("reservation: NO_ADMISSION_RECHECK (admission sleeps on the debt it saw before queueing)",
                "ReservationScheduleTest.admissionWokenByRelease", () -> PageBugs.inject("NO_ADMISSION_RECHECK"),
                ReservationScenarios::admissionWokenByRelease, Kind.DEADLOCK, Explorer.Timing.DEFAULT, null);
    }

    @Test
    @org.junit.jupiter.api.Order(9)
    void noRecheckBeforeSleepIsCaughtByLincheck() throws Exception {
        String bug = "mempool: NO_RECHECK_BEFORE_SLEEP (2.5.1's sleeper skips the re-check of curr_nr under the lock)";
        Throwable failure = null;
        try (AutoCloseable injected = MempoolBugs.inject("NO_RECHECK_BEFORE_SLEEP")) {
            MempoolLincheckTest.options(0, MempoolLincheckTest.INVOCATIONS).check(MempoolLincheckTest.class);
        } catch (LincheckAssertionError e) {
            failure = e;
        }
        // Lincheck reports the failing interleaving, not how many it tried first: the bound is what is known.
        String row = "| " + bug + " | Lincheck 3.7 (model checking) | MempoolLincheckTest, custom scenario | "
                + (failure == null ? "no" : "yes: " + lincheckVerdict(failure)) + " | at most "
                + MempoolLincheckTest.INVOCATIONS + " (Lincheck does not report the count) | no (Lincheck prints the "
                + "interleaving instead) |";
        System.out.println("injected-bug " + row);
        ROWS.add(row);
        assertThat(failure).as("%s: Lincheck found no failing interleaving", bug).isNotNull();
        assertThat(failure.getMessage()).as(bug).contains("allocSleeping");
    }

    private static String lincheckVerdict(Throwable failure) {
        return failure.getMessage().lines().map(String::trim).filter(l -> l.startsWith("="))
                .findFirst().orElse(failure.getClass().getSimpleName()).replace("=", "").trim();
    }

    /** How the failing schedule must fail for the bug to count as caught. */
    private enum Kind {
        /** Every thread blocked: the lost wake-up a missing protection causes. */
        DEADLOCK,
        /**
         * An assertion in the pool or the scenario: the invariant a missing re-check breaks, or
         * (modern policy) a sleep ended by its timeout instead of a free's wake-up.
         */
        ASSERTION
    }

    /**
     * Explores {@code body} with the bug injected and asserts it is caught for the reason the bug
     * predicts: a deadlock, or an assertion whose message contains {@code reason} (an unrelated
     * failure, such as a broken set-up, does not count as catching the bug).
     */
    private static void expectCaught(String bug, String test, Callable<AutoCloseable> inject, Runnable body, Kind kind,
            Explorer.Timing timing, String... reasons) throws Exception {
        Explorer.Outcome outcome;
        String name = "InjectedBugsTest/" + StackWalker.getInstance().walk(frames -> frames.skip(1).findFirst())
                .map(StackWalker.StackFrame::getMethodName).orElse("unknown");
        Throwable replayed = null;
        try (AutoCloseable injected = inject.call()) {
            outcome = Explorer.explore(name, body, BUDGET, SEED, timing);
            if (outcome.failure != null) {
                replayed = Explorer.replay(outcome.report.resolve("recording"), body, timing);
            }
        }
        String row = "| " + bug + " | Fray 0.9.2 (POS, seed " + SEED + (timing == Explorer.Timing.VIRTUAL
                ? ", virtual time" : "") + ") | " + test + " | "
                + (outcome.failure == null ? "no" : "yes: " + describe(outcome.failure)) + " | "
                + (outcome.failure == null ? "none failed in " : "") + outcome.schedules + " | "
                + (replayed == null ? "no" : "yes: " + describe(replayed)) + " |";
        System.out.println("injected-bug " + row + (outcome.failure == null ? "" : " recording under " + outcome.report));
        ROWS.add(row);
        assertThat(outcome.failure).as("%s: no failing schedule in %d", bug, outcome.schedules).isNotNull();
        if (kind == Kind.DEADLOCK) {
            assertThat(outcome.failure.getClass().getSimpleName()).as(bug).contains("Deadlock");
        } else {
            assertThat(outcome.failure).as(bug).isInstanceOf(AssertionError.class);
            assertThat(outcome.failure.getMessage()).as("%s: caught for another reason", bug)
                    .containsAnyOf(reasons);
        }
        assertThat(replayed).as("%s: the recorded schedule replays the failure", bug).isNotNull()
                .hasSameClassAs(outcome.failure);
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        String first = message == null ? "" : message.lines().findFirst().orElse("");
        return failure.getClass().getSimpleName() + (first.isEmpty() ? "" : " (" + first.replace('|', '/') + ")");
    }

    @AfterAll
    static void writeTable() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("| injected bug | tool | test | caught? | schedules until caught | recording replays it? |");
        lines.add("| --- | --- | --- | --- | --- | --- |");
        lines.addAll(ROWS);
        Path out = Path.of("target", "injected-bugs.md");
        Files.createDirectories(out.getParent());
        Files.write(out, lines, StandardCharsets.UTF_8);
    }
}
