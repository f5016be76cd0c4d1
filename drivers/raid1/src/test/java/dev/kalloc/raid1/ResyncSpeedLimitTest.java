// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.GuaranteeKind;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * md's {@code speed_limit_max}: a resync held at a low limit takes its buffers and copies its
 * first chunk, then waits; lifting the limit lets it finish at once; a limit in between keeps it
 * no faster than the limit; stopping the array does not wait for a held resync.
 */
class ResyncSpeedLimitTest {
    private static final long MEMBER_SECTORS = ResyncTest.MEMBER_SECTORS;

    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_MODERN", "RESERVATION", "NONE"})
    void aHeldResyncHasItsBuffersAndFinishesWhenTheLimitIsLifted(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, MEMBER_SECTORS, b -> b.syncSpeedLimit(1))) {
            rig.array.setFaulty(rig.disks().get(1));
            RamDisk spare = rig.newDisk("rd2", MEMBER_SECTORS);
            rig.array.hotAdd(spare);
            // NONE sets nothing aside: its "pool" is the page allocator, which has the pages now.
            assertThat(rig.array.waitResyncBuffers()).isTrue();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (rig.array.resyncedSectors() < R1BioPools.RESYNC_SECTORS) {
                    Thread.sleep(1);
                }
            });
            Thread.sleep(300); // at 1 KiB/s the second 64 KiB chunk is due a minute after the first
            assertThat(rig.array.resyncedSectors()).isEqualTo(R1BioPools.RESYNC_SECTORS);
            assertThat(rig.array.resyncRunning()).isTrue();
            rig.array.setSyncSpeedLimit(0);
            assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), rig.array::waitResync)).isTrue();
            assertThat(rig.array.resyncedSectors()).isEqualTo(rig.array.sectors());
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            rig.assertQuiescent();
        }
    }

    @Test
    void aResyncRunsNoFasterThanItsLimit() throws Exception {
        long limitKiB = 8192;
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 2, MEMBER_SECTORS,
                b -> b.syncSpeedLimit(limitKiB))) {
            rig.array.setFaulty(rig.disks().get(1));
            long start = System.nanoTime();
            rig.array.hotAdd(rig.newDisk("rd2", MEMBER_SECTORS));
            assertThat(rig.array.waitResync()).isTrue();
            double seconds = (System.nanoTime() - start) / 1e9;
            // The last chunk may start once all before it (sectors - 128, in KiB half that) are
            // due at the limit; it cannot have started earlier.
            double due = (rig.array.sectors() - R1BioPools.RESYNC_SECTORS) / 2.0 / limitKiB;
            assertThat(seconds).isGreaterThanOrEqualTo(due);
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
        }
    }

    @Test
    void closingTheArrayDoesNotWaitForAHeldResync() throws Exception {
        Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 2, MEMBER_SECTORS, b -> b.syncSpeedLimit(1));
        try {
            rig.array.setFaulty(rig.disks().get(1));
            rig.array.hotAdd(rig.newDisk("rd2", MEMBER_SECTORS));
            assertThat(rig.array.waitResyncBuffers()).isTrue();
            assertTimeoutPreemptively(Duration.ofSeconds(5), rig.array::close);
            assertThat(rig.array.resyncsAborted()).isEqualTo(1);
            assertThat(rig.array.resyncsCompleted()).isZero();
        } finally {
            rig.close();
        }
    }

    @Test
    void aNegativeLimitIsRefused() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.NONE, 2, MEMBER_SECTORS)) {
            assertThatThrownBy(() -> rig.array.setSyncSpeedLimit(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be 0 (none) or more");
            assertThatThrownBy(() -> Raid1Array.builder(rig.slab, rig.guarantee).syncSpeedLimit(-5))
                    .hasMessageContaining("syncSpeedLimit -5 KiB/s");
        }
    }
}
