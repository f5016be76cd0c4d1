// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page;

/**
 * The gfp ("get free pages") flags of include/linux/mm.h as Linux 2.4.15 / 2.5.1 define them,
 * plus {@code __GFP_COLD} from the 2.5.45 hot/cold page work, and three 2.6 modifiers the
 * modern {@code mempool_alloc} ORs into every mask it passes down ({@link #__GFP_NOWARN},
 * {@link #__GFP_NORETRY}, {@link #__GFP_NOMEMALLOC}): without them a pool's full-gfp attempt is
 * an ordinary sleeping allocation that may never return, and the pool's own wait queue, which
 * is what guarantees progress, is never reached.
 *
 * <p>A gfp mask is a plain {@code int}, exactly as in the kernel, so masks compose with {@code |}
 * and cost nothing to pass around. The low nibble ({@link #GFP_ZONEMASK}) picks the zonelist; the
 * other bits say what the caller allows the allocator to do: sleep ({@link #__GFP_WAIT}), start
 * I/O ({@link #__GFP_IO}, {@link #__GFP_HIGHIO}), call into the filesystem ({@link #__GFP_FS}).
 * {@link #__GFP_HIGH} is carried but, as in 2.4, the page allocator itself never tests it:
 * atomicity works through "no {@code __GFP_WAIT}, so a quarter of {@code pages_min}". Later modules
 * (reservations) give it its 2001 meaning of "may use the emergency reserve".
 */
public final class Gfp {
    private Gfp() {
    }

    /** Zone modifier: ZONE_DMA only. */
    public static final int __GFP_DMA = 0x01;
    /** Zone modifier: may use ZONE_HIGHMEM, falling back to Normal and DMA. */
    public static final int __GFP_HIGHMEM = 0x02;
    /** The caller may sleep: reclaim, wait for frees. */
    public static final int __GFP_WAIT = 0x10;
    /** The caller may dip into emergency pools. */
    public static final int __GFP_HIGH = 0x20;
    /** The caller may start low-memory I/O (write back dirty pages). */
    public static final int __GFP_IO = 0x40;
    /** The caller may start high-memory I/O. */
    public static final int __GFP_HIGHIO = 0x80;
    /** The caller may recurse into the filesystem. */
    public static final int __GFP_FS = 0x100;
    /** 2.5.45: a cache-cold page is good enough; taken from and freed to the cold per-CPU list. */
    public static final int __GFP_COLD = 0x200;
    /*
     * The three 2.6 modifiers below take this port's own values, not 2.6's (0x200, 0x1000,
     * 0x10000): here 0x200 is __GFP_COLD (the 2.4 layout keeps __GFP_HIGHIO at 0x80, so the later
     * bits sit one place higher than in 2.6) and 0x1000 is the slab's SLAB_NO_GROW, which shares
     * the mask word in kmem_cache_alloc. They go above SLAB_NO_GROW.
     */
    /**
     * 2.6: do not report a failure, the caller has a fallback. The port prints no
     * allocation-failure report anywhere ({@code warn_alloc} has no counterpart; a failure is
     * only counted in {@link PageAllocator#allocFailures()}, and the OOM listener hears of
     * fruitless reclaim rounds, which {@link #__GFP_NORETRY} callers never reach), so the bit is
     * accepted and has nothing to silence. It is carried so a modern mask reads as the kernel's.
     */
    public static final int __GFP_NOWARN = 0x2000;
    /**
     * 2.6: do not loop. The slow path gives up after one direct-reclaim round and the third
     * watermark pass, as it always does above order 3: no retry, no {@code out_of_memory()}
     * (here: no OOM round, no report to the OOM listener), and never a sleep under
     * {@link OomPolicy#waitForFree()}. Reclaim itself still runs, so the caller may block in it
     * (writing back, shrinking); only the open-ended loop is gone.
     */
    public static final int __GFP_NORETRY = 0x4000;
    /**
     * 2.6: never use the emergency reserve. A task with {@code PF_MEMALLOC} or {@code PF_MEMDIE}
     * normally takes any free page, ignoring watermarks; with this bit it gets null there
     * instead, as in 2.6's {@code __alloc_pages}, and does not go on to direct reclaim (it is
     * reclaiming already). A caller with its own reserve (a mempool) sets it so that it does not
     * drain the one the VM needs to free memory.
     */
    public static final int __GFP_NOMEMALLOC = 0x20000;

    /** The bits that select a zonelist. */
    public static final int GFP_ZONEMASK = 0x0f;

    public static final int GFP_NOHIGHIO = __GFP_HIGH | __GFP_WAIT | __GFP_IO;
    public static final int GFP_NOIO = __GFP_HIGH | __GFP_WAIT;
    public static final int GFP_NOFS = __GFP_HIGH | __GFP_WAIT | __GFP_IO | __GFP_HIGHIO;
    public static final int GFP_ATOMIC = __GFP_HIGH;
    public static final int GFP_USER = __GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS;
    public static final int GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
    public static final int GFP_KERNEL = __GFP_HIGH | __GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS;
    public static final int GFP_NFS = GFP_KERNEL;
    public static final int GFP_KSWAPD = __GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS;
    public static final int GFP_DMA = __GFP_DMA;

    /** Every bit this port knows; anything else in a mask is a caller's mistake. */
    public static final int GFP_VALID_MASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_WAIT | __GFP_HIGH
            | __GFP_IO | __GFP_HIGHIO | __GFP_FS | __GFP_COLD | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC;

    /**
     * Modifiers that say how hard to try, not what the caller may do: a mask with them still
     * reads as its composite ({@code GFP_NOIO|__GFP_NORETRY}), and they never select a zone.
     */
    private static final int MODIFIERS = __GFP_COLD | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC;

    /**
     * Rejects a mask with bits this port does not define.
     *
     * @return {@code gfp}, for chaining
     * @throws IllegalArgumentException naming the unknown bits
     */
    public static int check(int gfp) {
        if ((gfp & ~GFP_VALID_MASK) != 0) {
            throw unknownBits(gfp);
        }
        return gfp;
    }

    private static IllegalArgumentException unknownBits(int gfp) {
        return new IllegalArgumentException(String.format("gfp mask 0x%x has unknown bits 0x%x (valid bits: 0x%x)",
                gfp, gfp & ~GFP_VALID_MASK, GFP_VALID_MASK));
    }

    /** True if the mask lets the caller sleep. */
    public static boolean mayWait(int gfp) {
        return (gfp & __GFP_WAIT) != 0;
    }

    /**
     * The highest zone index a mask may allocate from, following build_zonelists: DMA wins when
     * both zone bits are set.
     */
    public static int highestZone(int gfp) {
        if ((gfp & __GFP_DMA) != 0) {
            return Zone.ZONE_DMA;
        }
        return (gfp & __GFP_HIGHMEM) != 0 ? Zone.ZONE_HIGHMEM : Zone.ZONE_NORMAL;
    }

    private static final int[] NAMED = {GFP_KERNEL, GFP_NOFS, GFP_NOHIGHIO, GFP_NOIO, GFP_HIGHUSER,
        GFP_USER, GFP_KSWAPD, GFP_ATOMIC};
    private static final String[] NAMED_NAMES = {"GFP_KERNEL", "GFP_NOFS", "GFP_NOHIGHIO", "GFP_NOIO",
        "GFP_HIGHUSER", "GFP_USER", "GFP_KSWAPD", "GFP_ATOMIC"};
    private static final int[] BITS = {__GFP_DMA, __GFP_HIGHMEM, __GFP_WAIT, __GFP_HIGH, __GFP_IO,
        __GFP_HIGHIO, __GFP_FS, __GFP_COLD, __GFP_NOWARN, __GFP_NORETRY, __GFP_NOMEMALLOC};
    private static final String[] BIT_NAMES = {"__GFP_DMA", "__GFP_HIGHMEM", "__GFP_WAIT", "__GFP_HIGH",
        "__GFP_IO", "__GFP_HIGHIO", "__GFP_FS", "__GFP_COLD", "__GFP_NOWARN", "__GFP_NORETRY", "__GFP_NOMEMALLOC"};

    /**
     * Names a mask the way a kernel developer writes it: the largest composite it contains
     * exactly, then the remaining single bits, e.g. {@code GFP_NOIO|__GFP_DMA}.
     */
    public static String toString(int gfp) {
        StringBuilder sb = new StringBuilder();
        int rest = gfp;
        for (int i = 0; i < NAMED.length; i++) {
            int behaviour = NAMED[i] & ~GFP_ZONEMASK;
            if ((gfp & NAMED[i]) == NAMED[i] && (gfp & ~GFP_ZONEMASK & ~MODIFIERS) == behaviour) {
                sb.append(NAMED_NAMES[i]);
                rest &= ~NAMED[i];
                break;
            }
        }
        for (int i = 0; i < BITS.length; i++) {
            if ((rest & BITS[i]) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(BIT_NAMES[i]);
                rest &= ~BITS[i];
            }
        }
        if (rest != 0) {
            if (sb.length() > 0) {
                sb.append('|');
            }
            sb.append(String.format("0x%x", rest));
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }
}
