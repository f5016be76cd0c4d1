// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.PhysicalMemory;

/**
 * The {@code #if DEBUG} parts of mm/slab.c (2.4.15 / 2.5.1) for one cache: red zones
 * ({@code SLAB_RED_ZONE}, the {@code RED_MAGIC1}/{@code RED_MAGIC2} words of
 * {@code kmem_cache_init_objs}, {@code kmem_cache_alloc_one_tail} and
 * {@code kmem_cache_free_one}) and poisoning ({@code SLAB_POISON}: {@code kmem_poison_obj},
 * {@code kmem_check_poison_obj}). {@link KmemCache} decides when an object changes hands; this
 * class writes and checks the bytes around and inside it, so the cache core reads as the
 * algorithm and the debugging reads as one piece, as the kernel's {@code #if DEBUG} blocks do.
 *
 * <h2>Invariants it keeps (and checks)</h2>
 * <ol>
 *   <li>Red-zoned cache: the word before and the word after every free object (on its slab's
 *       free list or in an array cache) hold {@code RED_MAGIC1}; those of an allocated object
 *       hold {@code RED_MAGIC2}. A caller writing out of bounds breaks one, and the next
 *       check names the side.</li>
 *   <li>Poisoned cache: every byte of a free object is {@code POISON_BYTE} but the last, which
 *       is {@code POISON_END}; a caller writing after free breaks it, and the next allocation
 *       (or shrink, reap, destroy) names the byte.</li>
 * </ol>
 *
 * <h2>Concurrency</h2>
 * Immutable itself. The bytes it touches belong to one object, which the caller keeps from
 * changing hands while it runs: by holding the array cache's lock or the cache spinlock, or by
 * owning the object (a new slab not yet linked).
 *
 * <h2>Where it differs from the kernel</h2>
 * The checks run at the outermost allocation and free (as 2.6's {@code cache_alloc_debugcheck}
 * and {@code cache_free_debugcheck} do), not when objects move between slabs and array caches;
 * see {@link KmemCache}. The poison check compares every byte, as 2.6's
 * {@code check_poison_obj} does; 2.4 only searched for the end marker.
 */
final class SlabDebug {
    private static final int WORD = SlabAllocator.BYTES_PER_WORD;
    private static final long POISON_WORD = 0x5a5a5a5a5a5a5a5aL;

    final boolean redZone;
    final boolean poison;
    private final String name;
    private final PhysicalMemory memory;
    /** {@code kmem_cache_size}: the object's bytes between its red zones. */
    private final int usable;

    SlabDebug(String name, PhysicalMemory memory, int flags, int usable) {
        this.redZone = (flags & SlabFlags.SLAB_RED_ZONE) != 0;
        this.poison = (flags & SlabFlags.SLAB_POISON) != 0;
        this.name = name;
        this.memory = memory;
        this.usable = usable;
    }

    /** The first {@code #if DEBUG} block of {@code kmem_cache_init_objs}: red zones inactive before the constructor. */
    void initObjBeforeCtor(long objp) {
        if (redZone) {
            setRedZones(objp, SlabAllocator.RED_MAGIC1);
        }
    }

    /** The second: poison the new object, then check the constructor kept inside it. */
    void initObjAfterCtor(long objp) {
        if (poison) {
            poisonObj(objp);
        }
        if (redZone) {
            checkRedZones(objp, SlabAllocator.RED_MAGIC1, "kmem_cache_grow: constructor");
        }
    }

    /** {@code kmem_cache_alloc_one_tail}'s red-zone write: the object is active now. */
    void markAllocated(long objp) {
        if (redZone) {
            setRedZones(objp, SlabAllocator.RED_MAGIC2);
        }
    }

    /** {@code kmem_cache_free_one}'s writes, after its checks: red zones inactive, then the poison. */
    void markFree(long objp) {
        if (redZone) {
            setRedZones(objp, SlabAllocator.RED_MAGIC1);
        }
        if (poison) {
            poisonObj(objp);
        }
    }

    /**
     * Checks a free object about to be handed out (or destroyed): red zones inactive, poison intact.
     *
     * @throws SlabBug naming the overwritten red zone or poisoned byte; nothing is changed
     */
    void checkFreeObject(long objp, String who) {
        if (redZone) {
            checkRedZones(objp, SlabAllocator.RED_MAGIC1, who);
        }
        if (poison) {
            checkPoison(objp, who);
        }
    }

    /**
     * Checks both red zones of {@code objp} hold {@code expect}.
     *
     * @throws SlabBug naming the side that was overwritten; nothing is changed
     */
    void checkRedZones(long objp, int expect, String who) {
        int before = memory.getInt(objp - WORD);
        int after = memory.getInt(objp + usable);
        String state = expect == SlabAllocator.RED_MAGIC1 ? "free (RED_MAGIC1 0x5a2cf071)"
                : "active (RED_MAGIC2 0x170fc2a5)";
        if (before != expect) {
            throw bug(objp, String.format("%s(%s, 0x%x): red zone before the object overwritten: 0x%08x, expected %s "
                    + "(a write before the start of the object)", who, name, objp, before, state));
        }
        if (after != expect) {
            throw bug(objp, String.format("%s(%s, 0x%x): red zone after the object overwritten: 0x%08x, expected %s "
                    + "(a write past the end of the object)", who, name, objp, after, state));
        }
    }

    private void setRedZones(long objp, int magic) {
        memory.putInt(objp - WORD, magic);
        memory.putInt(objp + usable, magic);
    }

    /** {@code kmem_poison_obj}: POISON_BYTE over the object, POISON_END in its last byte. */
    private void poisonObj(long objp) {
        memory.fill(objp, usable - 1, SlabAllocator.POISON_BYTE);
        memory.putByte(objp + usable - 1, SlabAllocator.POISON_END);
    }

    /** {@code kmem_check_poison_obj}, comparing every byte as 2.6's {@code check_poison_obj} does. */
    private void checkPoison(long objp, String who) {
        int last = usable - 1;
        int i = 0;
        // Eight bytes a read while they match; the byte loop below finds which one did not.
        for (; i + 8 <= last; i += 8) {
            if (memory.getLong(objp + i) != POISON_WORD) {
                break;
            }
        }
        for (; i < last; i++) {
            byte b = memory.getByte(objp + i);
            if (b != SlabAllocator.POISON_BYTE) {
                throw useAfterFree(objp, who, i, b, SlabAllocator.POISON_BYTE);
            }
        }
        byte end = memory.getByte(objp + last);
        if (end != SlabAllocator.POISON_END) {
            throw useAfterFree(objp, who, last, end, SlabAllocator.POISON_END);
        }
    }

    private SlabBug useAfterFree(long objp, String who, int offset, byte found, byte expected) {
        return bug(objp, String.format("%s(%s, 0x%x): use after free: the free object was written: byte %d is "
                + "0x%02x, poison is 0x%02x", who, name, objp, offset, found & 0xff, expected & 0xff));
    }

    private SlabBug bug(long objp, String message) {
        return new SlabBug(name, objp, message);
    }
}
