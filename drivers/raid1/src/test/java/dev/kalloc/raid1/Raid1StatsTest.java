// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.Page;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Raid1Array#stats()} and {@link MirrorErrorGate#stats()}: each field is the counter of its
 * name, and a snapshot keeps the values it was taken with while the array goes on.
 */
class Raid1StatsTest {
    private static final long MEMBER_SECTORS = 2048 + 256;

    @Test
    void arrayStatsAreItsCountersAndStayAsTaken() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 2, MEMBER_SECTORS)) {
            byte[] data = new byte[2 * Raid1Rig.PAGE];
            new SplittableRandom(3).nextBytes(data);
            Page[] pages = rig.pages(2);
            assertThat(rig.write(64, data, pages)).isTrue();
            rig.disks().get(0).addBadRange(64, 16);
            assertThat(rig.read(64, 2, pages)).isEqualTo(data); // fails on rd0, retried on rd1

            Raid1Stats s = rig.array.stats();
            Raid1Array a = rig.array;
            assertThat(s).isEqualTo(new Raid1Stats(a.reads(), a.writes(), a.readErrors(), a.writeErrors(),
                    a.readRetries(), a.unrecoverableReads(), a.failedRequests(), a.diskFailures(), a.allocFailures(),
                    a.resyncedSectors(), a.resyncsCompleted(), a.resyncsAborted(), a.throttledRequests()));
            assertThat(s.writes()).isEqualTo(1);
            assertThat(s.readErrors()).isEqualTo(1);
            assertThat(s.readRetries()).isEqualTo(1);
            assertThat(s.diskFailures()).isEqualTo(1);
            assertThat(s.failedRequests()).isZero();

            assertThat(rig.write(64, data, pages)).isTrue();
            assertThat(rig.array.stats().writes()).isEqualTo(2);
            assertThat(s.writes()).as("a snapshot does not follow the array").isEqualTo(1);
            rig.free(pages);
            rig.assertQuiescent();
        }
    }

    @Test
    void gateStatsAreItsDecisions() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 3, MEMBER_SECTORS)) {
            MirrorErrorGate gate = new MirrorErrorGate(rig.array);
            ErrorGateStats before = gate.stats();
            assertThat(gate.claim(rig.disks().get(1))).isTrue();

            assertThat(before).isEqualTo(new ErrorGateStats(0, 0, 0, 0, 0));
            assertThat(gate.stats()).isEqualTo(new ErrorGateStats(1, 0, 0, 0, 0))
                    .isEqualTo(new ErrorGateStats(gate.claims(), gate.admitted(), gate.refusedLastCopy(),
                            gate.refusedNotInSync(), gate.refusedResync()));
            rig.assertQuiescent();
        }
    }
}
