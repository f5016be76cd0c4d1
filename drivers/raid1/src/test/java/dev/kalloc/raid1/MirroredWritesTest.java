// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import dev.kalloc.bio.GuaranteeKind;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.RamDisk;
import dev.kalloc.page.Page;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded random writes from two threads to disjoint halves of a three-way mirror, with a shadow
 * of what each sector must hold: afterwards every member holds the same bytes, byte for byte,
 * and reading the array back gives the shadow. Random reads are spread over the mirrors by read
 * balancing. On each guarantee.
 */
class MirroredWritesTest {
    static final long MEMBER_SECTORS = 4096 + 256; // 2 MiB of array

    @ParameterizedTest
    @EnumSource(GuaranteeKind.class)
    void randomWritesLeaveIdenticalMirrors(GuaranteeKind kind) throws Exception {
        try (Raid1Rig rig = new Raid1Rig(kind, 3, MEMBER_SECTORS)) {
            long size = rig.array.sectors();
            assertThat(size).isEqualTo(4096 + 128);
            byte[] shadow = new byte[(int) size * 512];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] writers = new Thread[2];
            for (int t = 0; t < writers.length; t++) {
                int half = t;
                writers[t] = new Thread(() -> {
                    try {
                        writeRandomly(rig, shadow, half, new SplittableRandom(77 + half), 120);
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                writers[t].start();
            }
            for (Thread w : writers) {
                w.join();
            }
            assertThat(failure.get()).isNull();
            assertThat(rig.array.firstMismatch()).isEqualTo(-1);
            assertReadsBack(rig, shadow);
            SplittableRandom rnd = new SplittableRandom(5);
            Page[] pages = rig.pages(1);
            for (int i = 0; i < 200; i++) {
                long sector = rnd.nextInt((int) (size / 8)) * 8L;
                assertThat(rig.read(sector, 1, pages)).isEqualTo(slice(shadow, sector, 1));
            }
            rig.free(pages);
            int used = 0;
            for (RamDisk d : rig.disks()) {
                used += d.reads() > 0 ? 1 : 0;
            }
            assertThat(used).as("mirrors read balancing sent reads to").isGreaterThanOrEqualTo(2);
            assertThat(rig.array.writes()).isEqualTo(240);
            assertThat(rig.array.failedRequests()).isZero();
            assertThat(rig.array.allocFailures()).isZero();
            assertThat(rig.array.status()).isEqualTo(" [3/3] [UUU]");
            rig.assertQuiescent();
        }
    }

    /** Writes {@code ops} random runs of 1 to 8 pages into half {@code half} of the array. */
    static void writeRandomly(Raid1Rig rig, byte[] shadow, int half, SplittableRandom rnd, int ops)
            throws InterruptedException {
        long halfPages = rig.array.sectors() / Raid1Rig.SECTORS_PER_PAGE / 2;
        Page[] pages = rig.pages(8);
        try {
            for (int op = 0; op < ops; op++) {
                int n = 1 + rnd.nextInt(8);
                long page = half * halfPages + rnd.nextInt((int) (halfPages - n + 1));
                long sector = page * Raid1Rig.SECTORS_PER_PAGE;
                byte[] data = new byte[n * Raid1Rig.PAGE];
                rnd.nextBytes(data);
                if (!rig.write(sector, data, pages)) {
                    throw new AssertionError("write at " + sector + " failed on " + rig.array);
                }
                System.arraycopy(data, 0, shadow, (int) sector * 512, data.length);
            }
        } finally {
            rig.free(pages);
        }
    }

    /** Reads the whole array back through bios, 8 pages at a time, and compares with the shadow. */
    static void assertReadsBack(Raid1Rig rig, byte[] shadow) throws InterruptedException {
        Page[] pages = rig.pages(8);
        try {
            int step = 8 * Raid1Rig.SECTORS_PER_PAGE;
            for (long sector = 0; sector < rig.array.sectors(); sector += step) {
                int n = (int) Math.min(8, (rig.array.sectors() - sector) / Raid1Rig.SECTORS_PER_PAGE);
                byte[] got = rig.read(sector, n, pages);
                assertThat(got).as("read at %d", sector).isNotNull();
                assertThat(got).as("data at %d", sector).isEqualTo(slice(shadow, sector, n));
            }
        } finally {
            rig.free(pages);
        }
    }

    static byte[] slice(byte[] shadow, long sector, int pages) {
        byte[] b = new byte[pages * Raid1Rig.PAGE];
        System.arraycopy(shadow, (int) sector * 512, b, 0, b.length);
        return b;
    }
}
