// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.schedules.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.GuaranteeKind;
import dev.kalloc.raid1.Raid1Array.MirrorState;
import dev.kalloc.stress.schedules.raid1.Mirrors.Master;
import java.util.Arrays;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

/**
 * raid1 of 2.5.1's {@code drivers/md/raid1.c} with a mirror failing while requests are in flight:
 * {@code make_request} sleeping in {@code r1bio_pool} at its last element, {@code end_request}
 * and the md error handler, {@code raid_end_bio_io} giving the r1bio back, and raid1d's read
 * retry ({@code map} and the redirect).
 *
 * <p>Invariant, for every schedule: every master bio ends exactly once; a write ends uptodate
 * iff the mirror left in sync holds its data, and a read ends uptodate with the data written; a
 * submitter sleeping for an r1bio is woken by the completion that frees one (Fray reports a
 * sleeper left alone as a deadlock); the md error handler never fails the last in-sync mirror;
 * and afterwards every clone is completed, every r1bio is back in its pool, raid1d recorded no
 * error, and the array closes (its pools' destroy refuses elements still out).
 *
 * <p>Each schedule builds its own 1 MiB machine and a daemon-less array over stacked members
 * whose clones the test completes itself ({@link Mirrors}). Schedules explored: 60, 60 and 50
 * for the three pool tests (a schedule there submits 34 writes), 150 for the write race, 120
 * for the read retry (the {@code iterations} below).
 */
@ExtendWith(FrayTestExtension.class)
class R1BioFailingMirrorTest {
    /** r1bios guaranteed to requests; the pool holds 32 more for resync buffers. */
    private static final int NR_R1BIOS = 1;
    private static final int POOL = NR_R1BIOS + 32;
    private static final long SECTOR = 64;

    @ConcurrencyTest(iterations = 60)
    void lastR1bioWokenByCompletionOfFailingMirror251() throws InterruptedException {
        lastR1bioWokenByCompletionOfFailingMirror(GuaranteeKind.MEMPOOL_2_5_1);
    }

    /**
     * Blocking timed waits under mocked time, as in the bio test: the modern 5 s sleep would
     * otherwise return at once and retry, hiding a lost wake-up; a sleep ended by its timeout is
     * then one nobody woke, and {@code wait_timeouts} must stay 0.
     */
    @ConcurrencyTest(iterations = 60, ignoreTimedBlock = false, systemTimeDelegateType = SystemTimeDelegateType.MOCK)
    void lastR1bioWokenByCompletionOfFailingMirrorModern() throws InterruptedException {
        lastR1bioWokenByCompletionOfFailingMirror(GuaranteeKind.MEMPOOL_MODERN);
    }

    @ConcurrencyTest(iterations = 50)
    void lastR1bioWokenByCompletionOfFailingMirrorReservation() throws InterruptedException {
        lastR1bioWokenByCompletionOfFailingMirror(GuaranteeKind.RESERVATION);
    }

    /**
     * Every r1bio the pool holds is out with a write in flight on two mirrors (on a mempool the
     * r1bio cache fails, so the pool's reserve is the only source; on a reservation the source's
     * in-flight limit is reached). One thread submits one more write, whose {@code make_request}
     * sleeps for an r1bio; another plays the disks for the oldest write: mirror 0 writes it,
     * mirror 1 fails it, and the error handler fails mirror 1. That write's end gives its r1bio
     * back and must wake the submitter, whose write then goes to the mirrors still operational.
     * Then every other clone completes (mirror 1's all failing: the disk is dead), and every
     * write must be uptodate, on mirror 0's platter, and the raced ones readable back.
     */
    private void lastR1bioWokenByCompletionOfFailingMirror(GuaranteeKind g) throws InterruptedException {
        Mirrors w = new Mirrors(2, g, NR_R1BIOS);
        w.r1bioCacheFails();
        Master[] writes = new Master[POOL + 1];
        for (int i = 0; i < POOL; i++) {
            writes[i] = w.write(8L * i, 1);
            writes[i].submit(Bio.WRITE);
        }
        assertThat(w.array.r1bioPool().outstanding()).as("setup: r1bios out").isEqualTo(POOL);
        Master last = w.write(8L * POOL, 1);
        writes[POOL] = last;
        Thread submitter = new Thread(() -> last.submit(Bio.WRITE));
        Thread disks = new Thread(() -> {
            Bio toGood = w.take(0);
            Bio toFailing = w.take(1);
            w.complete(0, toGood, true);
            w.complete(1, toFailing, false);
        });
        submitter.start();
        disks.start();
        disks.join();
        submitter.join();
        assertThat(writes[0].ends.get()).as("end-io calls of the write whose completion failed mirror 1").isEqualTo(1);
        assertThat(w.array.state(1)).isEqualTo(MirrorState.FAULTY);
        assertThat(w.array.r1bioPool().counters().getOrDefault("wait_timeouts", 0L))
                .as("r1bio sleeps ended by the timeout, not by the completion's free: a lost wake-up").isZero();
        w.completeAll(0, true);
        w.completeAll(1, false);
        for (Master m : writes) {
            assertThat(m.ends.get()).as("end-io calls of the write to sector %d", m.sector).isEqualTo(1);
            assertThat(m.uptodate()).as("write to sector %d, mirror 0 wrote it", m.sector).isTrue();
            assertThat(w.platterSector(0, m.sector)).as("mirror 0's sector %d", m.sector).isEqualTo(m.pattern());
        }
        assertThat(w.array.workingDisks()).isEqualTo(1);
        assertThat(w.array.diskFailures()).isEqualTo(1);
        assertReadsBack(w, 0, writes[0]);
        assertReadsBack(w, 0, last);
        w.assertIdleAndClose();
    }

    /**
     * A write is in flight on two mirrors. Mirror 0's completion (success) and mirror 1's
     * (failure, the error handler failing mirror 1) run on two threads while the administrator
     * fails mirror 0 ({@code mdadm --fail}). Whichever failure comes second finds the last
     * in-sync mirror and is refused; if that is mirror 1's own I/O error, the write must fail
     * ({@code R1BIO_WriteError}: the only in-sync mirror lacks the data), otherwise it succeeds.
     * Either way it ends once, and a read through the array returns what the write's status
     * promised.
     */
    @ConcurrencyTest(iterations = 150)
    void writeCompletionsRaceMirrorFailure() throws InterruptedException {
        Mirrors w = new Mirrors(2, GuaranteeKind.MEMPOOL_2_5_1, NR_R1BIOS);
        Master write = w.write(SECTOR, 1);
        write.submit(Bio.WRITE);
        Bio toMirror0 = w.take(0);
        Bio toMirror1 = w.take(1);
        Thread mirror0 = new Thread(() -> w.complete(0, toMirror0, true));
        Thread mirror1 = new Thread(() -> w.complete(1, toMirror1, false));
        mirror0.start();
        mirror1.start();
        w.array.setFaulty(w.members[0]);
        mirror0.join();
        mirror1.join();
        assertThat(write.ends.get()).as("end-io calls of the write").isEqualTo(1);
        assertThat(w.array.workingDisks()).as("mirrors in sync").isEqualTo(1);
        int survivor = w.array.state(0) == MirrorState.IN_SYNC ? 0 : 1;
        assertThat(w.array.state(1 - survivor)).isEqualTo(MirrorState.FAULTY);
        boolean onSurvivor = Arrays.equals(w.platterSector(survivor, SECTOR), write.pattern());
        assertThat(write.uptodate()).as("write uptodate iff mirror %d, left in sync, holds it", survivor)
                .isEqualTo(onSurvivor);
        if (write.uptodate()) {
            assertReadsBack(w, survivor, write);
        }
        w.assertIdleAndClose();
    }

    /**
     * A read is in flight on one of three mirrors, whose data all three hold. Its completion
     * fails on one thread (the error handler fails that mirror and queues the request for
     * raid1d); raid1d's pass runs on another; the administrator fails the mirror the retry would
     * go to next. The retry must reach an in-sync mirror in the end (a retry sent to the mirror
     * failed meanwhile fails too and is retried again), and the read must end once, uptodate,
     * with the data.
     */
    @ConcurrencyTest(iterations = 120)
    void readRetryRacesMirrorFailure() throws InterruptedException {
        Mirrors w = new Mirrors(3, GuaranteeKind.MEMPOOL_2_5_1, NR_R1BIOS);
        byte[] data = Mirrors.pattern(SECTOR, 1);
        for (int i = 0; i < 3; i++) {
            System.arraycopy(data, 0, w.platters[i], (int) SECTOR * Bio.SECTOR_SIZE, data.length);
        }
        Master read = w.read(SECTOR, 1);
        read.submit(Bio.READ);
        int first = w.queued(0) == 1 ? 0 : w.queued(1) == 1 ? 1 : 2;
        Bio clone = w.take(first);
        assertThat(clone).as("setup: the read's clone").isNotNull();
        int next = first == 0 ? 1 : 0;
        Thread disk = new Thread(() -> w.complete(first, clone, false));
        Thread raid1d = new Thread(w.array::runRaid1d);
        disk.start();
        raid1d.start();
        w.array.setFaulty(w.members[next]);
        disk.join();
        raid1d.join();
        for (int round = 0; round < 3 && read.ends.get() == 0; round++) {
            w.array.runRaid1d();
            for (int slot = 0; slot < 3; slot++) {
                boolean inSync = w.array.state(slot) == MirrorState.IN_SYNC;
                w.completeAll(slot, inSync);
            }
        }
        assertThat(read.ends.get()).as("end-io calls of the read").isEqualTo(1);
        assertThat(read.uptodate()).as("the read, with a mirror in sync holding the data").isTrue();
        assertThat(read.contents()).as("the data read").isEqualTo(data);
        assertThat(w.array.workingDisks()).as("mirrors in sync").isEqualTo(1);
        assertThat(w.array.unrecoverableReads()).isZero();
        w.assertIdleAndClose();
    }

    /** Reads {@code written}'s sector back through the array, served by member {@code slot}. */
    private static void assertReadsBack(Mirrors w, int slot, Master written) {
        Master r = w.read(written.sector, written.generation);
        r.submit(Bio.READ);
        Bio clone = w.take(slot);
        assertThat(clone).as("the read of sector %d sent to mirror %d", written.sector, slot).isNotNull();
        w.complete(slot, clone, true);
        assertThat(r.ends.get()).as("end-io calls of the read of sector %d", written.sector).isEqualTo(1);
        assertThat(r.uptodate()).isTrue();
        assertThat(r.contents()).as("sector %d read back", written.sector).isEqualTo(written.pattern());
    }
}
