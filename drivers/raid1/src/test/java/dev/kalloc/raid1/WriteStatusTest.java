// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.raid1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.bio.Bio;
import dev.kalloc.bio.BioSet;
import dev.kalloc.bio.BlockLayer;
import dev.kalloc.bio.Guarantees;
import dev.kalloc.bio.RamDisk;
import dev.kalloc.kernel.Task;
import dev.kalloc.page.Gfp;
import dev.kalloc.page.Machine;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import dev.kalloc.slab.SlabAllocator;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A write succeeds only if an in-sync mirror holds it when it ends. The trigger of the review
 * finding, step by step: rd1's copy succeeds, rd1 is then failed (here by {@code setFaulty}, as
 * another request's error would), and rd0's copy fails; rd0 is the last working disk, so the
 * error handler keeps it in sync, and the data is only on faulty rd1. The members are stacked
 * devices whose make-request functions capture the clones, so the test completes them itself,
 * in interrupt context, in the order it chooses.
 */
class WriteStatusTest {
    private Machine machine;
    private Raid1Array array;
    private RamDisk rd0;
    private RamDisk rd1;
    private final Bio[] captured = new Bio[2];
    private Bio master;
    private final AtomicInteger masterEnds = new AtomicInteger();

    @BeforeEach
    void setUp() {
        machine = Machine.boot(TinyMachines.normalOnly(4096).build());
        SlabAllocator slab = SlabAllocator.boot(machine);
        rd0 = RamDisk.createStacked(machine, "rd0", 1024);
        rd1 = RamDisk.createStacked(machine, "rd1", 1024);
        rd0.queue().setMakeRequestFn((q, bio) -> captured[0] = bio);
        rd1.queue().setMakeRequestFn((q, bio) -> captured[1] = bio);
        array = Raid1Array.builder(slab, Guarantees.none()).members(rd0, rd1).daemons(false).create();
        BioSet masters = BioSet.builder(slab, Guarantees.none()).name("m").maxVecs(1).create();
        Page page = machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
        master = masters.bioAlloc(Gfp.GFP_NOIO, 1);
        master.addPage(page, 4096, 0);
        master.setSector(64).setDev(array.device()).setEndIo((b, n) -> {
            masterEnds.incrementAndGet();
            return 0;
        });
    }

    @AfterEach
    void tearDown() {
        machine.close();
    }

    private void complete(int slot, boolean ok) {
        Bio clone = captured[slot];
        captured[slot] = null;
        Task task = machine.current();
        try (Task.IrqScope irq = task.irqEnter()) {
            clone.set().bioEndio(clone, ok, clone.sectors());
        }
    }

    @Test
    void aWriteOnlyAFailedMirrorHoldsFailsWhenTheLastDiskFailsIt() {
        BlockLayer.submitBio(Bio.WRITE, master);
        assertThat(captured).doesNotContainNull();
        complete(1, true);                            // rd1 holds the data, R1BIO_Uptodate
        assertThat(array.setFaulty(rd1)).isTrue();    // rd1 fails (another request's error)
        complete(0, false);                           // rd0, the last disk, fails its copy
        assertThat(masterEnds.get()).isEqualTo(1);
        assertThat(master.testFlag(Bio.BIO_UPTODATE)).as("no in-sync mirror holds the write").isFalse();
        assertThat(array.failedRequests()).isEqualTo(1);
        assertThat(array.status()).isEqualTo(" [2/1] [U_]");
        assertThat(array.inFlight()).isZero();
        assertThat(array.r1bioPool().outstanding()).isZero();
    }

    @Test
    void theSubmittersOwnReferenceAppliesTheSameVerdict() {
        // Both copies complete inside the submission, so the submitter's bias ends the request.
        rd0.queue().setMakeRequestFn((q, bio) -> captured[0] = bio);
        rd1.queue().setMakeRequestFn((q, bio) -> {
            captured[1] = bio;
            complete(1, true);
            array.setFaulty(rd1);
            complete(0, false);
        });
        BlockLayer.submitBio(Bio.WRITE, master);
        assertThat(masterEnds.get()).isEqualTo(1);
        assertThat(master.testFlag(Bio.BIO_UPTODATE)).isFalse();
        assertThat(array.status()).isEqualTo(" [2/1] [U_]");
        assertThat(array.r1bioPool().outstanding()).isZero();
    }

    @Test
    void aCopyFailingOnAMirrorThatIsFailedStillLeavesTheWriteUptodate() {
        BlockLayer.submitBio(Bio.WRITE, master);
        complete(0, true);
        complete(1, false);                           // rd1 is failed; rd0 holds the write
        assertThat(master.testFlag(Bio.BIO_UPTODATE)).isTrue();
        assertThat(array.status()).isEqualTo(" [2/1] [U_]");
        assertThat(array.failedRequests()).isZero();
    }
}
