// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Boots the default machine (1 GiB i386 layout, 2 CPUs), runs a short mixed workload on it and
 * prints {@code /proc/buddyinfo}, {@code /proc/zoneinfo} and {@code /proc/meminfo}: the README's
 * "machine alone" command, the page allocator seen without the workload program
 * (stress/workload) and the modules above it.
 *
 * <p>The workload: one page-cache file filled to 60% of RAM with a tenth of its pages
 * dirtied (written back asynchronously on an "I/O" thread when reclaim asks), and one allocating
 * thread per CPU doing a seeded mix of allocations (orders 0..9, GFP_KERNEL, GFP_HIGHUSER,
 * GFP_NOIO, GFP_DMA, GFP_ATOMIC) and frees, holding up to 45% of RAM, so that reclaim and kswapd run.
 * Half of what is held at the end is freed before the views are printed, so they show a
 * fragmented, partly reclaimed machine.
 */
public final class BootDemo {
    /** The gfp mix, weighted by repetition: DMA is scarce, so it is asked for rarely. */
    private static final int[] GFPS = {Gfp.GFP_KERNEL, Gfp.GFP_KERNEL, Gfp.GFP_KERNEL, Gfp.GFP_HIGHUSER,
        Gfp.GFP_HIGHUSER, Gfp.GFP_HIGHUSER, Gfp.GFP_NOIO, Gfp.GFP_NOIO, Gfp.GFP_ATOMIC,
        Gfp.GFP_KERNEL | Gfp.__GFP_COLD, Gfp.GFP_KERNEL | Gfp.__GFP_DMA};

    private BootDemo() {
    }

    public static void main(String[] args) throws Exception {
        MachineConfig config = MachineConfig.builder().memory(MachineConfig.GiB).cpus(2).build();
        ExecutorService io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "demo-io");
            t.setDaemon(true);
            return t;
        });
        try (Machine m = Machine.boot(config)) {
            AddressSpace file = new AddressSpace("demo-file", page -> io.execute(() ->
                    m.pageCache().endPageWriteback(page, true)));
            fillPageCache(m, file, m.nrPages() * 3 / 5);
            int cpus = config.nrCpus();
            List<List<Page>> held = new ArrayList<>();
            long[] failures = new long[cpus];
            Thread[] workers = new Thread[cpus];
            for (int cpu = 0; cpu < cpus; cpu++) {
                List<Page> mine = new ArrayList<>();
                held.add(mine);
                int id = cpu;
                workers[cpu] = new Thread(() -> failures[id] = churn(m, id, mine, 200_000, m.nrPages() * 9L / 20 / cpus),
                        "demo-cpu" + cpu);
                workers[cpu].start();
            }
            for (Thread t : workers) {
                t.join();
            }
            for (List<Page> mine : held) {
                for (int i = 0; i < mine.size(); i += 2) {
                    m.pageAlloc().freePages(mine.get(i), mine.get(i).order());
                }
            }
            long failed = 0;
            for (long f : failures) {
                failed += f;
            }
            System.out.printf("kalloc boot demo: %s%n", config);
            System.out.printf("allocation failures %d, direct-reclaim stalls %d, reclaim calls %d, pages reclaimed %d%n%n",
                    failed, m.pageAlloc().allocStalls(), m.reclaim().calls(), m.reclaim().pagesReclaimed());
            System.out.println("$ cat /proc/buddyinfo");
            System.out.print(ProcFs.buddyinfo(m));
            System.out.println();
            System.out.println("$ cat /proc/zoneinfo");
            System.out.print(ProcFs.zoneinfo(m));
            System.out.println();
            System.out.println("$ cat /proc/meminfo");
            System.out.print(ProcFs.meminfo(m));
        } finally {
            io.shutdown();
            io.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void fillPageCache(Machine m, AddressSpace file, int pages) {
        for (int i = 0; i < pages; i++) {
            Page page = m.pageCache().addNewPage(file, i, Gfp.GFP_HIGHUSER);
            if (page == null) {
                break;
            }
            m.memory().putLong(page.physAddr(), i);
            if (i % 10 == 0) {
                m.pageCache().setPageDirty(page);
            }
        }
    }

    private static long churn(Machine m, int cpu, List<Page> mine, int ops, long budgetPages) {
        m.bindCurrentThread(cpu);
        SplittableRandom rnd = new SplittableRandom(0x6b616c6c6f63L + cpu);
        long heldPages = 0;
        long failures = 0;
        for (int i = 0; i < ops; i++) {
            boolean alloc = mine.isEmpty() || (heldPages < budgetPages && rnd.nextInt(100) < 55);
            if (alloc) {
                int order = rnd.nextInt(100) < 90 ? rnd.nextInt(4) : 4 + rnd.nextInt(m.config().maxOrder() - 4);
                Page page = m.pageAlloc().allocPages(GFPS[rnd.nextInt(GFPS.length)], order);
                if (page == null) {
                    failures++;
                    continue;
                }
                m.memory().putInt(page.physAddr(), page.pfn());
                mine.add(page);
                heldPages += 1L << order;
            } else {
                int victim = rnd.nextInt(mine.size());
                Page page = mine.get(victim);
                mine.set(victim, mine.get(mine.size() - 1));
                mine.remove(mine.size() - 1);
                if (m.memory().getInt(page.physAddr()) != page.pfn()) {
                    throw new IllegalStateException("contents of " + page + " were overwritten while allocated");
                }
                heldPages -= 1L << page.order();
                m.pageAlloc().freePages(page, page.order());
            }
        }
        return failures;
    }
}
