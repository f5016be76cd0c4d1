// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel runtime the ported allocators run on: the parts of {@code kernel/} and
 * {@code include/linux/} that {@code mm/} takes for granted, reduced to what the allocators read.
 * It knows no memory-management class; every mm package builds on it.
 *
 * <h2>Simulated CPUs</h2>
 * A booted machine is an {@link dev.kalloc.kernel.Smp}: {@code nr_cpus} CPU ids and no real
 * processors behind them. Any Java thread may call into a machine; on its first call it becomes
 * a {@link dev.kalloc.kernel.Task} ({@code current}) bound to a CPU id, round-robin, unless it
 * chose one first with {@link dev.kalloc.kernel.Smp#bindCurrentThread}
 * ({@code set_cpus_allowed}). The CPU id picks the per-CPU structures the thread uses
 * ({@code smp_processor_id()}). Two threads may share a CPU id, which the kernel never allows
 * (a CPU runs one task at a time, and a per-CPU structure is guarded by disabling interrupts);
 * so each per-CPU structure is a {@link dev.kalloc.kernel.PerCpuLock}, a lock that costs one
 * CAS when, as nearly always, it is not contended.
 *
 * <h2>Contexts</h2>
 * A task is in process context unless it is between {@link dev.kalloc.kernel.Task#irqEnter()}
 * and the scope's close ({@code in_interrupt()}): the block-device completion threads run their
 * handlers there, and a sleeping allocation from there is a {@link dev.kalloc.kernel.KernelBug}.
 * {@code PF_MEMALLOC} and its kin are {@link dev.kalloc.kernel.Task#flags()}. What mm code keeps
 * in {@code task_struct} ({@code page_reservations}) is a typed
 * {@link dev.kalloc.kernel.Task.Slot} declared by the mm module, so that this package names no mm
 * type. A task with flags, an interrupt context or a slot set may not change CPU.
 *
 * <h2>What "sleep" means here</h2>
 * Sleeping is parking the Java thread: {@link dev.kalloc.kernel.WaitQueue} keeps the kernel's
 * protocol ({@code prepare_to_wait}, re-test, {@code schedule}, {@code finish_wait}; wakers make
 * the condition true, then {@code wake_up}), so a wake-up is never lost, and its sleeps are
 * {@code TASK_UNINTERRUPTIBLE}: a Java interrupt does not end them, it is restored afterwards.
 * Nothing here can stop the operating system from descheduling a thread, which the kernel's
 * spinlock holders never are: so a {@link dev.kalloc.kernel.SpinLock} waiter spins a bounded time
 * and then parks, and a per-CPU lock waiter spins and then yields. A daemon's stopper waits for
 * it uninterruptibly ({@link dev.kalloc.kernel.KThreads}, {@code kthread_stop}). Statistics that
 * the kernel keeps per CPU are kept per thread ({@link dev.kalloc.kernel.TaskCounters}), since a
 * CPU id may have two writers. Fault injection ({@code lib/fault-inject.c}) is
 * {@link dev.kalloc.kernel.FaultAttr}.
 *
 * <h2>Padding</h2>
 * A structure that one CPU writes and another reads or writes (a per-CPU list, a spinlock word)
 * must share no cache line with another CPU's hot data, or both pay for every write (measured:
 * order-0 alloc+free with two threads on two CPUs cost twice the one-thread time when two CPUs'
 * per-CPU lists shared lines). The kernel aligns such structures ({@code ____cacheline_aligned});
 * Java cannot place objects, so, as JCTools does, padding is made of fields in classes of their
 * own, laid out by inheritance: HotSpot places a superclass's fields before its subclasses'.
 * 128 bytes each side: a cache line and the adjacent line the prefetcher pulls with it.
 * <ul>
 *   <li>Ahead: every padded structure descends from one pad class, {@code LeadingPad}
 *       ({@link dev.kalloc.kernel.PerCpuLock} and {@link dev.kalloc.kernel.SpinLock} do), whose
 *       fields come first in the object.</li>
 *   <li>Behind: the fields of a class come after its superclasses', so the pad behind a
 *       structure's fields must be a class below them, and no shared class can be. Each padded
 *       structure therefore has one trailing pad class of its own (16 {@code long}s, nothing
 *       else) below the abstract class that holds its fields: {@code SpinLockPadAfter} under
 *       {@code SpinLockFields} here (the final {@code SpinLock} below it adds code only), and in
 *       the page allocator and the slab the final {@code PerCpuPages} and {@code ArrayCache}
 *       themselves, under {@code PerCpuPagesFields} and {@code ArrayCacheFields}, which hold
 *       the code.</li>
 * </ul>
 * Arrays that the hot paths write ({@link dev.kalloc.kernel.TaskCounters}' cells, the per-CPU
 * page ring) carry unused slack at each end instead.
 */
package dev.kalloc.kernel;
