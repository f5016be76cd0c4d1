// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.Page;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@code slab_t} of mm/slab.c (2.4.15 / 2.5.1): one slab, i.e. {@code 2^gfporder} contiguous
 * pages cut into {@code num} objects of {@code objsize} bytes, with the index free-list
 * ({@code kmem_bufctl_t}) that says which objects are free.
 *
 * <p>Layout in physical memory, as the kernel lays it out:
 * <pre>
 *   base (page address)
 *   | colour offset | [slab_t + bufctl[num], L1-aligned, on-slab only] | obj 0 | obj 1 | ... | left-over |
 *                                                                      ^ s_mem
 * </pre>
 * Off-slab caches keep that management area in an object of a general cache ({@code mgmt}).
 * Either way the bytes are reserved exactly as in the kernel, so the sizing is the kernel's; the
 * live values ({@code inuse}, {@code free}, the bufctl chain) are kept in this Java object, where
 * the hot path can reach them without decoding bytes.
 *
 * <p>Invariants (checked by {@link KmemCache#checkInvariants()}):
 * <ul>
 *   <li>the bufctl chain from {@code free} visits exactly the objects in state {@link #OBJ_FREE},
 *       {@code num - inuse} of them, and ends with {@link #BUFCTL_END};</li>
 *   <li>{@code inuse} counts objects in state {@link #OBJ_CPU} (held by a per-CPU array cache)
 *       or {@link #OBJ_ALLOC} (handed to a caller): the slab allocator's notion of "in use";</li>
 *   <li>the slab is on its cache's full list iff {@code inuse == num}, on the free list iff
 *       {@code inuse == 0}, on the partial list otherwise.</li>
 * </ul>
 *
 * <p>Concurrency: {@code inuse}, {@code free}, {@code bufctl} and the list links are guarded by
 * the cache's spinlock. The per-object {@code state} is the one addition to the kernel: it
 * changes under the spinlock (slab to/from array cache) or under the lock of the per-CPU array
 * cache that holds the object, and the transition out of {@link #OBJ_ALLOC} on free is a CAS, so
 * that two racing frees of one object (a double free on two CPUs) cannot both succeed.
 */
final class Slab {
    /** End of the bufctl free-list ({@code BUFCTL_END} = 0xffffffff). */
    static final int BUFCTL_END = 0xffffffff;

    /** On the slab's bufctl free-list. */
    static final byte OBJ_FREE = 0;
    /** Taken from the slab, held by a per-CPU array cache. */
    static final byte OBJ_CPU = 1;
    /** Handed out to a caller. */
    static final byte OBJ_ALLOC = 2;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);

    final Page page;
    /** Physical address of the first page. */
    final long base;
    /** {@code colouroff}: bytes from {@code base} to {@code s_mem}. */
    final int colouroff;
    /** {@code s_mem}: address of object 0 (of its red zone, in a red-zoned cache). */
    final long sMem;
    /** Address of the slab management area: in the slab (on-slab) or a general-cache object. */
    final long mgmt;
    final int[] bufctl;
    final byte[] state;
    /** The typed objects of a typed cache, one per slot; null otherwise. */
    final SlabObject[] objects;

    int inuse;
    int free;

    Slab next;
    Slab prev;
    SlabList list;

    Slab(Page page, int colouroff, long mgmt, int num, boolean typed) {
        this.page = page;
        this.base = page.physAddr();
        this.colouroff = colouroff;
        this.sMem = base + colouroff;
        this.mgmt = mgmt;
        this.bufctl = new int[num];
        this.state = new byte[num];
        this.objects = typed ? new SlabObject[num] : null;
    }

    byte state(int idx) {
        return (byte) STATE.getVolatile(state, idx);
    }

    /** Sets an object's state; the caller holds the lock that owns the transition. */
    void setState(int idx, byte s) {
        STATE.setRelease(state, idx, s);
    }

    /** The free transition: succeeds for exactly one of several racing frees of one object. */
    boolean casState(int idx, byte expect, byte update) {
        return STATE.compareAndSet(state, idx, expect, update);
    }

    static String stateName(byte s) {
        switch (s) {
            case OBJ_FREE:
                return "free in its slab";
            case OBJ_CPU:
                return "free in a per-CPU array cache";
            case OBJ_ALLOC:
                return "allocated";
            default:
                return "in state " + s;
        }
    }

    @Override
    public String toString() {
        return String.format("slab at 0x%x (s_mem 0x%x, inuse %d)", base, sMem, inuse);
    }
}
