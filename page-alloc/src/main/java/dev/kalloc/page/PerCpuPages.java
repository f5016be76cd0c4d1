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
final class PerCpuPages extends PerCpuPagesFields {
    // Trailing padding: see PerCpuPagesPad.
    long q00;
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
    long q09;
    long q10;
    long q11;
    long q12;
    long q13;
    long q14;
    long q15;

    PerCpuPages(int low, int high, int batch) {
        super(low, high, batch);
    }
}

/**
 * Leading padding of a {@link PerCpuPages}: 128 bytes on each side of its fields keep two CPUs'
 * lists (and the lock and list objects allocated beside them) off each other's cache lines and
 * the adjacent-line prefetch pair. FastPathBench showed the need: with two threads on two CPUs,
 * order-0 alloc+free cost twice the one-thread time when the lists shared lines. The JVM lays out
 * a superclass's fields before a subclass's, so the padding goes in the classes around the one
 * holding the fields.
 */
abstract class PerCpuPagesPad {
    long p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
    long p09;
    long p10;
    long p11;
    long p12;
    long p13;
    long p14;
    long p15;
}

/** The fields of {@link PerCpuPages}, between its two paddings. */
abstract class PerCpuPagesFields extends PerCpuPagesPad {
    final ReentrantLock lock = new ReentrantLock();
    final PageList list = new PageList();
    int count;
    final int low;
    final int high;
    final int batch;

    PerCpuPagesFields(int low, int high, int batch) {
        this.low = low;
        this.high = high;
        this.batch = batch;
    }
}
