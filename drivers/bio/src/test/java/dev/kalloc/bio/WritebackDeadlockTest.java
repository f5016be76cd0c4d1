// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.AddressSpace;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.MachineConfig;
import dev.kalloc.page.OomPolicy;
import dev.kalloc.page.Page;
import dev.kalloc.page.PageCache;
import dev.kalloc.page.PhysicalMemory;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reclaim needs I/O, I/O needs memory. Memory is filled with dirty page-cache pages of a mapping
 * whose {@code writepage} is {@link BioWriteback}; then every dirty page is written back, as
 * reclaim would. On the none guarantee the first bio cannot be had: writeback fails (OOM policy
 * failAfter) or stalls (waitForFree, seen by an OOM listener within a bounded wait, then released
 * by freeing a few pages so that the thread can be joined). On mempool and reservation it always
 * completes, and the disk holds every page's data.
 */
class WritebackDeadlockTest {
    private static final int PAGES = 1024;

    private static final class Filled {
        final List<Page> dirty = new ArrayList<>();
        final List<Long> crc = new ArrayList<>();
    }

    private static BioRig rig(GuaranteeKind kind, OomPolicy oom) {
        MachineConfig.Builder cfg = TinyMachines.normalOnly(PAGES).oomPolicy(oom);
        return new BioRig(cfg, kind, b -> b.name("wb").maxVecs(1).poolEntries(4).inFlight(4),
                (long) PAGES * BioWriteback.SECTORS_PER_PAGE, Duration.ofMillis(1));
    }

    /** Fills memory with cache pages of {@code mapping}, each dirtied if the zone allows it. */
    private static Filled fill(BioRig rig, AddressSpace mapping) {
        PageCache pc = rig.machine.pageCache();
        Filled f = new Filled();
        byte[] data = new byte[PhysicalMemory.PAGE_SIZE];
        for (long index = 0; index < PAGES; index++) {
            Page page = pc.addNewPage(mapping, index, Gfp.GFP_ATOMIC);
            if (page == null) {
                break;
            }
            Page ref = pc.findGetPage(mapping, index);
            java.util.Arrays.fill(data, (byte) (index * 31 + 7));
            rig.fill(ref, data);
            if (pc.setPageDirty(ref, Gfp.GFP_ATOMIC)) {
                f.dirty.add(ref);
                CRC32 c = new CRC32();
                c.update(data);
                f.crc.add(c.getValue());
            }
            rig.machine.pageAlloc().putPage(ref);
        }
        return f;
    }

    private static void writeAll(BioRig rig, Filled f) {
        for (Page p : f.dirty) {
            rig.machine.pageCache().writePage(p);
        }
    }

    @Test
    void noneFailsWritebackWhenMemoryIsFull() throws Exception {
        try (BioRig rig = rig(GuaranteeKind.NONE, OomPolicy.failAfter(1))) {
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            Filled f = fill(rig, new AddressSpace("file", wb));
            assertThat(f.dirty.size()).isGreaterThan(PAGES * 9 / 10);
            writeAll(rig, f);
            assertThat(wb.awaitIdle(Duration.ofSeconds(20))).isTrue();
            assertThat(wb.allocFailures()).isPositive();
            assertThat(rig.set.allocFailures()).isPositive();
            long stillDirty = f.dirty.stream().filter(p -> p.testFlag(Page.PG_dirty)).count();
            assertThat(stillDirty).isEqualTo(wb.allocFailures());
            assertThat(f.dirty.stream().filter(p -> p.testFlag(Page.PG_dirty)).allMatch(p -> p.testFlag(Page.PG_error)))
                    .isTrue();
        }
    }

    @Test
    void noneStallsWritebackWhenAllocationsWaitAndTheStallIsSeen() throws Exception {
        try (BioRig rig = rig(GuaranteeKind.NONE, OomPolicy.waitForFree())) {
            List<Page> spare = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                spare.add(rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL));
            }
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            Filled f = fill(rig, new AddressSpace("file", wb));
            CountDownLatch oom = new CountDownLatch(1);
            AtomicInteger rounds = new AtomicInteger();
            rig.machine.addOomListener((gfp, order, fruitless, task) -> {
                rounds.incrementAndGet();
                oom.countDown();
            });
            Thread writer = new Thread(() -> writeAll(rig, f), "writeback");
            writer.start();
            assertThat(oom.await(20, TimeUnit.SECONDS)).as("the stall is reported").isTrue();
            assertThat(wb.awaitIdle(Duration.ofMillis(300))).as("writeback is stuck").isFalse();
            assertThat(wb.completed()).isZero();
            for (Page p : spare) {
                rig.machine.pageAlloc().freePage(p); // the watchdog's remedy: memory comes back
            }
            writer.join(30_000);
            assertThat(writer.isAlive()).isFalse();
            assertThat(wb.awaitIdle(Duration.ofSeconds(20))).isTrue();
            assertThat(rounds.get()).isPositive();
            assertThat(wb.completed()).isEqualTo(f.dirty.size());
        }
    }

    /**
     * The modern mempool under {@code waitForFree()}: its full-gfp bio allocation carries
     * {@code __GFP_NORETRY}, so when the pool is empty it gives up after one reclaim round and
     * sleeps on the pool's queue, where completing bios wake it, instead of in the page
     * allocator, where nothing would. (The 2.5.1 pool's level 3 sleeps in the page allocator
     * here; {@code mempool}'s {@code GfpModifiersTest} shows that deterministically.)
     */
    @Test
    void modernMempoolWritebackCompletesWhenAllocationsWait() throws Exception {
        MachineConfig.Builder cfg = TinyMachines.normalOnly(PAGES).oomPolicy(OomPolicy.waitForFree());
        try (BioRig rig = new BioRig(cfg, GuaranteeKind.MEMPOOL_MODERN,
                b -> b.name("wb").maxVecs(1).poolEntries(4).inFlight(4), (long) PAGES * BioWriteback.SECTORS_PER_PAGE,
                Duration.ofMillis(1))) {
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            Filled f = fill(rig, new AddressSpace("file", wb));
            assertThat(f.dirty.size()).isGreaterThan(PAGES / 2);
            Thread writer = new Thread(() -> writeAll(rig, f), "writeback");
            writer.setDaemon(true);
            writer.start();
            writer.join(60_000); // failure guard only: a writer stuck in the page allocator never ends
            assertThat(writer.isAlive()).as("the writer finished").isFalse();
            assertThat(wb.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(wb.allocFailures()).isZero();
            assertThat(wb.completed()).isEqualTo(f.dirty.size());
            assertThat(rig.machine.pageAlloc().oomRounds()).isZero();
            assertThat(rig.machine.pageAlloc().waiters()).isZero();
            assertThat(rig.set.inUse()).isZero();
            rig.machine.checkInvariants();
        }
    }

    @Test
    void aFailedWriteLeavesThePageDirtyWithAnError() throws Exception {
        try (BioRig rig = rig(GuaranteeKind.MEMPOOL_2_5_1, OomPolicy.failAfter(1))) {
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            AddressSpace file = new AddressSpace("file", wb);
            PageCache pc = rig.machine.pageCache();
            Page[] pages = new Page[3];
            for (int i = 0; i < pages.length; i++) {
                pages[i] = pc.addNewPage(file, i, Gfp.GFP_KERNEL);
                pc.setPageDirty(pages[i]);
            }
            rig.disk.addBadRange(BioWriteback.SECTORS_PER_PAGE, 1); // page 1
            for (Page p : pages) {
                pc.writePage(p);
            }
            assertThat(wb.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(wb.completed()).isEqualTo(2);
            assertThat(wb.ioErrors()).isEqualTo(1);
            assertThat(pages[1].testFlag(Page.PG_dirty)).isTrue();
            assertThat(pages[1].testFlag(Page.PG_error)).isTrue();
            assertThat(pages[0].testFlag(Page.PG_dirty)).isFalse();
            assertThat(rig.set.inUse()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "RESERVATION"})
    void guaranteedWritebackAlwaysCompletes(GuaranteeKind kind) throws Exception {
        try (BioRig rig = rig(kind, OomPolicy.failAfter(1))) {
            BioWriteback wb = new BioWriteback(rig.set, rig.disk);
            Filled f = fill(rig, new AddressSpace("file", wb));
            assertThat(f.dirty.size()).isGreaterThan(PAGES / 2);
            assertThat(rig.machine.pageAlloc().allocPage(Gfp.GFP_NOIO)).as("memory is exhausted").isNull();
            writeAll(rig, f);
            assertThat(wb.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(wb.allocFailures()).isZero();
            assertThat(wb.completed()).isEqualTo(f.dirty.size());
            assertThat(rig.set.allocFailures()).isZero();
            byte[] raw = new byte[PhysicalMemory.PAGE_SIZE];
            for (int i = 0; i < f.dirty.size(); i++) {
                Page p = f.dirty.get(i);
                assertThat(p.testFlag(Page.PG_dirty)).isFalse();
                rig.disk.readRaw(p.index() * BioWriteback.SECTORS_PER_PAGE, raw, 0, raw.length);
                CRC32 c = new CRC32();
                c.update(raw);
                assertThat(c.getValue()).as("page %d on disk", p.index()).isEqualTo(f.crc.get(i));
            }
            Page reclaimed = rig.machine.pageAlloc().allocPage(Gfp.GFP_NOIO);
            assertThat(reclaimed).as("clean pages can now be reclaimed").isNotNull();
            rig.machine.pageAlloc().freePage(reclaimed);
            assertThat(rig.set.inUse()).isZero();
            rig.machine.checkInvariants();
        }
    }
}
