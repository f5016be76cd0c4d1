// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.RamDisk;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.page.Page;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random errors on every member of an array, through {@link MirrorErrorGate}: the array loses
 * mirrors (2.5.1 fails a mirror on its first error) but never a sector, no request fails, and
 * md's error handler never meets its last working disk; without the gate the same errors do lose
 * requests. A recovery under errors on every member completes, and its spare, once in sync, may
 * fail in turn.
 */
class MirrorErrorGateTest {
    /** 8 MiB of array: a held resync's windows stay in its first half. */
    private static final long MEMBER_SECTORS = 16384 + 256;

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void errorsOnEveryMirrorFailAllButOneAndLoseNothing(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 3, MEMBER_SECTORS)) {
            MirrorErrorGate gate = new MirrorErrorGate(rig.array);
            for (int i = 0; i < 3; i++) {
                rig.disks().get(i).injectErrors(0.2, 100 + i, gate);
            }
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(7), 80);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            other.start();
            MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(8), 80);
            other.join();
            assertThat(failure.get()).isNull();
            MirroredWritesTest.assertReadsBack(rig, shadow);

            assertThat(rig.array.failedRequests()).isZero();
            assertThat(rig.array.unrecoverableReads()).isZero();
            assertThat(rig.array.workingDisks()).isEqualTo(1);
            assertThat(rig.array.diskFailures()).isEqualTo(2).isEqualTo(gate.claims());
            assertThat(gate.admitted()).isGreaterThanOrEqualTo(2);
            assertThat(gate.refusedLastCopy()).as("the last mirror drew errors and was spared").isPositive();
            long injected = 0;
            for (RamDisk d : rig.disks()) {
                injected += d.ioErrors();
            }
            assertThat(injected).isEqualTo(gate.admitted());
            rig.assertQuiescent();
        }
    }

    @Test
    void withoutTheGateTheSameErrorsFailRequests() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 3, MEMBER_SECTORS)) {
            for (int i = 0; i < 3; i++) {
                rig.disks().get(i).injectErrors(0.2, 100 + i);
            }
            Page[] pages = rig.pages(1);
            byte[] data = new byte[Raid1Rig.PAGE];
            int failed = 0;
            for (int op = 0; op < 160; op++) {
                if (!rig.write((long) op * Raid1Rig.SECTORS_PER_PAGE, data, pages)) {
                    failed++;
                }
            }
            rig.free(pages);
            // Once two mirrors are gone, a fifth of the writes meet an error on the last one.
            assertThat(failed).isPositive();
            assertThat(rig.array.failedRequests()).isEqualTo(failed);
            assertThat(rig.array.workingDisks()).isEqualTo(1);
            rig.assertQuiescent();
        }
    }

    @ParameterizedTest
    @EnumSource(value = GuaranteeKind.class, names = {"MEMPOOL_2_5_1", "MEMPOOL_MODERN", "RESERVATION"})
    void aRecoveryUnderErrorsOnEveryMemberCompletesAndItsSpareMayFailAfter(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 3, MEMBER_SECTORS, b -> b.syncSpeedLimit(1))) {
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(1), 40);
            rig.array.setFaulty(rig.disks().get(2));
            RamDisk spare = rig.newDisk("rd3", MEMBER_SECTORS);
            MirrorErrorGate gate = new MirrorErrorGate(rig.array);
            // Every bio draws an error: only the gate decides.
            rig.disks().get(0).injectErrors(1, 1, gate);
            rig.disks().get(1).injectErrors(1, 2, gate);
            spare.injectErrors(1, 3, gate);
            int slot = rig.array.hotAdd(spare);
            assertThat(rig.array.waitResyncBuffers()).isTrue();
            // The resync is held after its first chunk; writes beyond its windows reach the spare.
            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(2), 40);
            assertThat(gate.claims()).as("one of rd0, rd1").isEqualTo(1);
            assertThat(gate.refusedNotInSync()).as("the spare's writes while it was recovered").isPositive();
            rig.array.setSyncSpeedLimit(0);
            assertThat(rig.array.waitResync()).isTrue();
            assertThat(gate.refusedResync()).as("the resync's reads").isPositive();
            assertThat(rig.array.state(slot)).isEqualTo(Raid1Array.MirrorState.IN_SYNC);
            assertThat(rig.array.workingDisks()).isEqualTo(2);

            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(3), 20);
            assertThat(gate.claims()).as("in sync, the spare or the other may fail now").isEqualTo(2);
            assertThat(rig.array.workingDisks()).isEqualTo(1);
            MirroredWritesTest.assertReadsBack(rig, shadow);
            assertThat(rig.array.failedRequests()).isZero();
            assertThat(rig.array.unrecoverableReads()).isZero();
            for (MirrorInfo m : rig.array.conf().mirrors) {
                assertThat(m.writesNotHeld.get()).as("writes not held by slot %d, all ended", m.number).isZero();
            }
            rig.assertQuiescent();
        }
    }

    @Test
    void aSpareJustInSyncIsNoSurvivingCopyForWritesIssuedBeforeIt() throws Exception {
        // Seen in FaultsPresetTest: a write issued while the spare was write-only went to rd0, rd1
        // and the spare; the resync ended, errors on rd0 and then rd1 were admitted because the
        // spare was in sync, and the write failed: 2.5.1 does not count a write-only copy.
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 3, MEMBER_SECTORS)) {
            rig.array.setFaulty(rig.disks().get(2));
            RamDisk spare = rig.newDisk("rd3", MEMBER_SECTORS);
            int slot = rig.array.hotAdd(spare);
            assertThat(rig.array.waitResync()).isTrue();
            assertThat(rig.array.state(slot)).isEqualTo(Raid1Array.MirrorState.IN_SYNC);
            MirrorErrorGate gate = new MirrorErrorGate(rig.array);
            MirrorInfo spareSlot = rig.array.conf().mirrors[slot];
            // What writeRequest does for a write issued while the slot was a resyncing spare.
            spareSlot.writesNotHeld.incrementAndGet();
            assertThat(gate.claim(rig.disks().get(0))).as("rd1 holds every write in flight").isTrue();
            assertThat(gate.claim(rig.disks().get(1))).as("the spare lacks a write in flight: rd1 is its last copy").isFalse();
            spareSlot.writesNotHeld.decrementAndGet();
            assertThat(gate.claim(rig.disks().get(1))).as("that write ended: the spare holds everything").isTrue();
        }
    }

    @Test
    void aScheduledFailureIsRefusedOnTheLastGoodCopy() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_MODERN, 3, MEMBER_SECTORS)) {
            MirrorErrorGate gate = new MirrorErrorGate(rig.array);
            RamDisk rd0 = rig.disks().get(0);
            RamDisk rd1 = rig.disks().get(1);
            RamDisk rd2 = rig.disks().get(2);
            assertThat(gate.claim(rd2)).isTrue();
            assertThat(gate.claim(rd2)).as("claimed already").isTrue();
            assertThat(gate.claim(rd1)).isTrue();
            // rd2 and rd1 are still in sync, but claimed: rd0 is the last good copy.
            assertThat(gate.claim(rd0)).isFalse();
            assertThat(rig.array.setFaulty(rd2)).isTrue();
            assertThat(gate.claim(rd2)).as("failed: its claim is spent, and it is not in sync").isFalse();
            assertThat(gate.claim(rd0)).isFalse();
            assertThat(gate.claims()).isEqualTo(2);
        }
    }
}
