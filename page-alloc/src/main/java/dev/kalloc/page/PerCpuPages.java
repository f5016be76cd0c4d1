package dev.kalloc.page;

import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code struct per_cpu_pages} (2.5.45, akpm's hot-n-cold pages): a per-CPU, per-zone stash of
 * free order-0 pages in front of the buddy lists, refilled and drained {@code batch} pages at a
 * time so that the zone lock is taken once per batch rather than once per page.
 *
 * <p>Invariants: {@code count == list.size()}; every page on the list is in state
 * {@link Page#STATE_PCP}; none of them is counted in {@code zone.free_pages}.
 *
 * <p>Where it differs from the kernel: the kernel guards a CPU's list by disabling interrupts,
 * which is enough because only that CPU touches it. Here two threads may be bound to the same CPU
 * id, so each list has its own lock. It is uncontended in the common case (one CAS to take, one
 * release to drop), and correct under the collision. Drains from other CPUs ({@code
 * drain_all_pages}) take the same lock.
 */
final class PerCpuPages {
    final ReentrantLock lock = new ReentrantLock();
    final PageList list = new PageList();
    int count;
    final int low;
    final int high;
    final int batch;

    PerCpuPages(int low, int high, int batch) {
        this.low = low;
        this.high = high;
        this.batch = batch;
    }
}
