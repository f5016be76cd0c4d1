// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue's bounce seam: the set-up published as one snapshot, and a close that waits for a
 * submission inside its bounce function instead of dropping what it built.
 */
class RequestQueueBounceTest {
    private BioRig rig;
    private Page page;

    @BeforeEach
    void boot() {
        rig = new BioRig(TinyMachines.normalOnly(1024), GuaranteeKind.MEMPOOL_2_5_1, b -> b, 256, Duration.ZERO);
        page = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
    }

    @AfterEach
    void close() {
        rig.machine.pageAlloc().freePage(page);
        rig.close();
    }

    private Bio bio(long sector) {
        Bio b = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);
        b.setSector(sector).setDev(rig.disk);
        b.addPage(page, 4096, 0);
        return b;
    }

    /** A stand-in for the highmem driver: a copy of {@code orig} from the same set that completes it. */
    private Bio bounceBio(Bio orig) {
        Bio b = rig.set.bioAlloc(Gfp.GFP_NOIO, 1);
        b.addPage(page, 4096, 0);
        b.setSector(orig.sector()).setDev(orig.dev()).setRw(orig.dataDir()).setPrivate(orig);
        b.setEndIo((x, n) -> {
            Bio o = (Bio) x.privateData();
            try {
                return o.set().bioEndio(o, x.testFlag(Bio.BIO_UPTODATE), n);
            } finally {
                x.put();
            }
        });
        return b;
    }

    @Test
    void theBounceFunctionGetsTheLimitAndMaskOfItsOwnSnapshot() throws Exception {
        RequestQueue q = rig.disk.queue();
        long[] seenPfn = new long[1];
        int[] seenGfp = new int[1];
        BounceFn fn = (queue, b, pfn, gfp) -> {
            seenPfn[0] = pfn;
            seenGfp[0] = gfp;
            return b;
        };
        q.setBounce(16L << 20, Gfp.GFP_NOIO | Gfp.GFP_DMA, fn);
        RequestQueue.BounceSetup s = q.bounceSetup();
        assertThat(s).isEqualTo(new RequestQueue.BounceSetup(4096, Gfp.GFP_NOIO | Gfp.GFP_DMA, fn));
        assertThat(q.bouncePfn()).isEqualTo(4096);
        assertThat(q.bounceGfp()).isEqualTo(Gfp.GFP_NOIO | Gfp.GFP_DMA);
        assertThat(q.bounceFn()).isSameAs(fn);
        Bio b = bio(0);
        assertThat(BioRig.submitAndWait(Bio.WRITE, b)).isTrue();
        b.put();
        assertThat(seenPfn[0]).isEqualTo(4096);
        assertThat(seenGfp[0]).isEqualTo(Gfp.GFP_NOIO | Gfp.GFP_DMA);

        assertThatThrownBy(() -> q.setBounce(0, Gfp.GFP_NOIO, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> q.setBounce(1L << 30, Gfp.GFP_HIGHUSER, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(q.bounceSetup()).as("unchanged").isSameAs(s);
        q.setBounceFn(null);
        assertThat(q.bounceSetup()).isEqualTo(new RequestQueue.BounceSetup(4096, Gfp.GFP_NOIO | Gfp.GFP_DMA, null));
        q.setBounceLimit(896L << 20, Gfp.GFP_NOHIGHIO);
        assertThat(q.bounceSetup()).isEqualTo(new RequestQueue.BounceSetup((896L << 20) >>> 12, Gfp.GFP_NOHIGHIO,
                null));
    }

    @Test
    void closeDuringABouncedSubmitQueuesTheBounceBioAndCompletesTheOriginal() throws Exception {
        RequestQueue q = rig.disk.queue();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch closeStarted = new CountDownLatch(1);
        q.closeWaitHook = closeStarted::countDown; // runs once close() refuses new submits and waits
        q.setBounce(1L << 20, Gfp.GFP_NOHIGHIO, (queue, b, pfn, gfp) -> {
            Bio bounce = bounceBio(b); // built before the close: 2.5.1-era code dropped it here
            entered.countDown();
            await(closeStarted);
            return bounce;
        });
        Bio orig = bio(8);
        CountDownLatch completed = new CountDownLatch(1);
        AtomicBoolean uptodate = new AtomicBoolean();
        orig.setEndIo((x, n) -> {
            uptodate.set(x.testFlag(Bio.BIO_UPTODATE));
            completed.countDown();
            return 0;
        });
        AtomicReference<Throwable> submitError = new AtomicReference<>();
        Thread submitter = new Thread(() -> {
            try {
                BlockLayer.submitBio(Bio.WRITE, orig);
            } catch (Throwable t) {
                submitError.set(t);
            }
        }, "submitter");
        submitter.start();
        await(entered);
        rig.disk.close(); // returns only once the submit has queued its bounce bio and it completed
        submitter.join();
        assertThat(submitError.get()).as("a submit past the open check is queued").isNull();
        assertThat(completed.getCount()).as("the original completed during the close").isZero();
        assertThat(uptodate.get()).isTrue();
        assertThat(rig.disk.writes()).isEqualTo(1);
        assertThat(rig.set.inUse()).as("only the original, still ours; the bounce bio was put").isEqualTo(1);
        orig.put();
        assertThat(rig.set.inUse()).isZero();
        assertThatThrownBy(() -> BlockLayer.submitBio(Bio.WRITE, bio(0))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aBounceFunctionThatThrowsQueuesNothingAndDoesNotHoldUpClose() {
        RequestQueue q = rig.disk.queue();
        q.setBounce(1L << 20, Gfp.GFP_NOHIGHIO, (queue, b, pfn, gfp) -> {
            throw new IllegalArgumentException("refused");
        });
        Bio b = bio(0);
        assertThatThrownBy(() -> BlockLayer.submitBio(Bio.WRITE, b)).isInstanceOf(IllegalArgumentException.class);
        assertThat(q.pending()).isZero();
        b.put();
        rig.disk.close(); // would wait forever if the failed submit were still counted
        assertThat(rig.disk.writes()).isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
