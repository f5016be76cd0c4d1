// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab.testing;

import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabConfig;

/**
 * The bottom of every test rig above the page allocator: a booted {@link Machine} and the slab
 * allocator on it ({@code kmem_cache_init} on a fresh machine), owned together and closed
 * together. Unit tests, the jcstress fixtures and the workload build on it (directly or through
 * the drivers' {@code DriverRig}) instead of each booting the pair and undoing a half-done boot.
 *
 * <p>Invariant: once a constructor returns, {@link #machine} and {@link #slab} are up and the rig
 * owns the machine; if the slab boot throws, the machine is closed before the exception leaves.
 * Threads: build and close from one thread; the fields may be read from any once published.
 */
public class SlabRig implements AutoCloseable {
    /**
     * No automatic per-CPU array caches: booting then takes two pages (the cache of caches)
     * instead of arrays for all 27 general caches, so a machine of a few dozen frames has room
     * left for the test. A test turns arrays on for its own cache with {@code KmemCache.tune}.
     */
    public static final SlabConfig NO_AUTOMATIC_ARRAYS = SlabConfig.builder().cpuCaches(false).build();

    public final Machine machine;
    public final SlabAllocator slab;

    /** Boots a machine from {@code config} and a slab allocator with the default {@link SlabConfig}. */
    public SlabRig(MachineConfig config) {
        this(Machine.boot(config), SlabConfig.defaults());
    }

    /** Boots a machine from {@code config} and a slab allocator from {@code slabConfig}. */
    public SlabRig(MachineConfig config, SlabConfig slabConfig) {
        this(Machine.boot(config), slabConfig);
    }

    /**
     * Takes over {@code machine}, booted and prepared by the caller (a CPU bound, fault injection
     * set), and boots a slab allocator on it.
     *
     * @throws RuntimeException whatever the slab boot throws; the machine is closed first
     */
    public SlabRig(Machine machine, SlabConfig slabConfig) {
        this.machine = machine;
        try {
            this.slab = SlabAllocator.boot(machine, slabConfig);
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /**
     * The smallest machine the slab allocator boots on, with every number a fixture relies on
     * fixed: {@code memory} bytes in one zone, ZONE_NORMAL; {@code MAX_ORDER} 6 (the slab
     * allocator wants order-5 blocks for size-131072); watermarks 0; no per-CPU page lists, no
     * kswapd. CPUs and the OOM policy are left to the caller.
     */
    public static MachineConfig.Builder tinyMachine(long memory) {
        return MachineConfig.builder().memory(memory).zoneLimits(0, memory).maxOrder(6).perCpuLists(false)
                .zoneBalance(128, 0, 0).kswapd(false);
    }

    /** Closes the machine (and so stops its daemons); the slab allocator goes with it. */
    @Override
    public void close() {
        machine.close();
    }
}
