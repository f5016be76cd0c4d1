// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_KERNEL;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.kernel.KernelBug;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Machine;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.slab.KmemCache;
import dev.kalloc.slab.SlabAllocator;
import dev.kalloc.slab.SlabFlags;
import dev.kalloc.slab.SlabObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * mempool_alloc_slab/free_slab (typed and plain caches) and mempool_kmalloc/kfree over a booted
 * slab allocator, with failslab driving the levels; conservation through the caches' counts.
 */
class SlabPoolTest {
    /** A typed object standing in for a struct bio. */
    static final class Bio extends SlabObject {
        Bio(Slot slot) {
            super(slot);
        }
    }

    private Machine m;
    private SlabAllocator slab;

    @BeforeEach
    void boot() {
        m = Machine.boot(MachineConfig.builder().memory(16 * MachineConfig.MiB).kswapd(false).build());
        m.bindCurrentThread(0);
        slab = SlabAllocator.boot(m);
    }

    @AfterEach
    void shutdown() {
        slab.failslab().attr().disable();
        slab.checkInvariants();
        m.checkInvariants();
        m.close();
    }

    /** failslab: every non-sleeping slab allocation fails (sleeping ones too if asked). */
    private void failSlabAllocs(boolean sleepingToo) {
        slab.failslab().ignoreGfpWait(!sleepingToo).attr().configure(100, 1, -1, 0, 7);
    }

    @Test
    void typedSlabPoolLevelsAndConservation() {
        KmemCache<Bio> cache = slab.kmemCacheCreate("bio", 96, 0, SlabFlags.SLAB_HWCACHE_ALIGN, null, null, Bio::new);
        Mempool<Bio> pool = SlabMempools.slabPool(m, "bio_pool", 4, cache).create();
        assertThat(pool).isNotNull();
        assertThat(cache.allocatedObjects()).isEqualTo(4);

        List<Bio> out = new ArrayList<>();
        out.add(pool.alloc(GFP_NOIO));
        failSlabAllocs(false);
        out.add(pool.alloc(GFP_NOIO));
        out.add(pool.alloc(GFP_NOIO));
        out.add(pool.alloc(GFP_NOIO));
        failSlabAllocs(true);
        out.add(pool.alloc(GFP_NOIO));
        out.add(pool.alloc(GFP_ATOMIC));
        assertThat(pool.alloc(GFP_ATOMIC)).isNull();
        assertThat(out).doesNotHaveDuplicates().allMatch(b -> b.cache() == cache);
        MempoolStats s = pool.stats();
        assertThat(new long[] {s.nowait(), s.halfFull(), s.fullGfp(), s.nonempty(), s.failures()})
                .containsExactly(1, 2, 1, 2, 1);

        slab.failslab().attr().disable();
        out.forEach(pool::free);
        assertThat(cache.allocatedObjects()).isEqualTo(4); // the reserve only
        pool.destroy();
        assertThat(cache.allocatedObjects()).isZero();
        cache.destroy();
    }

    @Test
    void typedPoolRejectsAnObjectOfAnotherCache() {
        KmemCache<Bio> cache = slab.kmemCacheCreate("bio", 96, 0, 0, null, null, Bio::new);
        KmemCache<Bio> other = slab.kmemCacheCreate("other_bio", 96, 0, 0, null, null, Bio::new);
        Mempool<Bio> pool = SlabMempools.slabPool(m, "bio_pool", 2, cache).create();
        Bio foreign = other.allocObject(SlabFlags.SLAB_KERNEL);
        assertThatThrownBy(() -> pool.free(foreign)).isInstanceOf(KernelBug.class).hasMessageContaining("bio_pool");
        assertThat(pool.currNr()).isEqualTo(2);
        other.freeObject(foreign);
        pool.destroy();
        cache.destroy();
        other.destroy();
    }

    @Test
    void plainCachesNeedTheAddressPair() {
        KmemCache<SlabObject> plain = slab.kmemCacheCreate("plain", 64, 0, 0, null, null);
        assertThatThrownBy(() -> SlabMempools.allocSlab(plain)).isInstanceOf(IllegalArgumentException.class);
        Mempool<Long> pool = SlabMempools.slabAddressPool(slab, "plain_pool", 3, plain).create();
        failSlabAllocs(true);
        Long a = pool.alloc(GFP_NOIO);
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(1);
        slab.failslab().attr().disable();
        long foreign = slab.kmalloc(64, GFP_KERNEL);
        assertThatThrownBy(() -> pool.free(foreign)).isInstanceOf(KernelBug.class);
        assertThatThrownBy(() -> pool.free(12345L)).isInstanceOf(KernelBug.class);
        slab.kfree(foreign);
        pool.free(a);
        pool.destroy();
        assertThat(plain.allocatedObjects()).isZero();
        plain.destroy();
    }

    @Test
    void kmallocPoolLevelsOwnerCheckAndConservation() {
        KmemCache<?> size256 = slab.kmemFindGeneralCachep(200, 0);
        long baseline = size256.allocatedObjects();
        Mempool<Long> pool = SlabMempools.kmallocPool(slab, "r1bio_pool", 4, 200).create();
        assertThat(size256.allocatedObjects()).isEqualTo(baseline + 4);

        List<Long> out = new ArrayList<>();
        out.add(pool.alloc(GFP_NOIO));
        assertThat(slab.ksize(out.get(0))).isGreaterThanOrEqualTo(200);
        failSlabAllocs(false);
        for (int i = 0; i < 3; i++) {
            out.add(pool.alloc(GFP_NOIO));
        }
        assertThat(pool.served(MempoolLevel.NOWAIT)).isEqualTo(1);
        assertThat(pool.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(2);
        assertThat(pool.served(MempoolLevel.FULL_GFP)).isEqualTo(1);
        slab.failslab().attr().disable();

        long small = slab.kmalloc(32, GFP_KERNEL);
        assertThatThrownBy(() -> pool.free(small)).isInstanceOf(KernelBug.class);
        slab.kfree(small);
        Long straggler = out.remove(out.size() - 1);
        out.forEach(pool::free);
        assertThat(pool.currNr()).isEqualTo(4);
        assertThatThrownBy(pool::destroy).isInstanceOf(KernelBug.class).hasMessageContaining("1 element(s) still out");
        pool.free(straggler);
        pool.destroy();
        assertThat(size256.allocatedObjects()).isEqualTo(baseline);
    }

    @ParameterizedTest
    @EnumSource(MempoolPolicy.class)
    void aSleepingKmallocPoolAllocationWaitsForAFree(MempoolPolicy policy) throws Exception {
        Mempool<Long> pool = SlabMempools.kmallocPool(slab, "r1bio_pool", 1, 512).policy(policy).create();
        failSlabAllocs(true);
        Long held = pool.alloc(GFP_NOIO);
        Future<Long> sleeper = TestSupport.spawn(() -> pool.alloc(GFP_NOIO));
        TestSupport.await(() -> pool.waiters() == 1, "the kmalloc pool allocation sleeps");
        pool.free(held);
        assertThat(sleeper.get(10, TimeUnit.SECONDS)).isEqualTo(held);
        slab.failslab().attr().disable();
        pool.free(held);
        pool.destroy();
    }

    @Test
    void aSleepingSlabPoolAllocationFromInterruptContextIsAKernelBug() {
        KmemCache<Bio> cache = slab.kmemCacheCreate("bio", 96, 0, 0, null, null, Bio::new);
        Mempool<Bio> pool = SlabMempools.slabPool(m, "bio_pool", 1, cache).create();
        Task task = m.current();
        Task.IrqScope irq = task.irqEnter();
        try {
            assertThatThrownBy(() -> pool.alloc(GFP_NOIO)).isInstanceOf(KernelBug.class);
            Bio b = pool.alloc(GFP_ATOMIC);
            pool.free(b);
        } finally {
            irq.close(); // irq_exit
        }
        pool.destroy();
        cache.destroy();
    }

    @Test
    void badSizesAndArgumentsAreRefused() {
        assertThatThrownBy(() -> SlabMempools.kmalloc(slab, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SlabMempools.kmalloc(slab, SlabAllocator.KMALLOC_MAX_SIZE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SlabMempools.kmalloc(null, 64)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SlabMempools.allocSlab(null)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The helper free functions take null as their kernel functions take NULL: mempool_kfree is
     * kfree (a no-op), mempool_free_slab is kmem_cache_free and mempool_free_pages is
     * __free_pages (bugs); nothing changes either way.
     */
    @Test
    void helperFreesOfNullAreWhatTheirKernelFunctionsMakeOfNull() {
        KmemCache<Bio> typed = slab.kmemCacheCreate("null_typed", 64, 0, 0, null, null, Bio::new);
        KmemCache<SlabObject> plain = slab.kmemCacheCreate("null_plain", 64, 0, 0, null, null);
        String before = slab.slabinfo();
        SlabMempools.kfree(slab).free(null);
        assertThatThrownBy(() -> SlabMempools.freeSlabAddress(plain).free(null)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("kmem_cache_free(null_plain, NULL)");
        assertThatThrownBy(() -> SlabMempools.freeSlab(typed).free(null)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("kmem_cache_free(null_typed, NULL)");
        assertThat(slab.slabinfo()).isEqualTo(before);
        assertThatThrownBy(() -> Mempools.freePages(m, 0).free(null)).isInstanceOf(KernelBug.class)
                .hasMessageContaining("__free_pages(NULL, 0)");
        typed.destroy();
        plain.destroy();
    }
}
