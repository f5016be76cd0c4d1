// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.highmem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random sequences of kmap and kunmap over eight highmem pages and a window of four slots,
 * checked after every step against a model (which pages are held, how many times, at which
 * address): every held address reads its own page, the user counts match, slots with users are
 * exactly the held pages, the window's invariants hold. A new page is mapped only while fewer than
 * four pages are held, so the sequence never sleeps.
 */
class KmapModelTest {
    private static final int WINDOW = 4;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89})
    void randomKmapKunmapMatchesTheModel(long seed) {
        try (Machine m = TinyMachines.bootThreeZones()) {
            Highmem hm = Highmem.boot(m, WINDOW);
            Page[] pages = new Page[8];
            for (int i = 0; i < pages.length; i++) {
                pages[i] = m.pageAlloc().allocPage(Gfp.GFP_HIGHUSER);
                m.memory().putLong(pages[i].physAddr(), 0xABC0_0000L + i);
            }
            Map<Integer, Integer> users = new HashMap<>();
            Map<Integer, Long> address = new HashMap<>();
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int step = 0; step < 400; step++) {
                int i = rnd.nextInt(pages.length);
                boolean held = users.containsKey(i);
                if (held && rnd.nextBoolean()) {
                    hm.kunmap(pages[i]);
                    if (users.merge(i, -1, Integer::sum) == 0) {
                        users.remove(i);
                        address.remove(i);
                    }
                } else if (held || users.size() < WINDOW) {
                    long v = hm.kmap(pages[i]);
                    Long before = address.putIfAbsent(i, v);
                    assertThat(before == null || before == v).as("a held page keeps its address").isTrue();
                    users.merge(i, 1, Integer::sum);
                }
                for (Map.Entry<Integer, Long> e : address.entrySet()) {
                    assertThat(hm.getLong(e.getValue())).isEqualTo(0xABC0_0000L + e.getKey());
                    assertThat(hm.kmapUsers(pages[e.getKey()])).isEqualTo(users.get(e.getKey()));
                }
                assertThat(hm.busySlots()).isEqualTo(users.size());
                hm.checkInvariants();
            }
            users.forEach((i, n) -> {
                for (int k = 0; k < n; k++) {
                    hm.kunmap(pages[i]);
                }
            });
            assertThat(hm.busySlots()).isZero();
            assertThat(hm.kmapSleeps()).isZero();
            assertThat(hm.flushes()).isPositive();
            hm.checkInvariants();
            for (Page p : pages) {
                m.pageAlloc().freePage(p);
            }
            m.checkInvariants();
        }
    }
}
