package dev.kalloc.highmem;

import dev.kalloc.page.KernelBug;
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
 * <h2>Invariants</h2>
 * {@code pte[idx]} is present iff the slot's lock is held; the holder is the only writer.
 * Translation reads {@code pte} lock-free (acquire, paired with the release stores here).
 *
 * <h2>Differences from 2.5.1</h2>
 * The {@code HIGHMEM_DEBUG} checks are always on: mapping a slot that is in use by the same
 * context, and unmapping with the wrong type or from another CPU, are {@link KernelBug}s
 * (nothing changes), and {@code kunmap_atomic} always clears the entry, so that a use after it
 * faults instead of reading whatever the slot maps next.
 */
final class Fixmap {
    private final VirtualLayout layout;
    private final AtomicLongArray pte;
    private final ReentrantLock[] owner;

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

    /** Maps {@code page} (a highmem page) into slot {@code idx}; returns the tagged address. */
    long map(Page page, int idx, KmType type, int cpu) {
        ReentrantLock l = owner[idx];
        if (l.isHeldByCurrentThread()) {
            throw new KernelBug("kmap_atomic(" + page + ", " + type + ") on cpu " + cpu
                    + ": the slot is already in use by this context");
        }
        l.lock();
        long entry = Pte.install(pte.get(idx), page.pfn());
        pte.setRelease(idx, entry); // paired with the acquire in Highmem's translation
        return VirtualLayout.tagged(layout.fixToVirt(idx), Pte.generation(entry));
    }

    /** Unmaps slot {@code idx}, which must be the caller's {@code type} slot on its CPU. */
    void unmap(long vaddr, int idx, KmType type, int cpu) {
        int expected = index(type, cpu);
        if (idx != expected) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s) on cpu %d: the address is fixmap slot %d,"
                    + " not this cpu's %s slot %d", VirtualLayout.low(vaddr), type, cpu, idx, type, expected));
        }
        ReentrantLock l = owner[idx];
        if (!l.isHeldByCurrentThread()) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s) on cpu %d: the slot is not mapped by this"
                    + " context", VirtualLayout.low(vaddr), type, cpu));
        }
        long old = pte.get(idx);
        if (VirtualLayout.tag(vaddr) != Pte.generation(old)) {
            throw new KernelBug(String.format("kunmap_atomic(%08x, %s): the address is of an earlier mapping of the"
                    + " slot", VirtualLayout.low(vaddr), type));
        }
        pte.setRelease(idx, Pte.clear(old));
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
