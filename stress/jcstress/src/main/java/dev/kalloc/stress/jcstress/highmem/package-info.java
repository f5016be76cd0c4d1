// SPDX-License-Identifier: GPL-2.0-only
/**
 * jcstress tests of {@code dev.kalloc.highmem}'s persistent kmap window. Every state builds its
 * own {@code Highmem} over one shared 16-frame machine ({@code HighmemFixture}) whose highmem
 * pages carry read-only markers, so a read through a mapping tells whether it reached its page.
 *
 * <dl>
 *   <dt>{@code ConcurrentKmapOnePageTest}</dt>
 *   <dd>kmap/kunmap of one page from two threads while the holder wraps a two-slot window: the
 *       count is never torn, the flush never takes a slot in use, every read reaches its page.</dd>
 *   <dt>{@code KmapWokenByKunmapTest} (termination)</dt>
 *   <dd>kmap on a full one-slot window sleeps on {@code pkmap_map_wait} and is woken by the
 *       kunmap of the page holding the slot; it then maps its page and reads it.</dd>
 * </dl>
 * Run: {@code java -jar stress/jcstress/target/jcstress.jar -t highmem -m sanity -time 2000}.
 */
package dev.kalloc.stress.jcstress.highmem;
