package dev.kalloc.stress.workload.run;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Machine;
import dev.kalloc.reservation.Reservations;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.stress.workload.scenarios.PressureFill;
import java.util.ArrayList;
import java.util.List;

/**
 * The system under test of one run: a freshly booted machine, its slab allocator and
 * reservation registry, the guarantee the run is on (wrapped to be observed), and the RAM disks
 * the scenario creates. Nothing is shared between runs, so one run's leftovers (a deadlocked
 * thread, a pool with elements out) cannot touch the next.
 *
 * <p>Threads: built and used by the run's thread; {@link #close()} from whoever tears the run
 * down.
 */
public final class Rig implements AutoCloseable {
    public final RunConfig config;
    public final Machine machine;
    public final SlabAllocator slab;
    final Reservations reservations;
    public final TrackedGuarantee guarantee;
    /** Seed of this run: the trial's seed mixed with the scenario and guarantee. */
    public final long seed;
    private final List<RamDisk> disks = new ArrayList<>();
    /** Free pages the pressure leaves ({@link #startPressure()}); 0 until then. */
    private volatile long pressureFloor;
    private volatile long freeBeforePressure = -1;
    private final List<AutoCloseable> drivers = new ArrayList<>();

    Rig(RunConfig config, GuaranteeKind kind, String scenario, long trialSeed) {
        this.config = config;
        this.seed = trialSeed * 0x9E3779B97F4A7C15L + scenario.hashCode() * 31L + kind.ordinal();
        this.machine = Machine.boot(config.machine());
        try {
            prefault(machine);
            if (config.pageFailPercent() > 0) {
                machine.pageAlloc().failPageAlloc().attr().configure(config.pageFailPercent(),
                        config.pageFailInterval(), -1, 0, seed);
            }
            this.slab = SlabAllocator.boot(machine);
            if (config.slabFailPercent() > 0) {
                // ignore-gfp-wait stays on (the kernel's default): pools prefill with sleeping
                // allocations, and what is put to the test is their first, non-sleeping attempt.
                slab.failslab().attr().configure(config.slabFailPercent(), 1, -1, 0, seed + 1);
            }
            this.reservations = Reservations.boot(machine);
            this.guarantee = new TrackedGuarantee(kind.create(machine, reservations), reservations);
        } catch (RuntimeException | Error e) {
            machine.close();
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
     * fills stop there ({@link PressureFill}), so at 0% they take all the allocator gives.
     */
    void startPressure() {
        long free = PressureFill.freePages(machine);
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
     * check would blame the guarantee.
     */
    public synchronized RamDisk disk(String name, long sectors, boolean randomErrors) {
        RamDisk d = RamDisk.create(machine, name, sectors, config.serviceTime());
        disks.add(d);
        if (randomErrors && config.diskErrorRate() > 0) {
            d.injectErrors(config.diskErrorRate(), seed + disks.size());
        }
        return d;
    }

    /** Bios the run's disks failed by fault injection, random or scheduled. */
    synchronized long diskIoErrors() {
        long n = 0;
        for (RamDisk d : disks) {
            n += d.ioErrors();
        }
        return n;
    }

    /** A driver (an md array) to close with the rig, newest first and before the disks it sits on. */
    public synchronized <T extends AutoCloseable> T driver(T d) {
        drivers.add(d);
        return d;
    }

    /**
     * Closes the drivers (newest first), then stops the disks' queues (draining them) and the
     * machine's kswapd. The first exception is thrown after everything was tried.
     */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        synchronized (this) {
            for (int i = drivers.size() - 1; i >= 0; i--) {
                all.add(drivers.get(i));
            }
            all.addAll(disks);
        }
        all.add(machine);
        RuntimeException first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException ? (RuntimeException) e
                            : new IllegalStateException("closing " + c + " failed", e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
