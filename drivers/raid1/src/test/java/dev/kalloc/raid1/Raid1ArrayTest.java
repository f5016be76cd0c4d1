// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Page;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The array's API: bad input, the stacked r1bio element, views, teardown. */
class Raid1ArrayTest {
    @Test
    void badMembersAreRefused() {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.NONE, 2, 1024)) {
            Raid1Array.Builder b = Raid1Array.builder(rig.slab, rig.guarantee);
            RamDisk rd0 = rig.disks().get(0);
            assertThatThrownBy(() -> b.members(List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.members(rd0, rd0)).hasMessageContaining("twice");
            RamDisk tiny = rig.newDisk("tiny", 200);
            assertThatThrownBy(() -> b.members(rd0, tiny)).hasMessageContaining("at least 256");
            assertThatThrownBy(() -> b.members(rd0, null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(b::create).hasMessageContaining("needs members");
            assertThatThrownBy(() -> b.name("a-name-too-long")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.nrR1Bios(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void hotAddChecksItsDiskAndNeedsAFailedSlot() {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_2_5_1, 2, 1024)) {
            RamDisk spare = rig.newDisk("rd2", 1024);
            assertThatThrownBy(() -> rig.array.hotAdd(spare)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no failed slot");
            assertThatThrownBy(() -> rig.array.hotAdd(rig.newDisk("small", 800))).hasMessageContaining("needs 1024");
            assertThatThrownBy(() -> rig.array.hotAdd(rig.disks().get(0))).hasMessageContaining("already a member");
            assertThatThrownBy(() -> rig.array.hotAdd(null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> rig.array.setFaulty(spare)).hasMessageContaining("not a member");
            assertThat(rig.array.status()).isEqualTo(" [2/2] [UU]");
            assertThat(rig.array.members()).containsExactly(rig.disks().get(0), rig.disks().get(1));
            assertThat(rig.array.sectors()).isEqualTo(896);
        }
    }

    @Test
    void anR1bioElementCarriesOneBioPerMirrorAndNoCloneIsAllocatedPerRequest() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.NONE, 3, 1024)) {
            Page[] pages = rig.pages(1);
            byte[] data = new byte[Raid1Rig.PAGE];
            for (int i = 0; i < 10; i++) {
                assertThat(rig.write(8L * i, data, pages)).isTrue();
            }
            rig.array.waitIdle();
            // NONE frees the element at once, so every request allocated one: 3 bios each
            assertThat(rig.array.bioSet().allocs()).isEqualTo(30);
            assertThat(rig.array.bioSet().clones()).isEqualTo(30);
            assertThat(rig.array.bioSet().inUse()).isZero();
            assertThat(rig.array.r1bioPool().outstanding()).isZero();
            rig.free(pages);
        }
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_2_5_1, 3, 1024, b -> b.nrR1Bios(16))) {
            // the pool's prefill built 16 + 32 (the resync buffers' share) elements of an r1bio and 3 bios
            assertThat(rig.array.bioSet().allocs()).isEqualTo((16 + 32) * 3);
        }
    }

    @Test
    void withoutAnR1bioTheMasterFails() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.NONE, 2, 1024)) {
            rig.array.r1bioPoolCacheForTests().setFailslab(true);
            rig.slab.failslab().cacheFilter(true).ignoreGfpWait(false).attr().configure(100, 1, -1, 0, 1);
            Page[] pages = rig.pages(1);
            assertThat(rig.write(0, new byte[Raid1Rig.PAGE], pages)).isFalse();
            assertThat(rig.array.allocFailures()).isEqualTo(1);
            assertThat(rig.array.failedRequests()).isEqualTo(1);
            rig.array.r1bioPoolCacheForTests().setFailslab(false);
            assertThat(rig.write(0, new byte[Raid1Rig.PAGE], pages)).isTrue();
            rig.free(pages);
            rig.assertQuiescent();
        }
    }

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void withoutDaemonsRaid1dRunsInTheCaller(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, 1024, b -> b.daemons(false))) {
            assertThatThrownBy(() -> rig.array.hotAdd(rig.newDisk("rd2", 1024)))
                    .hasMessageContaining("without daemons");
            Page[] pages = rig.pages(1);
            byte[] data = new byte[Raid1Rig.PAGE];
            data[7] = 7;
            assertThat(rig.write(16, data, pages)).isTrue();
            rig.array.waitIdle(); // the write's end-io ran before its r1bio went back
            rig.disks().get(0).addBadRange(16, 8);
            Bio bio = rig.bios.bioAlloc(dev.kalloc.page.Gfp.GFP_NOIO, 1);
            bio.addPage(pages[0], Raid1Rig.PAGE, 0);
            int[] ended = new int[1];
            java.util.concurrent.CountDownLatch failedOnce = new java.util.concurrent.CountDownLatch(1);
            bio.setSector(16).setDev(rig.array.device()).setEndIo((b, n) -> {
                ended[0]++;
                return 0;
            });
            rig.disks().get(0).queue().setMakeRequestFn((q, b) -> {
                q.enqueue(b);
                failedOnce.countDown();
            });
            dev.kalloc.bio.BlockLayer.submitBio(Bio.READ, bio);
            failedOnce.await();
            rig.disks().get(0).close(); // drains: the failed read is on raid1d's list now
            assertThat(rig.array.inFlight()).isEqualTo(1);
            assertThatThrownBy(rig.array::close).hasMessageContaining("no raid1d");
            assertThat(rig.array.runRaid1d()).isEqualTo(1);
            rig.disks().get(1).close(); // drains the redirected read
            assertThat(ended[0]).isEqualTo(1);
            assertThat(bio.testFlag(Bio.BIO_UPTODATE)).isTrue();
            assertThat(rig.array.readRetries()).isEqualTo(1);
            bio.put();
            rig.free(pages);
        }
    }

    @Test
    void aClosedArrayRefusesRequests() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_2_5_1, 2, 1024)) {
            Page[] pages = rig.pages(1);
            assertThat(rig.write(0, new byte[Raid1Rig.PAGE], pages)).isTrue();
            rig.array.close();
            Bio bio = rig.bios.bioAlloc(dev.kalloc.page.Gfp.GFP_NOIO, 1);
            bio.addPage(pages[0], Raid1Rig.PAGE, 0);
            bio.setSector(0).setDev(rig.array.device());
            assertThatThrownBy(() -> dev.kalloc.bio.BlockLayer.submitBio(Bio.WRITE, bio))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped");
            assertThat(bio.isEnded()).isFalse();
            assertThatThrownBy(() -> rig.array.hotAdd(rig.newDisk("rd2", 1024))).hasMessageContaining("closed");
            bio.put();
            rig.free(pages);
        }
    }

    /**
     * Review finding: a hot-add racing close() must change nothing once close() has begun
     * stopping raid1syncd. The interleaving is fixed by stopping raid1syncd directly, as close()
     * does first, before the hot-add.
     */
    @Test
    void aHotAddAfterCloseBeganStoppingChangesNothing() {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_2_5_1, 2, 1024)) {
            RamDisk rd1 = rig.disks().get(1);
            assertThat(rig.array.setFaulty(rd1)).isTrue();
            rig.array.syncdForTests().stop();
            RamDisk spare = rig.newDisk("rd2", 1024);
            assertThatThrownBy(() -> rig.array.hotAdd(spare)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stopping");
            assertThat(rig.array.state(1)).isEqualTo(Raid1Array.MirrorState.FAULTY);
            assertThat(rig.array.members()).containsExactly(rig.disks().get(0), rd1);
            assertThat(rig.array.resyncRunning()).isFalse();
            assertThat(spare.writes()).isZero();
        }
    }

    /** close() is idempotent, and concurrent callers all return once the array is closed. */
    @Test
    void closeIsIdempotentAndConcurrentClosersAllReturn() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 2, 1024)) {
            int n = 4;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
            java.util.List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Thread[] closers = new Thread[n];
            for (int i = 0; i < n; i++) {
                closers[i] = new Thread(() -> {
                    try {
                        start.await();
                        rig.array.close();
                        // whoever returns, returns after the pools are freed
                        assertThatThrownBy(() -> rig.array.r1bioPool().alloc(dev.kalloc.page.Gfp.GFP_NOIO))
                                .hasMessageContaining("after mempool_destroy");
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                closers[i].start();
            }
            for (Thread t : closers) {
                t.join();
            }
            assertThat(failures).isEmpty();
            rig.array.close(); // and once more, sequentially
        }
    }

    @Test
    void mdstatShowsMembersAndStates() {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 3, 2048)) {
            assertThat(rig.array.setFaulty(rig.disks().get(1))).isTrue();
            assertThat(rig.array.mdstat()).isEqualTo(
                    "md0 : active raid1 rd2[2] rd1[1](F) rd0[0]\n      960 blocks [3/2] [U_U]\n");
            assertThat(rig.array.toString()).contains("3 mirrors", "mempool(modern)");
        }
    }
}
