// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import dev.kalloc.page.PhysicalMemory;

/**
 * A typed object of a slab cache: one Java object per slot, built once when its slab grows and
 * reused for every allocation of that slot until the slab is destroyed (Bonwick's object caching,
 * carried over to the Java heap). It is bound to its slot's real bytes: {@link #address()} is the
 * object's physical address, and the accessors read and write those bytes, bounds-checked to the
 * object's usable size ({@code ksize}).
 *
 * <p>Usage:
 * <pre>{@code
 * final class Dentry extends SlabObject {
 *     Dentry(Slot slot) { super(slot); }              // runs once per slot, at slab growth
 *     int count() { return getInt(0); }
 *     void setCount(int c) { putInt(0, c); }
 * }
 * KmemCache<Dentry> dcache = slab.kmemCacheCreate("dentry_cache", 128, 0,
 *         SlabFlags.SLAB_HWCACHE_ALIGN, null, null, Dentry::new);
 * Dentry d = dcache.allocObject(SlabFlags.SLAB_KERNEL);    // no garbage after warm-up
 * d.setCount(1);
 * dcache.freeObject(d);
 * }</pre>
 *
 * <p>Invariants: {@code address} and {@code cache} never change; the allocator hands out the
 * object only while its slot is allocated. Java fields of a subclass are the caller's to keep in
 * the "constructed" state across free and reallocation, as the kernel's ctor contract asks of
 * the bytes. Thread-safety is the caller's, as for the bytes of any allocated object.
 */
public abstract class SlabObject {
    /**
     * The binding of a new typed object to its slot. Only the slab allocator creates slots, so a
     * {@link SlabObject} always describes a real slot of a real cache.
     */
    public static final class Slot {
        final KmemCache<?> cache;
        final long address;

        Slot(KmemCache<?> cache, long address) {
            this.cache = cache;
            this.address = address;
        }

        /** The slot's object address. */
        public long address() {
            return address;
        }

        /** The cache the slot belongs to. */
        public KmemCache<?> cache() {
            return cache;
        }
    }

    /**
     * Builds the typed object of one slot. Called once per slot when a slab grows, before the
     * cache's {@link SlabCtor}, without slab locks held; it must not allocate from its own cache.
     */
    @FunctionalInterface
    public interface Factory<T extends SlabObject> {
        T create(Slot slot);
    }

    private final KmemCache<?> cache;
    private final long address;
    private final PhysicalMemory memory;
    private final int size;

    protected SlabObject(Slot slot) {
        if (slot == null) {
            throw new IllegalArgumentException("a SlabObject needs the Slot its cache built it for");
        }
        this.cache = slot.cache;
        this.address = slot.address;
        this.memory = slot.cache.allocator().machine().memory();
        this.size = slot.cache.ksize();
    }

    /** The object's physical address, as {@link KmemCache#alloc(int)} would return it. */
    public final long address() {
        return address;
    }

    /** The cache this object belongs to. */
    public final KmemCache<?> cache() {
        return cache;
    }

    /** Usable bytes of the object ({@code ksize}). */
    public final int size() {
        return size;
    }

    private long at(int offset, int len) {
        if (offset < 0 || offset > size - len) {
            throw new IndexOutOfBoundsException("offset " + offset + " + " + len + " bytes is outside the "
                    + size + "-byte object at 0x" + Long.toHexString(address) + " of " + cache.name());
        }
        return address + offset;
    }

    public final byte getByte(int offset) {
        return memory.getByte(at(offset, 1));
    }

    public final void putByte(int offset, byte value) {
        memory.putByte(at(offset, 1), value);
    }

    public final int getInt(int offset) {
        return memory.getInt(at(offset, 4));
    }

    public final void putInt(int offset, int value) {
        memory.putInt(at(offset, 4), value);
    }

    public final long getLong(int offset) {
        return memory.getLong(at(offset, 8));
    }

    public final void putLong(int offset, long value) {
        memory.putLong(at(offset, 8), value);
    }

    /** memset over {@code len} bytes from {@code offset}. */
    public final void fill(int offset, int len, byte value) {
        memory.fill(at(offset, len), len, value);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "@0x" + Long.toHexString(address) + " (" + cache.name() + ")";
    }
}
