// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import kotlin.Unit;
import kotlinx.serialization.json.Json;
import org.pastalab.fray.core.TestRunner;
import org.pastalab.fray.core.command.Configuration;
import org.pastalab.fray.core.command.ExecutionInfo;
import org.pastalab.fray.core.command.LambdaExecutor;
import org.pastalab.fray.core.command.NetworkDelegateType;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.core.observers.TimelineCoverageType;
import org.pastalab.fray.core.randomness.ControlledRandom;
import org.pastalab.fray.core.randomness.ControlledRandomProvider;
import org.pastalab.fray.core.randomness.Randomness;
import org.pastalab.fray.core.randomness.RandomnessProvider;
import org.pastalab.fray.core.scheduler.POSScheduler;
import org.pastalab.fray.core.scheduler.Scheduler;
import org.pastalab.fray.junit.Common;
import org.pastalab.fray.junit.plain.FrayInTestLauncher;

/**
 * Runs a scenario body under Fray from inside an ordinary test, the way the injected-bug tests
 * need it: up to a budget of schedules, stopping at the first failing one, and saying how many
 * schedules that took. Fray's JUnit extension cannot do this (a failing schedule fails the test,
 * and the count is not exposed), so this drives Fray's {@link TestRunner} directly, configured
 * as {@code @ConcurrencyTest} configures it (POS scheduler, no network or time mocking unless
 * {@link Timing#VIRTUAL}), but with seeded randomness: the same seed explores the same
 * schedules, so a reported count reproduces run after run on the same code.
 *
 * <p>On a failure Fray writes the failing schedule's recording (its random choices and scheduler
 * class) to {@code target/fray/fray-report/NAME/recording}, and {@link #replay} runs that one
 * schedule again (as {@link FrayInTestLauncher#launchFrayReplay} does, with this class's timing).
 */
public final class Explorer {
    /** Wall-clock bound on one exploration, in seconds: a backstop, far above any budget here. */
    private static final int TIMEOUT_SECONDS = 240;
    /** How far the mocked clock moves per scheduling step (Fray's {@code @FrayTest} default). */
    private static final long VIRTUAL_TIME_DELTA_NANOS = 100_000L;

    private Explorer() {
    }

    /** What one exploration found. */
    public static final class Outcome {
        /** Schedules run, the failing one included. */
        public final int schedules;
        /** The failure of the first failing schedule, or null if none failed. */
        public final Throwable failure;
        /** Fray's report directory, where the failing schedule's recording is. */
        public final Path report;

        Outcome(int schedules, Throwable failure, Path report) {
            this.schedules = schedules;
            this.failure = failure;
            this.report = report;
        }
    }

    /**
     * How Fray treats timed waits ({@code parkNanos}, {@code Thread.sleep}) in an exploration, as
     * the matching {@code @ConcurrencyTest} settings do.
     */
    public enum Timing {
        /**
         * Fray's default ({@code ignoreTimedBlock = true}): a timed wait returns at once, like a
         * yield, while real time runs on. For code without timed waits (2.5.1, reservations).
         */
        DEFAULT,
        /**
         * {@code ignoreTimedBlock = false} with mocked system time: a timed wait blocks until its
         * deadline on a virtual clock, which moves on only when no thread can run. So a timeout
         * fires only if nothing else could have woken the sleeper (the modern mempool policy).
         */
        VIRTUAL
    }

    /**
     * Explores up to {@code budget} schedules of {@code body}, stopping at the first that fails (an
     * exception or assertion error on any thread, or a deadlock: every thread blocked).
     *
     * @param name where the recordings go: {@code target/fray/fray-report/NAME}
     * @param seed the seed of the scheduler's random choices
     */
    public static Outcome explore(String name, Runnable body, int budget, long seed, Timing timing) {
        AtomicInteger schedules = new AtomicInteger();
        SeededRandomness randomness = new SeededRandomness(seed);
        Path report = Common.INSTANCE.getWORK_DIR().resolve(name);
        Throwable failure = new TestRunner(configure(body, schedules, report, budget,
                new POSScheduler(randomness.getRandomness()), randomness, false, timing)).run();
        return new Outcome(schedules.get(), failure, report);
    }

    /**
     * Replays the schedule recorded in {@code recording} (Fray's {@code recording} folder of a
     * failing exploration: the scheduler's class and every random choice it made) once, with the
     * same timing, and returns what it threw: the same failure, if the replay is deterministic.
     */
    public static Throwable replay(Path recording, Runnable body, Timing timing) throws IOException,
            ReflectiveOperationException {
        String schedulerClass = Files.readString(recording.resolve("scheduler"), StandardCharsets.UTF_8).trim();
        Randomness recorded = Json.Default.decodeFromString(Randomness.Companion.serializer(),
                Files.readString(recording.resolve("random.json"), StandardCharsets.UTF_8));
        Scheduler scheduler = (Scheduler) Class.forName(schedulerClass).getConstructor(Randomness.class)
                .newInstance(recorded);
        return new TestRunner(configure(body, new AtomicInteger(), recording.resolveSibling("replay"), 1, scheduler,
                new ControlledRandomProvider(), true, timing)).run();
    }

    /** Fray's configuration for a run of {@code body}, as {@code @ConcurrencyTest} sets it up. */
    private static Configuration configure(Runnable body, AtomicInteger schedules, Path report, int budget,
            Scheduler scheduler, RandomnessProvider randomness, boolean replay, Timing timing) {
        boolean virtual = timing == Timing.VIRTUAL;
        return new Configuration(
                new ExecutionInfo(new LambdaExecutor(() -> {
                    schedules.incrementAndGet();
                    body.run();
                    return Unit.INSTANCE;
                }), false, false, -1),
                report, budget, TIMEOUT_SECONDS, scheduler, randomness,
                false, false, true, replay, false, false, NetworkDelegateType.NONE,
                virtual ? SystemTimeDelegateType.MOCK : SystemTimeDelegateType.NONE, VIRTUAL_TIME_DELTA_NANOS,
                !virtual, false, false, false, false, false, TimelineCoverageType.NONE);
    }

    /** Fray's controlled randomness, drawn from one seeded generator: one stream per schedule. */
    private static final class SeededRandomness implements RandomnessProvider {
        private final Random seeds;

        SeededRandomness(long seed) {
            this.seeds = new Random(seed);
        }

        @Override
        public Randomness getRandomness() {
            return new ControlledRandom(new ArrayList<>(), new ArrayList<>(), new Random(seeds.nextLong()));
        }
    }
}
