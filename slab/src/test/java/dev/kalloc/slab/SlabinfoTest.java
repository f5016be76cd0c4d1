// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Machine;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * /proc/slabinfo in the 2.6 layout, version 2.1, asked for explicitly: a golden file and the column
 * layout; and tuning by writing to it. SlabinfoV11Test has 2.4's layout, the default.
 */
class SlabinfoTest {

    /**
     * A fixed scenario on a 16 MiB, 2-CPU machine, thread on CPU 0. The expected file was checked
     * line by line against the sizing rules (see SlabGeometryTest) and the counts below:
     * <ul>
     *   <li>dentry_cache (128 B, 30/slab): 45 allocated, 5 freed into CPU 0's array, retuned to
     *       16/8 (which drains the array): 40 active in 2 slabs of 30;</li>
     *   <li>six_hundred (600 B, 6/slab, on-slab): 7 allocated, none freed, limit 124 batch 62: the
     *       first refill took 6 (a whole slab), the second grew a slab and took its 6, so 12 are
     *       active (7 out, 5 in the array) in 2 slabs;</li>
     *   <li>big2100 (2100 B, 3 per 2-page slab): 2 allocated with limit 60: the refill takes all
     *       3 objects of the one slab.</li>
     * </ul>
     */
    @Test
    void goldenFile() throws IOException {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            assertThat(s.slabinfo(SlabinfoFormat.V2_1)).isEqualTo(SlabinfoGolden.resource("slabinfo-boot.txt"));
            SlabinfoGolden.goldenWorkload(s);
            String golden = SlabinfoGolden.resource("slabinfo-golden.txt");
            assertThat(s.slabinfo(SlabinfoFormat.V2_1)).isEqualTo(golden);
            Tiny.check(m, s);
        }
    }

    @Test
    void headerAndColumns() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            String[] lines = s.slabinfo(SlabinfoFormat.V2_1).split("\n");
            assertThat(lines[0]).isEqualTo("slabinfo - version: 2.1");
            assertThat(lines[1]).isEqualTo("# name            <active_objs> <num_objs> <objsize> <objperslab> "
                    + "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
                    + "<num_slabs> <sharedavail>");
            assertThat(lines).hasSize(2 + 27);
            for (int i = 2; i < lines.length; i++) {
                String[] f = lines[i].trim().split("\\s+");
                assertThat(f).hasSize(16);
                assertThat(f[6]).isEqualTo(":");
                assertThat(f[7]).isEqualTo("tunables");
                assertThat(f[11]).isEqualTo(":");
                assertThat(f[12]).isEqualTo("slabdata");
                KmemCache<?> c = s.kmemFindCache(f[0]);
                assertThat(Integer.parseInt(f[3])).isEqualTo(c.objsize());
                assertThat(Integer.parseInt(f[4])).isEqualTo(c.num());
                assertThat(Integer.parseInt(f[5])).isEqualTo(c.pagesPerSlab());
                assertThat(Long.parseLong(f[2])).isEqualTo((long) c.numSlabs() * c.num());
                assertThat(Long.parseLong(f[1])).isEqualTo(c.activeObjs());
            }
        }
    }

    @Test
    void writingTunesAndValidates() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<?> c = s.generalCache(128, false);
            assertThat(s.writeSlabinfo("size-128 32 16")).isTrue();
            assertThat(c.limit()).isEqualTo(32);
            assertThat(c.batchcount()).isEqualTo(16);
            assertThat(s.slabinfo(SlabinfoFormat.V2_1)).contains(String.format(
                    "%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d", "size-128", 0, 0, 128, 30, 1, 32, 16, 0));
            assertThat(s.slabinfo()).contains("size-128               0      0    128    0    0    1 :   32   16");
            String before = s.slabinfo();
            String before21 = s.slabinfo(SlabinfoFormat.V2_1);
            for (String bad : new String[] {"size-128 4 5", "size-128 4 0", "size-128 -1 0", "no_such 4 2",
                "size-128 4", "size-128 x 2", "", "size-128 4 2 1", "size-128 32x 16", "   ", "SIZE-128 4 2",
                "size-128 99999999999 2"}) {
                assertThatThrownBy(() -> s.writeSlabinfo(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(() -> s.writeSlabinfo(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got null");
            assertThatThrownBy(() -> s.writeSlabinfo("no_such 4 2")).hasMessageContaining("no cache named \"no_such\"");
            assertThatThrownBy(() -> s.writeSlabinfo("size-128 x 2"))
                    .hasMessageContaining("limit and batchcount must be integers, got \"x\" and \"2\"");
            assertThatThrownBy(() -> s.writeSlabinfo("size-128 4")).hasMessageContaining("expected \"name limit "
                    + "batchcount\"");
            assertThatThrownBy(() -> s.writeSlabinfo("size-128 4 5")).hasMessageContaining("batchcount <= limit");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(s.slabinfo(SlabinfoFormat.V2_1)).isEqualTo(before21);
            assertThat(s.writeSlabinfo("  size-128   0   0 ")).isTrue();
            assertThat(c.limit()).isZero();
            Tiny.check(m, s);
        }
    }

    /**
     * 2.4's slabinfo_write_proc ends the name at the first space, so a cache named with spaces
     * cannot be tuned by a write: the line is refused, saying why, and nothing changes, not even a
     * cache named by the first word. KmemCache.tune still tunes it.
     */
    @Test
    void aNameWithSpacesCannotBeWritten() {
        try (Machine m = Tiny.machine()) {
            SlabAllocator s = SlabAllocator.boot(m);
            KmemCache<SlabObject> locks = s.kmemCacheCreate("file lock cache", 92, 0, 0, null, null);
            KmemCache<SlabObject> file = s.kmemCacheCreate("file", 64, 0, 0, null, null);
            String before = s.slabinfo();
            for (String bad : new String[] {"file lock cache 16 8", "  file lock cache   16 8\n", "file lock cache"}) {
                assertThatThrownBy(() -> s.writeSlabinfo(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("the cache name ends at the first space")
                        .hasMessageContaining("\"file lock cache\" cannot be tuned by a write");
            }
            assertThatThrownBy(() -> s.writeSlabinfo("file lock 16 8")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected \"name limit batchcount\"")
                    .hasMessageNotContaining("first space");
            assertThat(s.slabinfo()).isEqualTo(before);
            assertThat(locks.limit()).isEqualTo(252);
            assertThat(file.limit()).isEqualTo(252);
            assertThat(s.writeSlabinfo("file 16 8")).isTrue();
            assertThat(file.limit()).isEqualTo(16);
            assertThat(locks.tune(16, 8)).isTrue();
            assertThat(s.slabinfo()).contains("file lock cache        0      0     92    0    0    1 :   16    8");
            Tiny.check(m, s);
        }
    }
}
