// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import dev.kalloc.kernel.Smp;
import dev.kalloc.kernel.Task;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A booted simulated machine: physical memory, {@code mem_map}, the zones of node 0 with their
 * zonelists, the page allocator, the page cache, reclaim and kswapd, and the tasks (threads) that
 * call into it. Everything is per machine: two machines in one JVM share nothing.
 *
 * <p>Usage:
 * <pre>{@code
 * try (Machine m = Machine.boot(MachineConfig.builder().memory(64 * MachineConfig.MiB).build())) {
 *     Page page = m.pageAlloc().allocPages(Gfp.GFP_KERNEL, 2);
 *     m.memory().putLong(page.physAddr(), 42L);
 *     m.pageAlloc().freePages(page, 2);
 *     System.out.print(ProcFs.buddyinfo(m));
 * }
 * }</pre>
 *
 * <p>Boot follows {@code free_all_bootmem_core}: every frame except pfn 0 (reserved, as the BIOS
 * page is on i386, so that physical address 0 can mean "no page") is freed to the buddy
 * allocator one at a time, in ascending pfn order, leaving maximal blocks with the highest block
 * of each zone at the head of its list.
 *
 * <p>Threads: a thread becomes a {@link Task} on its first call and is bound to a CPU id
 * round-robin, unless it called {@link #bindCurrentThread(int)} first; that part of the machine
 * is the kernel runtime's {@link Smp}.
 */
public final class Machine extends Smp implements AutoCloseable {
    /** Receives a report each time a sleeping allocation's reclaim round frees nothing. */
    @FunctionalInterface
    public interface OomListener {
        void onOom(int gfp, int order, int fruitlessRounds, Task task);
    }

    private final MachineConfig config;
    private final PhysicalMemory memory;
    private final Zone[] zonesByIndex = new Zone[Zone.MAX_NR_ZONES];
    private final List<Zone> zones;
    private final PageAllocator pageAlloc;
    private final PageCache pageCache;
    private final Reclaim reclaim;
    private final Kswapd kswapd;
    private final List<OomListener> oomListeners = new CopyOnWriteArrayList<>();

    private Machine(MachineConfig config) {
        super(config.nrCpus());
        this.config = config;
        this.memory = new PhysicalMemory(config.memory());
        List<Zone> populated = new ArrayList<>();
        long[] bounds = {0, Math.min(config.dmaLimit(), config.memory()),
            Math.min(config.normalLimit(), config.memory()), config.memory()};
        for (int i = 0; i < Zone.MAX_NR_ZONES; i++) {
            int start = (int) (bounds[i] >>> PhysicalMemory.PAGE_SHIFT);
            int end = (int) (bounds[i + 1] >>> PhysicalMemory.PAGE_SHIFT);
            if (end > start) {
                Zone z = new Zone(this, i, start, end - start, config);
                zonesByIndex[i] = z;
                populated.add(z);
            }
        }
        this.zones = Collections.unmodifiableList(populated);
        this.pageAlloc = new PageAllocator(this, buildZonelists(), config.maxOrder());
        this.pageCache = new PageCache(this);
        this.reclaim = new Reclaim(this);
        freeAllBootmem();
        this.kswapd = config.kswapd() ? new Kswapd(this) : null;
    }

    /** Boots a machine; its kswapd (if configured) is running when this returns. */
    public static Machine boot(MachineConfig config) {
        Machine m = new Machine(config);
        if (m.kswapd != null) {
            m.kswapd.start();
        }
        return m;
    }

    /** {@code build_zonelists}: HighMem -> Normal -> DMA, Normal -> DMA, DMA; empty zones skipped. */
    private Zone[][] buildZonelists() {
        Zone[][] lists = new Zone[Zone.MAX_NR_ZONES][];
        for (int top = 0; top < Zone.MAX_NR_ZONES; top++) {
            List<Zone> l = new ArrayList<>();
            for (int i = top; i >= 0; i--) {
                if (zonesByIndex[i] != null) {
                    l.add(zonesByIndex[i]);
                }
            }
            lists[top] = l.toArray(new Zone[0]);
        }
        return lists;
    }

    private void freeAllBootmem() {
        for (Zone z : zones) {
            z.lock.lock();
            try {
                for (int i = 0; i < z.size(); i++) {
                    Page p = z.memMap[i];
                    if (p.isHighMem()) {
                        p.setFlag(Page.PG_highmem);
                    }
                    if (p.pfn() == 0) {
                        p.setFlag(Page.PG_reserved);
                        p.state = Page.STATE_ALLOCATED;
                        p.order = 0;
                        p.setCount(1);
                    } else {
                        z.freeOneLocked(p, 0);
                    }
                }
            } finally {
                z.lock.unlock();
            }
        }
    }

    public MachineConfig config() {
        return config;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** The populated zones, lowest first. */
    public List<Zone> zones() {
        return zones;
    }

    /** The zone with index {@code ZONE_DMA/NORMAL/HIGHMEM}, or null if that zone is empty. */
    public Zone zone(int index) {
        if (index < 0 || index >= Zone.MAX_NR_ZONES) {
            throw new IllegalArgumentException("zone index " + index + " is outside [0, " + Zone.MAX_NR_ZONES + ")");
        }
        return zonesByIndex[index];
    }

    public PageAllocator pageAlloc() {
        return pageAlloc;
    }

    public PageCache pageCache() {
        return pageCache;
    }

    /** mm/vmscan.c: direct reclaim and the shrinker registry. */
    public Reclaim reclaim() {
        return reclaim;
    }

    /** Total page frames ({@code num_physpages}). */
    public int nrPages() {
        return memory.nrPages();
    }

    /** {@code pfn_to_page}. */
    public Page pfnToPage(int pfn) {
        for (Zone z : zones) {
            if (z.contains(pfn)) {
                return z.memMap[pfn - z.startPfn()];
            }
        }
        throw new IllegalArgumentException("pfn " + pfn + " is outside RAM (" + nrPages() + " frames)");
    }

    /** {@code virt_to_page} for a physical address: the page containing {@code addr}. */
    public Page physToPage(long addr) {
        if (addr < 0 || addr >= memory.size()) {
            throw new IllegalArgumentException(String.format("address 0x%x is outside RAM [0, 0x%x)", addr,
                    memory.size()));
        }
        return pfnToPage((int) (addr >>> PhysicalMemory.PAGE_SHIFT));
    }

    /**
     * The bytes of an allocated block: a little-endian view of its {@code 2^order} pages. The
     * view object is allocated on each call; hot paths use {@link #memory()} with
     * {@link Page#physAddr()} instead.
     *
     * @throws IllegalArgumentException if {@code page} does not head an allocated block
     */
    public ByteBuffer contents(Page page) {
        if (page.zone().machine() != this || !page.isAllocated()) {
            throw new IllegalArgumentException(page + " is not an allocated block of this machine");
        }
        return memory.slice(page.physAddr(), PhysicalMemory.PAGE_SIZE << page.order());
    }

    /** Registers a listener for out-of-memory rounds (see {@link OomPolicy}). */
    public void addOomListener(OomListener listener) {
        oomListeners.add(listener);
    }

    public void removeOomListener(OomListener listener) {
        oomListeners.remove(listener);
    }

    void reportOom(int gfp, int order, int rounds, Task task) {
        for (OomListener l : oomListeners) {
            l.onOom(gfp, order, rounds, task);
        }
    }

    void kswapdWake() {
        if (kswapd != null) {
            kswapd.wake();
        }
    }

    /** True if this machine runs a kswapd thread. */
    public boolean hasKswapd() {
        return kswapd != null;
    }

    /** Checks every zone's invariants; see {@link Zone#checkInvariants()}. Quiescent points only. */
    public void checkInvariants() {
        for (Zone z : zones) {
            z.checkInvariants();
        }
        pageCache.checkInvariants();
    }

    /**
     * Stops kswapd and empties the task table. The machine's memory stays readable; allocations
     * still work without kswapd, each thread's first call after this one refilling its slot.
     */
    @Override
    public void close() {
        if (kswapd != null) {
            kswapd.stop();
        }
        forgetTasks();
    }

    @Override
    public String toString() {
        return "Machine[" + config + "]";
    }
}
