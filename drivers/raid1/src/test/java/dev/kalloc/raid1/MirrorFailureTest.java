// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Page;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A mirror that fails loses nothing: degraded operation, read retry, the last-disk rule. */
class MirrorFailureTest {
    static final long MEMBER_SECTORS = 2048 + 256;

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void aMirrorFailingMidRunLosesNothing(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 3, MEMBER_SECTORS)) {
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            RamDisk victim = rig.disks().get(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(3), 60);
                    victim.failFrom(System.nanoTime());
                    MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(4), 60);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            writer.start();
            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(5), 120);
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(rig.array.state(1)).isEqualTo(Raid1Array.MirrorState.FAULTY);
            assertThat(rig.array.status()).isEqualTo(" [3/2] [U_U]");
            assertThat(rig.array.workingDisks()).isEqualTo(2);
            assertThat(rig.array.diskFailures()).isEqualTo(1);
            assertThat(rig.array.writeErrors()).isGreaterThanOrEqualTo(1);
            assertThat(rig.array.failedRequests()).isZero();
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            MirroredWritesTest.assertReadsBack(rig, shadow);
            assertThat(victim.reads()).as("a faulty mirror is not read").isZero();
            rig.assertQuiescent();
        }
    }

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void aFailedReadIsRedirectedToAnotherMirror(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, MEMBER_SECTORS)) {
            byte[] data = new byte[2 * Raid1Rig.PAGE];
            new SplittableRandom(9).nextBytes(data);
            Page[] pages = rig.pages(2);
            assertThat(rig.write(64, data, pages)).isTrue();
            rig.disks().get(0).addBadRange(64, 16);
            // The first read starts at last_used (slot 0) and every head is at 0, so it goes to rd0.
            assertThat(rig.read(64, 2, pages)).isEqualTo(data);
            assertThat(rig.array.readErrors()).isEqualTo(1);
            assertThat(rig.array.readRetries()).isEqualTo(1);
            assertThat(rig.array.state(0)).isEqualTo(Raid1Array.MirrorState.FAULTY);
            assertThat(rig.array.status()).isEqualTo(" [2/1] [_U]");
            assertThat(rig.disks().get(1).reads()).isEqualTo(1);
            rig.free(pages);
            rig.assertQuiescent();
        }
    }

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void theLastWorkingDiskIsNeverFailedAndItsErrorsGoUp(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, MEMBER_SECTORS)) {
            RamDisk rd0 = rig.disks().get(0);
            RamDisk rd1 = rig.disks().get(1);
            assertThat(rig.array.setFaulty(rd1)).isTrue();
            assertThat(rig.array.setFaulty(rd1)).as("already faulty").isFalse();
            assertThat(rig.array.setFaulty(rd0)).as("the last working disk").isFalse();
            assertThat(rig.array.status()).isEqualTo(" [2/1] [U_]");
            Page[] pages = rig.pages(1);
            byte[] data = new byte[Raid1Rig.PAGE];
            new SplittableRandom(1).nextBytes(data);
            assertThat(rig.write(0, data, pages)).isTrue();
            assertThat(rd1.writes()).as("a faulty mirror is not written").isZero();
            rd0.addBadRange(8, 8);
            assertThat(rig.read(8, 1, pages)).as("unrecoverable read").isNull();
            assertThat(rig.array.unrecoverableReads()).isEqualTo(1);
            assertThat(rig.write(8, data, pages)).as("a write the only mirror failed").isFalse();
            assertThat(rig.array.failedRequests()).isEqualTo(2);
            assertThat(rig.array.status()).isEqualTo(" [2/1] [U_]");
            assertThat(rig.read(0, 1, pages)).isEqualTo(data);
            rig.free(pages);
            rig.assertQuiescent();
        }
    }

    @Test
    void aWriteSucceedsWhenOneMirrorFailsItAndFailsWhenAllDo() throws Exception {
        try (Raid1Rig rig = new Raid1Rig(GuaranteeKind.MEMPOOL_2_5_1, 2, MEMBER_SECTORS)) {
            Page[] pages = rig.pages(1);
            byte[] data = new byte[Raid1Rig.PAGE];
            new SplittableRandom(2).nextBytes(data);
            rig.disks().get(1).addBadRange(0, 8);
            assertThat(rig.write(0, data, pages)).isTrue();
            assertThat(rig.array.state(1)).isEqualTo(Raid1Array.MirrorState.FAULTY);
            byte[] raw = new byte[Raid1Rig.PAGE];
            rig.disks().get(0).readRaw(0, raw, 0, raw.length);
            assertThat(raw).isEqualTo(data);
            rig.free(pages);
            rig.assertQuiescent();
        }
    }
}
