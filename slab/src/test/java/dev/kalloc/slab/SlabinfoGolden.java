// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.slab;

import static dev.kalloc.slab.SlabFlags.SLAB_HWCACHE_ALIGN;
import static dev.kalloc.slab.SlabFlags.SLAB_KERNEL;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one scenario behind both slabinfo goldens (SlabinfoTest's 2.1 file and SlabinfoV11Test's
 * 2.4 file), so that the two layouts are always compared on the same state: three caches
 * created, 45 dentries allocated and 5 freed, 7 six_hundreds, 2 big2100s, then dentry_cache
 * retuned to limit 16, batch 8 by a write. SlabinfoTest's comment derives the counts.
 */
final class SlabinfoGolden {
    private SlabinfoGolden() {
    }

    static void goldenWorkload(SlabAllocator s) {
        KmemCache<SlabObject> dentry = s.kmemCacheCreate("dentry_cache", 112, 0, SLAB_HWCACHE_ALIGN, null, null);
        KmemCache<SlabObject> six = s.kmemCacheCreate("six_hundred", 600, 0, 0, null, null);
        KmemCache<SlabObject> big = s.kmemCacheCreate("big2100", 2100, 0, 0, null, null);
        List<Long> ds = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            ds.add(dentry.alloc(SLAB_KERNEL));
        }
        for (int i = 0; i < 5; i++) {
            dentry.free(ds.remove(ds.size() - 1));
        }
        for (int i = 0; i < 7; i++) {
            six.alloc(SLAB_KERNEL);
        }
        big.alloc(SLAB_KERNEL);
        big.alloc(SLAB_KERNEL);
        assertThat(s.writeSlabinfo("dentry_cache 16 8")).isTrue();
    }

    /** A golden file next to the tests, as text. */
    static String resource(String name) throws IOException {
        try (InputStream in = SlabinfoGolden.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
