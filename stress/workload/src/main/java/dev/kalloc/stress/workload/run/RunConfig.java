// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a campaign (scenarios x guarantees) runs with, validated once: the command line's
 * {@code run} options become one of these. Immutable; {@link #validate()} names the first bad
 * value.
 *
 * @param scenarios scenario names; the command line checks them against the scenarios it knows,
 *        and a {@link Campaign} against the catalogue it is given
 * @param guarantees the guarantees each scenario runs on
 * @param duration how long each run offers load
 * @param trials independent trials of every scenario x guarantee cell
 * @param rate offered operations per second, per run
 * @param memoryMiB simulated RAM per run
 * @param cpus simulated CPUs
 * @param seed seeds every random choice (data patterns, fault injection)
 * @param diskErrorRate probability that a device fails a bio, in [0, 1]
 * @param pageFailPercent fail_page_alloc probability in percent, 0 for off
 * @param pageFailInterval fail_page_alloc interval (every n-th eligible call is a candidate)
 * @param slabFailPercent failslab probability in percent, 0 for off: as the kernel's defaults,
 *        it fails only allocations that may not sleep, such as a mempool's first attempt
 * @param workers load-generator threads per run
 * @param watchdog no completed operation for this long marks the run deadlocked
 * @param stallThreshold an operation slower than this counts as a stall
 * @param serviceTime how long a RAM disk takes per bio
 * @param kswapd whether the machine runs kswapd
 * @param oomWaits OOM policy: wait for frees (true) or fail after a few fruitless rounds
 * @param freePercent the memory pressure: the share of the memory free after set-up that the
 *        scenario's pressure leaves free, in percent; 0 (the default) lets it take all it can
 * @param warmup load time of an unrecorded run of each scenario before the campaign, zero for none
 * @param out the output folder
 */
public record RunConfig(List<String> scenarios, List<GuaranteeKind> guarantees, Duration duration, int trials, double rate,
        int memoryMiB, int cpus, long seed, double diskErrorRate, int pageFailPercent, int pageFailInterval,
        int slabFailPercent, int workers, Duration watchdog, Duration stallThreshold, Duration serviceTime, boolean kswapd,
        boolean oomWaits, double freePercent, Duration warmup, Path out) {

    /** Smallest machine: the scenarios' pools, disks' queues and pressure must fit. */
    public static final int MIN_MEMORY_MIB = 16;
    /**
     * Largest machine. Each run boots a fresh one and fills it with pressure before its load:
     * at 512 MiB that set-up takes a few seconds a run on 2 shared cores (at 1024 MiB over ten,
     * at 4096 MiB about twenty). Above 1023 MiB the writeback scenario's RAM disk, twice the
     * memory, passes the 2 GiB a RAM disk holds, so 4096 (the maximum once) broke every writeback
     * and mixed run.
     */
    public static final int MAX_MEMORY_MIB = 512;
    /** Most trials per cell: enough for any interval; more only multiplies the run time. */
    static final int MAX_TRIALS = 1000;

    /**
     * Checks every value.
     *
     * @return this
     * @throws IllegalArgumentException naming the first bad option and its allowed range
     */
    public RunConfig validate() {
        require(!scenarios.isEmpty(), "--scenarios: name at least one scenario");
        require(!guarantees.isEmpty(), "--guarantees: name at least one guarantee (" + GuaranteeKind.labels() + ")");
        require(!duration.isNegative() && !duration.isZero() && duration.compareTo(Duration.ofHours(24)) <= 0,
                "--duration " + Text.duration(duration) + ": must be in (0, 24h]");
        require(trials >= 1 && trials <= MAX_TRIALS, "--trials " + trials + ": must be in [1, " + MAX_TRIALS + "]");
        require(rate > 0 && rate <= 1_000_000 && Double.isFinite(rate), "--rate " + rate + ": must be in (0, 1000000] ops/s");
        require(rate * duration.toNanos() / 1e9 >= 1, "--rate " + rate + ": offers no operation in a run of "
                + Text.duration(duration) + "; raise --rate or --duration");
        require(memoryMiB >= MIN_MEMORY_MIB && memoryMiB <= MAX_MEMORY_MIB,
                "--memory " + memoryMiB + " MiB: must be in [" + MIN_MEMORY_MIB + ", " + MAX_MEMORY_MIB + "]");
        require(cpus >= 1 && cpus <= 64, "--cpus " + cpus + ": must be in [1, 64]");
        require(diskErrorRate >= 0 && diskErrorRate <= 1, "--disk-error-rate " + diskErrorRate + ": must be in [0, 1]");
        require(pageFailPercent >= 0 && pageFailPercent <= 100,
                "--page-fail-percent " + pageFailPercent + ": must be in [0, 100]");
        require(pageFailInterval >= 1, "--page-fail-interval " + pageFailInterval + ": must be at least 1");
        require(slabFailPercent >= 0 && slabFailPercent <= 100,
                "--slab-fail-percent " + slabFailPercent + ": must be in [0, 100]");
        require(workers >= 1 && workers <= 256, "--workers " + workers + ": must be in [1, 256]");
        require(watchdog.compareTo(Duration.ofMillis(100)) >= 0,
                "--watchdog " + Text.duration(watchdog) + ": must be at least 100ms");
        require(!stallThreshold.isNegative() && !stallThreshold.isZero(),
                "--stall-threshold " + Text.duration(stallThreshold) + ": must be positive");
        require(!serviceTime.isNegative() && serviceTime.compareTo(Duration.ofSeconds(1)) <= 0,
                "--service-time " + Text.duration(serviceTime) + ": must be in [0, 1s]");
        require(!warmup.isNegative() && warmup.compareTo(Duration.ofMinutes(1)) <= 0,
                "--warmup " + Text.duration(warmup) + ": must be in [0, 1m]");
        require(freePercent >= 0 && freePercent < 100 && Double.isFinite(freePercent),
                "--free " + freePercent + ": must be in [0, 100) percent");
        require(out != null, "--out: an output folder is needed");
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The simulated machine every run of this campaign boots. */
    public MachineConfig machine() {
        return MachineConfig.builder()
                .memory(memoryMiB * MachineConfig.MiB)
                .cpus(cpus)
                .kswapd(kswapd)
                .oomPolicy(oomWaits ? OomPolicy.waitForFree() : OomPolicy.failAfter(8))
                .build();
    }

    /**
     * The seed of trial {@code trial}: the campaign's seed and the trial number mixed (SplitMix64's
     * finaliser), so that neighbouring seeds and trials give unrelated streams.
     */
    long trialSeed(int trial) {
        long z = seed + trial * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** This configuration with another load time per run (the warm-up's). */
    RunConfig withDuration(Duration d) {
        return new RunConfig(scenarios, guarantees, d, trials, rate, memoryMiB, cpus, seed, diskErrorRate, pageFailPercent,
                pageFailInterval, slabFailPercent, workers, watchdog, stallThreshold, serviceTime, kswapd, oomWaits, freePercent,
                warmup, out);
    }

    /**
     * This configuration at another point of a sweep: its own scenarios, OOM policy, pressure,
     * offered rate and output folder.
     */
    RunConfig at(List<String> scenarios, boolean oomWaits, double freePercent, double rate, Path out) {
        return new RunConfig(scenarios, guarantees, duration, trials, rate, memoryMiB, cpus, seed, diskErrorRate,
                pageFailPercent, pageFailInterval, slabFailPercent, workers, watchdog, stallThreshold, serviceTime, kswapd,
                oomWaits, freePercent, warmup, out);
    }

    /** This configuration with another warm-up (none for the points of a sweep after its first). */
    RunConfig withWarmup(Duration w) {
        return new RunConfig(scenarios, guarantees, duration, trials, rate, memoryMiB, cpus, seed, diskErrorRate,
                pageFailPercent, pageFailInterval, slabFailPercent, workers, watchdog, stallThreshold, serviceTime, kswapd,
                oomWaits, freePercent, w, out);
    }
}
