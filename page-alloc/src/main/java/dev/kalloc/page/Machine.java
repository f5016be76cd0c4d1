package dev.kalloc.page;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

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
 * round-robin, unless it called {@link #bindCurrentThread(int)} first.
 */
public final class Machine implements AutoCloseable {
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
    private final AtomicInteger nextCpu = new AtomicInteger();
    private final ThreadLocal<Task> current;
    /**
     * The same tasks indexed by thread id, so that {@link #current()} finds the caller's task
     * with a few dependent loads instead of a {@code ThreadLocal} probe (about 2.5 ns, paid twice
     * by every alloc+free pair). The {@code ThreadLocal} stays the truth; this is a cache of it:
     * a slot is written by its own thread only, a hit counts only if the task is the caller's and
     * not retired by {@link #bindCurrentThread}, and anything else (a slot lost to a racing
     * grow, an id beyond {@link #MAX_TASK_TABLE}, a {@code Thread} subclass) falls back to the
     * {@code ThreadLocal} and refills the slot.
     *
     * <p>A hit is recognised without a reference to the {@code Thread}: the table serves plain
     * {@code Thread}s only (the project's own threads all are), whose {@code getId} is the JVM's,
     * unique and never reused, and a hit needs the slot's task to carry the caller's id as its
     * {@link Task#tableKey}. So a slot keeps no {@code Thread} reachable after its thread ends; it
     * does keep the ended thread's task, a few dozen bytes, until {@link #close()}. Measured
     * (FastPathBench, 1 thread, quiet 2-core machine, ns per alloc+free): page0-pcp 20.1 with a
     * strong {@code Thread} compare, 20.3-20.5 with this check (slab-64 21.1, 20.1-20.2); a
     * compare of the caller's class with one kept in the task (to serve {@code Thread}
     * subclasses that keep {@code getId}) made page0-pcp 24.0, and a {@code WeakReference} per
     * slot, which would let ended tasks go too, about as much. A {@code Thread} subclass pays
     * the {@code ThreadLocal} probe on every call instead.
     */
    private volatile Task[] tasksById = new Task[64];
    private final Object tasksByIdGrow = new Object();
    /** Thread ids at or above this use the {@code ThreadLocal} alone: the table stays small. */
    static final int MAX_TASK_TABLE = 1 << 16;
    private final List<OomListener> oomListeners = new CopyOnWriteArrayList<>();
    private final TaskCounters counters = new TaskCounters();

    private Machine(MachineConfig config) {
        this.config = config;
        this.memory = new PhysicalMemory(config.memory());
        this.current = ThreadLocal.withInitial(this::newTask);
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

    /** {@code current}: the calling thread's task, created and bound to a CPU on first use. */
    public Task current() {
        Thread thread = Thread.currentThread();
        long id = thread.getId();
        Task[] tab = tasksById;
        // A plain Thread's id is its own and positive; the class test is one compare with a
        // constant.
        if (thread.getClass() == Thread.class && id < tab.length) {
            Task t = tab[(int) id];
            if (t != null && t.tableKey == id) {
                return t;
            }
        }
        return currentSlow(id);
    }

    private Task currentSlow(long id) {
        Task t = current.get();
        remember(t, id);
        return t;
    }

    /**
     * Puts the calling thread's task in its slot. A grow racing with this store may copy the
     * old table without it; the next {@link #current()} then misses and stores again.
     */
    private void remember(Task t, long id) {
        if (id < 0 || id >= MAX_TASK_TABLE || t.tableKey != id) {
            return;
        }
        Task[] tab = tasksById;
        if (id >= tab.length) {
            synchronized (tasksByIdGrow) {
                tab = tasksById;
                if (id >= tab.length) {
                    tab = Arrays.copyOf(tab, (int) Math.min(MAX_TASK_TABLE, Math.max(2L * tab.length, id + 1)));
                    tasksById = tab;
                }
            }
        }
        tab[(int) id] = t;
    }

    /** Filled slots of the task table; for tests. */
    int tasksInTable() {
        int n = 0;
        for (Task t : tasksById) {
            if (t != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Binds the calling thread to {@code cpu}, like a task pinned with {@code set_cpus_allowed}.
     *
     * @throws IllegalStateException if the thread is in the middle of something that is bound to
     *         its CPU: PF_* flags set, interrupt context, or a reservation in force
     */
    public Task bindCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= config.nrCpus()) {
            throw new IllegalArgumentException("cpu " + cpu + " is outside [0, " + config.nrCpus() + ")");
        }
        Task t = current.get();
        if (t.cpu() != cpu) {
            if (hasContext(t)) {
                throw new IllegalStateException(t + " has flags, an interrupt context or a reservation in "
                        + "force; it cannot move to cpu " + cpu + " now");
            }
            // Retired first: a grow may have copied the old task into a table this thread reads
            // next; its key of -1 (this thread's own write) makes current() skip it there.
            t.tableKey = -1;
            t = new Task(Thread.currentThread(), cpu, counters, t);
            current.set(t);
            remember(t, Thread.currentThread().getId());
        }
        return t;
    }

    private static boolean hasContext(Task t) {
        return t.flags() != 0 || t.inInterrupt() || t.pageReservation() != null;
    }

    private Task newTask() {
        int cpu = Math.floorMod(nextCpu.getAndIncrement(), config.nrCpus());
        return new Task(Thread.currentThread(), cpu, counters, null);
    }

    /**
     * The machine's per-thread event counters ({@code alloc_percpu} statistics): counted with a
     * plain store by the counting thread, summed when read. See {@link TaskCounters}.
     */
    public TaskCounters counters() {
        return counters;
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
        // Nothing in the table is needed for correctness (the ThreadLocal is the truth), and a
        // closed machine that someone keeps around should not keep the tasks of ended threads.
        synchronized (tasksByIdGrow) {
            tasksById = new Task[64];
        }
    }

    @Override
    public String toString() {
        return "Machine[" + config + "]";
    }
}
