// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.testing.DriverRig;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;

/**
 * The system under test of one run: a freshly booted machine, its slab allocator and
 * reservation registry, the guarantee the run is on (wrapped to be observed), and the RAM disks
 * the scenario creates. Nothing is shared between runs, so one run's leftovers (a deadlocked
 * thread, a pool with elements out) cannot touch the next.
 *
 * <p>The machine, the slab allocator, the disks, the drivers and closing them in order come from
 * the shared {@link DriverRig}; this class adds the run's fault injection (set on the machine
 * before the slab allocator boots, so the boot already sees it), the reservation registry, the
 * observed guarantee and the pressure floor.
 *
 * <p>Threads: built and used by the run's thread; {@link #close()} from whoever tears the run
 * down.
 */
public final class Rig extends DriverRig {
    public final RunConfig config;
    final Reservations reservations;
    public final TrackedGuarantee guarantee;
    /** Seed of this run: the trial's seed mixed with the scenario and guarantee. */
    public final long seed;
    /** Free pages the pressure leaves ({@link #startPressure()}); 0 until then. */
    private volatile long pressureFloor;
    private volatile long freeBeforePressure = -1;

    Rig(RunConfig config, GuaranteeKind kind, String scenario, long trialSeed) {
        this(config, kind, trialSeed * 0x9E3779B97F4A7C15L + scenario.hashCode() * 31L + kind.ordinal());
    }

    private Rig(RunConfig config, GuaranteeKind kind, long seed) {
        super(bootMachine(config, seed));
        this.config = config;
        this.seed = seed;
        try {
            if (config.slabFailPercent() > 0) {
                // ignore-gfp-wait stays on (the kernel's default): pools prefill with sleeping
                // allocations, and what is put to the test is their first, non-sleeping attempt.
                slab.failslab().attr().configure(config.slabFailPercent(), 1, -1, 0, seed + 1);
            }
            this.reservations = Reservations.boot(machine);
            this.guarantee = new TrackedGuarantee(kind.create(machine, reservations), reservations);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Boots the run's machine, touches its memory and sets the page allocator's fault injection,
     * all before the slab allocator boots on it; closes the machine if any of it throws.
     */
    private static Machine bootMachine(RunConfig config, long seed) {
        Machine m = Machine.boot(config.machine());
        try {
            prefault(m);
            if (config.pageFailPercent() > 0) {
                m.pageAlloc().failPageAlloc().attr().configure(config.pageFailPercent(),
                        config.pageFailInterval(), -1, 0, seed);
            }
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Touches every section of the simulated RAM. {@code PhysicalMemory} allocates a section (up
     * to 1 GiB, zeroed) at its first access; without this the first measured operation that
     * writes a page of a section nobody touched during set-up (a highmem buffer, say) would pay
     * for allocating and zeroing it, and so would every thread racing it there.
     */
    private static void prefault(Machine m) {
        for (long addr = 0; addr < m.memory().size(); addr += 1L << 30) {
            m.memory().getLong(addr);
        }
    }

    /**
     * Called once set-up is done and before the scenario applies its pressure: fixes the number of
     * free pages the pressure must leave, {@code --free} percent of those free now. The scenarios'
     * fills stop there ({@code PressureFill}), so at 0% they take all the allocator gives.
     */
    void startPressure() {
        long free = machine.pageAlloc().nrFreePages();
        freeBeforePressure = free;
        pressureFloor = Math.round(free * config.freePercent() / 100);
    }

    /** Free pages the pressure leaves. */
    public long pressureFloor() {
        return pressureFloor;
    }

    /** Free pages when set-up was done and the pressure began, or -1 before that. */
    long freeBeforePressure() {
        return freeBeforePressure;
    }

    /**
     * A RAM disk of {@code sectors} sectors with the campaign's service time and error rate;
     * closed with the rig.
     */
    public RamDisk disk(String name, long sectors) {
        return disk(name, sectors, true);
    }

    /**
     * A RAM disk of {@code sectors} sectors with the campaign's service time, and its error rate
     * if {@code randomErrors}; closed with the rig. raid1 takes its mirrors without and gives them
     * the error rate itself, through its array's {@code MirrorErrorGate}: mirrors failing blindly
     * at random would soon fail the last in-sync copy, lose data no guarantee can save, and the
     * check would blame the guarantee. Synchronized so that the disk's error seed, counted from
     * the disks made so far, is the one its own creation made.
     */
    public synchronized RamDisk disk(String name, long sectors, boolean randomErrors) {
        RamDisk d = newDisk(name, sectors, config.serviceTime());
        if (randomErrors && config.diskErrorRate() > 0) {
            d.injectErrors(config.diskErrorRate(), seed + disks().size());
        }
        return d;
    }

    /** Bios the run's disks failed by fault injection, random or scheduled. */
    long diskIoErrors() {
        long n = 0;
        for (RamDisk d : disks()) {
            n += d.ioErrors();
        }
        return n;
    }
}
