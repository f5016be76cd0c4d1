package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.RamDisk;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A replacement is hot-added into a failed mirror's slot and resynced by raid1syncd while
 * writes go on; afterwards every mirror holds the same bytes and the array reads back the
 * shadow. A replacement that fails during its resync aborts it.
 */
class ResyncTest {
    static final long MEMBER_SECTORS = 8192 + 256; // 4 MiB of array: four windows of resync

    @ParameterizedTest
    @EnumSource(Raid1Rig.Kind.class)
    void resyncUnderLoadCompletesAndVerifies(Raid1Rig.Kind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, MEMBER_SECTORS)) {
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(11), 40);
            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(12), 40);
            RamDisk rd1 = rig.disks.get(1);
            rd1.failFrom(System.nanoTime());
            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(13), 20);
            assertThat(rig.array.status()).isEqualTo(" [2/1] [U_]");

            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(14);
                try {
                    while (!stop.get()) {
                        MirroredWritesTest.writeRandomly(rig, shadow, rnd.nextInt(2), rnd.split(), 5);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            // A slower replacement stretches the resync over more of the writer's requests.
            RamDisk rd2 = rig.newDisk("rd2", MEMBER_SECTORS, Duration.ofNanos(200_000));
            writer.start();
            assertThat(rig.array.hotAdd(rd2)).isEqualTo(1);
            assertThat(rig.array.state(1)).isIn(Raid1Array.MirrorState.SPARE, Raid1Array.MirrorState.IN_SYNC);
            boolean ok = rig.array.waitResync();
            stop.set(true);
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(ok).isTrue();
            assertThat(rig.array.status()).isEqualTo(" [2/2] [UU]");
            assertThat(rig.array.members()).containsExactly(rig.disks.get(0), rd2);
            assertThat(rig.array.resyncedSectors()).isEqualTo(rig.array.sectors());
            assertThat(rig.array.resyncsCompleted()).isEqualTo(1);
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            MirroredWritesTest.assertReadsBack(rig, shadow);
            assertThat(rig.array.failedRequests()).isZero();
            assertThat(rig.array.mdstat())
                    .isEqualTo("md0 : active raid1 rd2[1] rd0[0]\n      4160 blocks [2/2] [UU]\n");
            rig.assertQuiescent();
        }
    }

    @ParameterizedTest
    @EnumSource(Raid1Rig.Kind.class)
    void aReplacementThatFailsAbortsItsResync(Raid1Rig.Kind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 2, MEMBER_SECTORS)) {
            byte[] shadow = new byte[(int) rig.array.sectors() * 512];
            MirroredWritesTest.writeRandomly(rig, shadow, 0, new SplittableRandom(21), 20);
            assertThat(rig.array.setFaulty(rig.disks.get(1))).isTrue();
            RamDisk bad = rig.newDisk("rd2", MEMBER_SECTORS);
            bad.addBadRange(4096, 8);
            rig.array.hotAdd(bad);
            assertThat(rig.array.waitResync()).isFalse();
            assertThat(rig.array.resyncsAborted()).isEqualTo(1);
            assertThat(rig.array.state(1)).isEqualTo(Raid1Array.MirrorState.FAULTY);
            assertThat(rig.array.status()).isEqualTo(" [2/1] [U_]");
            MirroredWritesTest.writeRandomly(rig, shadow, 1, new SplittableRandom(22), 10);
            MirroredWritesTest.assertReadsBack(rig, shadow);
            RamDisk good = rig.newDisk("rd3", MEMBER_SECTORS);
            rig.array.hotAdd(good);
            assertThat(rig.array.waitResync()).isTrue();
            assertThat(rig.array.status()).isEqualTo(" [2/2] [UU]");
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            rig.assertQuiescent();
        }
    }
}
