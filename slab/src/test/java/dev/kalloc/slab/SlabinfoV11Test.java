// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * /proc/slabinfo as 2.4 printed it (proc_getdata, "slabinfo - version: 1.1"), the default layout:
 * whole-file goldens, one cache's line with every column group (statistics with
 * CONFIG_DEBUG_SLAB, limit and batchcount on SMP, the per-CPU hits with both) on one and two
 * CPUs, and cache names with spaces, which 2.4 allowed ("file lock cache", "dnotify cache").
 */
class SlabinfoV11Test {

    /**
     * The scenario of SlabinfoTest.goldenFile, in 2.4's layout. The expected files were derived
     * from the 2.1 goldens by moving columns (active_slabs and num_slabs come in place of
     * objperslab; limit and batchcount stay, sharedfactor and the slabdata header go), not by
     * printing this port's output, and match the width of a real 2.4 SMP kernel's lines
     * ("kmem_cache            80     80    244    5    5    1 :  252  126").
     */
    @Test
    void goldenFiles() throws IOException {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThat(s.slabinfo()).isEqualTo(SlabinfoGolden.resource("slabinfo-1.1-boot.txt"));
            assertThat(s.slabinfo(SlabinfoFormat.V1_1)).isEqualTo(s.slabinfo());
            SlabinfoGolden.goldenWorkload(s);
            assertThat(s.slabinfo()).isEqualTo(SlabinfoGolden.resource("slabinfo-1.1-golden.txt"));
            Tiny.check(m, s);
        }
    }

    /**
     * "file lock cache", 100 bytes, no flags: 39 objects in a one-page slab (39*100 +
     * L1_ALIGN(24 + 39*4) = 3900 + 192 = 4092; 40 would need 4192). With FORCED_DEBUG it is red
     * zoned and poisoned: 108 bytes, 36 per slab (3888 + 192 = 4080; 37 would need 4188). Tuned
     * to limit 16, batch 8, on CPU 0: 20 allocations miss twice on the first (empty array, no
     * slab; then grown, refilled with 8), hit 7, miss and refill 8, hit 7, miss and refill 8,
     * hit 3: 24 taken from the slab, 4 misses, 17 hits, 4 left in the array. 10 frees go to the
     * array (14 there); 2 more fill it (16, 12 hits), the 13th finds it full (a miss), returns 8
     * to the slab and then goes in (9 there). So 16 objects are active as the slab sees them
     * (7 held, 9 in the array), high 24, allocs 24, grown 1.
     */
    @Test
    void oneCacheEveryColumnGroupTwoCpus() {
        String smp = "file lock cache       16     39    100    1    1    1 :   16    8";
        String both = "file lock cache       16     36    108    1    1    1 :     24      24     1    0    0"
                + " :   16    8 :     17      4     12      1";
        for (boolean debug : new boolean[] {false, true}) {
            try (Machine m = Tiny.machine(16, 2)) {
                SlabAllocator s = SlabAllocator.boot(m, SlabConfig.builder().forcedDebug(debug).build());
                KmemCache<SlabObject> c = fileLockScenario(s, true);
                assertThat(c.cpuCachedObjects()).isEqualTo(9);
                assertThat(c.allocatedObjects()).isEqualTo(7);
                String[] lines = s.slabinfo().split("\n");
                assertThat(lines[0]).isEqualTo(debug ? "slabinfo - version: 1.1 (statistics) (SMP)"
                        : "slabinfo - version: 1.1 (SMP)");
                assertThat(lines[2]).isEqualTo(debug ? both : smp);
                assertThat(s.slabinfoStatistics()).isEqualTo(debug);
                assertThat(s.slabinfoSmp()).isTrue();
                Tiny.check(m, s);
            }
        }
    }

    /**
     * One CPU. Array caches on (the default): an SMP kernel booted on one CPU, which 2.4 printed
     * as SMP, with the same numbers as on two. Array caches off: the uniprocessor build, no
     * "(SMP)", no limit columns, no hit counts; 20 allocated and 13 freed straight to the slab
     * leave 7 active, high 20.
     */
    @Test
    void oneCpu() {
        try (Machine m = Tiny.machine(16, 1)) {
            SlabAllocator s = SlabAllocator.boot(m);
            fileLockScenario(s, true);
            String[] lines = s.slabinfo().split("\n");
            assertThat(lines[0]).isEqualTo("slabinfo - version: 1.1 (SMP)");
            assertThat(lines[2]).isEqualTo("file lock cache       16     39    100    1    1    1 :   16    8");
            Tiny.check(m, s);
        }
        for (boolean debug : new boolean[] {false, true}) {
            try (Machine m = Tiny.machine(16, 1)) {
                SlabAllocator s = SlabAllocator.boot(m,
                        SlabConfig.builder().cpuCaches(false).forcedDebug(debug).build());
                KmemCache<SlabObject> c = fileLockScenario(s, false);
                assertThat(c.limit()).isZero();
                assertThat(s.slabinfoSmp()).isFalse();
                String[] lines = s.slabinfo().split("\n");
                assertThat(lines[0]).isEqualTo(debug ? "slabinfo - version: 1.1 (statistics)"
                        : "slabinfo - version: 1.1");
                assertThat(lines[2]).isEqualTo(debug
                        ? "file lock cache        7     36    108    1    1    1 :     20      20     1    0    0"
                        : "file lock cache        7     39    100    1    1    1");
                Tiny.check(m, s);
            }
        }
    }

    /** Two CPUs without automatic array caches are still SMP: untuned caches show limit 0. */
    @Test
    void twoCpusWithoutArrayCachesAreStillSmp() {
        try (Machine m = Tiny.machine(16, 2)) {
            SlabAllocator s = SlabAllocator.boot(m, SlabConfig.builder().cpuCaches(false).build());
            s.kmemCacheCreate("dnotify cache", 20, 0, 0, null, null);
            String[] lines = s.slabinfo().split("\n");
            assertThat(lines[0]).isEqualTo("slabinfo - version: 1.1 (SMP)");
            assertThat(lines[2]).isEqualTo("dnotify cache          0      0     20    0    0    1 :    0    0");
            Tiny.check(m, s);
        }
    }

    /**
     * Every line of every configuration reads back: the name is the text before the layout's
     * numeric columns (it may hold spaces, or fill the 17-character column), and every number is
     * the cache's own.
     */
    @Test
    void everyLineParsesBack() {
        for (int cpus = 1; cpus <= 2; cpus++) {
            for (boolean cpuCaches : new boolean[] {false, true}) {
                for (boolean debug : new boolean[] {false, true}) {
                    try (Machine m = Tiny.machine(16, cpus)) {
                        SlabAllocator s = SlabAllocator.boot(m,
                                SlabConfig.builder().cpuCaches(cpuCaches).forcedDebug(debug).build());
                        fileLockScenario(s, true);
                        KmemCache<SlabObject> dn = s.kmemCacheCreate("dnotify cache", 20, 0, 0, null, null);
                        KmemCache<SlabObject> wide = s.kmemCacheCreate("eighteen chars xyz", 40, 0, 0, null, null);
                        dn.alloc(SLAB_KERNEL);
                        wide.free(wide.alloc(SLAB_KERNEL));
                        s.kmalloc(300, SLAB_KERNEL);
                        assertParsesBack(s, cpus + " CPUs, cpuCaches " + cpuCaches + ", debug " + debug);
                        Tiny.check(m, s);
                    }
                }
            }
        }
    }

    /** Names with spaces are created, printed, found and tuned; the unique-name rule still holds. */
    @Test
    void namesWithSpaces() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> locks = s.kmemCacheCreate("file lock cache", 92, 0, 0, null, null);
            KmemCache<SlabObject> dn = s.kmemCacheCreate("dnotify cache", 20, 0, 0, null, null);
            assertThat(s.kmemFindCache("file lock cache")).isSameAs(locks);
            assertThat(s.kmemFindCache("dnotify cache")).isSameAs(dn);
            assertThat(s.kmemFindCache("file")).isNull();
            String before = s.slabinfo();
            assertThatThrownBy(() -> s.kmemCacheCreate("file lock cache", 64, 0, 0, null, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(locks.tune(24, 12)).isTrue();
            String[] lines = s.slabinfo().split("\n");
            assertThat(lines[1]).startsWith("kmem_cache ");
            assertThat(lines[2]).isEqualTo("dnotify cache          0      0     20    0    0    1 :  252  126");
            assertThat(lines[3]).isEqualTo("file lock cache        0      0     92    0    0    1 :   24   12");
            assertThat(s.slabinfo(SlabinfoFormat.V2_1)).contains(
                    "file lock cache        0      0     92   42    1 : tunables   24   12    0 : slabdata"
                    + "      0      0      0");
            long o = locks.alloc(SLAB_KERNEL);
            locks.free(o);
            dn.destroy();
            locks.destroy();
            assertThat(s.kmemFindCache("file lock cache")).isNull();
            Tiny.check(m, s);
        }
    }

    @Test
    void aNullFormatIsRefused() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThatThrownBy(() -> s.slabinfo(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("format is null");
            assertThatThrownBy(() -> s.slabinfoHeader(null)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * Creates "file lock cache" (100 bytes) and runs the scenario oneCacheEveryColumnGroupTwoCpus
     * describes: with {@code tune}, limit 16 and batch 8 first; 20 allocations, 13 frees.
     */
    private static KmemCache<SlabObject> fileLockScenario(SlabAllocator s, boolean tune) {
        KmemCache<SlabObject> c = s.kmemCacheCreate("file lock cache", 100, 0, 0, null, null);
        if (tune) {
            assertThat(c.tune(16, 8)).isTrue();
        }
        List<Long> held = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            held.add(c.alloc(SLAB_KERNEL));
        }
        for (int i = 0; i < 13; i++) {
            c.free(held.remove(held.size() - 1));
        }
        return c;
    }

    private static void assertParsesBack(SlabAllocator s, String what) {
        boolean stats = s.slabinfoStatistics();
        boolean smp = s.slabinfoSmp();
        String n = " +(\\d+)";
        Pattern p = Pattern.compile("(.*\\S)" + n.repeat(6)
                + (stats ? " :" + n.repeat(5) : "") + (smp ? " :" + n.repeat(2) : "")
                + (stats && smp ? " :" + n.repeat(4) : ""));
        String[] lines = s.slabinfo().split("\n", -1);
        List<KmemCache<?>> caches = s.caches();
        assertThat(lines).as(what).hasSize(1 + caches.size() + 1);
        assertThat(lines[lines.length - 1]).as(what).isEmpty();
        assertThat(lines[0]).as(what).isEqualTo(SlabAllocator.SLABINFO_1_1_VERSION
                + (stats ? " (statistics)" : "") + (smp ? " (SMP)" : ""));
        for (int i = 0; i < caches.size(); i++) {
            KmemCache<?> c = caches.get(i);
            Matcher mt = p.matcher(lines[i + 1]);
            assertThat(mt.matches()).as(what + ": " + lines[i + 1]).isTrue();
            assertThat(mt.group(1)).as(what).isEqualTo(c.name());
            int width = Math.max(17, c.name().length()); // %-17s, then a space before each number
            assertThat(lines[i + 1].substring(0, width + 1)).as(what + ": the name column")
                    .isEqualTo(c.name() + " ".repeat(width + 1 - c.name().length()));
            List<Long> expected = new ArrayList<>(List.of(c.activeObjs(), (long) c.numSlabs() * c.num(),
                    (long) c.objsize(), (long) (c.fullSlabs() + c.partialSlabs()), (long) c.numSlabs(),
                    (long) c.pagesPerSlab()));
            if (stats) {
                expected.addAll(List.of(c.highMark(), c.numAllocations(), c.grown(), c.reaped(), c.growFailures()));
            }
            if (smp) {
                expected.addAll(List.of((long) c.limit(), (long) c.batchcount()));
            }
            if (stats && smp) {
                for (long h : c.cpuStats()) {
                    expected.add(h);
                }
            }
            List<Long> got = new ArrayList<>();
            for (int g = 2; g <= mt.groupCount(); g++) {
                got.add(Long.parseLong(mt.group(g)));
            }
            assertThat(got).as(what + ": " + lines[i + 1]).isEqualTo(expected);
        }
    }
}
