// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.page.Page;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code kmap_atomic} slots of the fixmap ({@code include/asm-i386/highmem.h},
 * {@code fixmap.h}): {@code KM_TYPE_NR} fixed slots per CPU, slot
 * {@code idx = type + KM_TYPE_NR * cpu}, mapped and unmapped without the global
 * {@code kmap_lock} and without ever sleeping.
 *
 * <h2>Ownership</h2>
 * In the kernel a CPU's slot has one user because the mapping disables preemption. Here two
 * threads may share a CPU id (see DESIGN.md), so each slot has a lock held from
 * {@link #map} to {@link #unmap}: a second thread of the same CPU waits for the first's short,
 * non-sleeping critical section, as it would spin on a lock; an uncontended acquire is a CAS.
 * The lock is what keeps a slot from being overwritten under its user.
 *
 * <h2>Nesting order (no deadlock between threads of one CPU)</h2>
 * With preemption off, the kernel's nested atomic mappings of one CPU can never wait for each
 * other. The slot locks can: a thread holding {@code KM_USER1} and taking {@code KM_USER0} while
 * another of the same CPU holds {@code KM_USER0} and takes {@code KM_USER1} would wait forever.
 * So a thread may take a slot only if every slot it holds has a lower {@link KmType#nesting()}
 * rank (process types, then interrupt types: the order in which the kernel's contexts nest);
 * otherwise {@link #map} is a {@link KernelBug} and nothing changes. Every thread then takes
 * slot locks in strictly increasing rank, so no cycle of waiters can form among them. This holds
 * only if nothing else is waited for while a slot is held: <b>no sleeping lock, no sleeping
 * allocation and no wait of any kind may happen inside an atomic mapping</b> (the kernel's rule
 * too, since the mapping runs with preemption off). The slots a thread holds are kept in a
 * per-thread list of this fixmap (at most {@code KM_TYPE_NR} long, by the rule above).
 *
 * <h2>A thread rebound to another CPU</h2>
 * {@link dev.kalloc.page.Machine#bindCurrentThread} may move a thread to another CPU while it
 * holds a slot (the kernel cannot migrate a task with preemption off; here nothing stops it).
 * {@link #unmap} then still works: the slot is the one its address names, its type must match,
 * and it must be held by this thread; the CPU the thread is on now is not consulted. Refusing
 * would leave the slot's lock held for good, and every later user of that CPU's slot would wait
 * forever. The nesting rule spans every CPU the thread holds slots on.
 *
 * <h2>Invariants</h2>
 * {@code pte[idx]} is present iff the slot's lock is held; the holder is the only writer, and
 * the slot is in the holder's per-thread list. Translation reads {@code pte} lock-free (acquire,
 * paired with the release stores here).
 *
 * <h2>Differences from 2.5.1</h2>
 * The {@code HIGHMEM_DEBUG} checks are always on: mapping a slot that is in use by the same
 * context, or out of the nesting order, and unmapping with the wrong type or a slot this thread
 * does not hold, are {@link KernelBug}s (nothing changes), and {@code kunmap_atomic} always
 * clears the entry, so that a use after it faults instead of reading whatever the slot maps
 * next. 2.5.1's check was against {@code smp_processor_id()}; here ownership is the thread's
 * (see above).
 */
final class Fixmap {
    private final VirtualLayout layout;
    private final AtomicLongArray pte;
    private final ReentrantLock[] owner;
    /** The slots the calling thread holds, in the order taken; only its own thread touches it. */
    private final ThreadLocal<Held> held = ThreadLocal.withInitial(Held::new);

    /** A thread's held slots: a small stack (removal from anywhere, unmaps need not nest). */
    private static final class Held {
        final int[] idx = new int[KmType.KM_TYPE_NR];
        int n;

        void remove(int slot) {
            for (int i = 0; i < n; i++) {
                if (idx[i] == slot) {
                    System.arraycopy(idx, i + 1, idx, i, n - i - 1);
                    n--;
                    return;
                }
            }
            throw new AssertionError("slot " + slot + " held but not listed");
        }
    }

    Fixmap(VirtualLayout layout) {
        this.layout = layout;
        this.pte = new AtomicLongArray(layout.nrFixSlots);
        this.owner = new ReentrantLock[layout.nrFixSlots];
        for (int i = 0; i < owner.length; i++) {
            owner[i] = new ReentrantLock();
        }
    }

    static int index(KmType type, int cpu) {
        return type.ordinal() + KmType.KM_TYPE_NR * cpu;
    }

    private static KmType typeOf(int idx) {
        return KmType.values()[idx % KmType.KM_TYPE_NR];
    }

    /** Maps {@code page} (a highmem page) into slot {@code idx}; returns the tagged address. */
    long map(Page page, int idx, KmType type, int cpu) {
        ReentrantLock l = owner[idx];
        if (l.isHeldByCurrentThread()) {
            throw new KernelBug("kmap_atomic(" + page + ", " + type + ") on cpu " + cpu
                    + ": the slot is already in use by this context");
        }
        Held h = held.get();
        for (int i = 0; i < h.n; i++) {
            KmType t = typeOf(h.idx[i]);
            if (t.nesting() >= type.nesting()) {
                throw new KernelBug("kmap_atomic(" + page + ", " + type + ") on cpu " + cpu + ": this context holds "
                        + t + " (cpu " + h.idx[i] / KmType.KM_TYPE_NR + "); atomic mappings nest only in the order"
                        + " KM_USER0, KM_USER1, KM_BOUNCE_READ, KM_BIO_IRQ (two threads of one cpu taking two"
                        + " types in opposite orders would deadlock)");
            }
        }
        l.lock();
        h.idx[h.n++] = idx; // at most KM_TYPE_NR: the ranks held are distinct and increasing
        long entry = Pte.install(pte.get(idx), page.pfn());
        pte.setRelease(idx, entry); // paired with the acquire in Highmem's translation
        return VirtualLayout.tagged(layout.fixToVirt(idx), Pte.generation(entry));
    }

    /**
     * Unmaps slot {@code idx}, which must be a {@code type} slot held by this thread; normally
     * on {@code cpu}, but also after the thread was rebound to another CPU (see the class
     * comment).
     */
    void unmap(long vaddr, int idx, KmType type, int cpu) {
        if (typeOf(idx) != type) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s) on cpu %d: the address is fixmap slot %d,"
                    + " a %s slot, not a %s one", VirtualLayout.low(vaddr), type, cpu, idx, typeOf(idx), type));
        }
        ReentrantLock l = owner[idx];
        if (!l.isHeldByCurrentThread()) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s) on cpu %d: the slot (cpu %d's) is not mapped"
                    + " by this context", VirtualLayout.low(vaddr), type, cpu, idx / KmType.KM_TYPE_NR));
        }
        long old = pte.get(idx);
        if (VirtualLayout.tag(vaddr) != Pte.generation(old)) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s): the address is of an earlier mapping of the"
                    + " slot", VirtualLayout.low(vaddr), type));
        }
        pte.setRelease(idx, Pte.clear(old));
        held.get().remove(idx);
        l.unlock();
    }
    long pte(int idx) {
        return pte.getAcquire(idx);
    }

    /** Slots mapped right now; a quiescent-point view. */
    int mapped() {
        int n = 0;
        for (int i = 0; i < owner.length; i++) {
            if (!Pte.none(pte.get(i))) {
                n++;
            }
        }
        return n;
    }
}
