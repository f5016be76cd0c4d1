// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.mempool;

import static dev.kalloc.page.Gfp.GFP_ATOMIC;
import static dev.kalloc.page.Gfp.GFP_NOIO;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.mempool.testing.FakeAllocator.Elem;
import dev.kalloc.mempool.testing.FakeAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The /proc-style view against a golden file, and the counters it prints. */
class MempoolInfoTest {
    private static String golden(String name) throws IOException {
        try (InputStream in = MempoolInfoTest.class.getResourceAsStream(name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** 2.5.1: every level but the sleep, a failure, frees both ways. */
    private static Mempool<Elem> bioPool() {
        FakeAllocator fake = new FakeAllocator();
        Mempool<Elem> pool = Mempool.create("bio", 4, fake, fake);
        List<Elem> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(pool.alloc(GFP_NOIO)); // nowait
        }
        fake.failWhen(FakeAllocator.NOWAIT);
        out.add(pool.alloc(GFP_NOIO)); // half_full (curr 4)
        out.add(pool.alloc(GFP_NOIO)); // half_full (curr 3)
        out.add(pool.alloc(GFP_NOIO)); // full_gfp (curr 2)
        fake.failWhen(FakeAllocator.ALWAYS);
        out.add(pool.alloc(GFP_NOIO)); // nonempty (curr 2)
        out.add(pool.alloc(GFP_ATOMIC)); // nonempty (curr 1)
        pool.alloc(GFP_ATOMIC); // failure (curr 0)
        for (int i = 0; i < 6; i++) {
            pool.free(out.get(i)); // four refill the pool, two go to the allocator
        }
        return pool;
    }

    /** Modern: one timed sleep with a fake clock, then the full-gfp retry works. */
    private static Mempool<Elem> r1bioPool() {
        FakeAllocator fake = new FakeAllocator();
        AtomicLong now = new AtomicLong(1_000_000);
        Mempool<Elem> pool = Mempool.builder("r1bio_pool", 2, fake, fake).policy(MempoolPolicy.MODERN)
                .waitTimeout(Duration.ofMillis(1)).clock(() -> now.addAndGet(2_500)).create();
        AtomicInteger calls = new AtomicInteger();
        fake.failWhen(gfp -> calls.incrementAndGet() <= 4);
        pool.alloc(GFP_NOIO); // nonempty
        pool.alloc(GFP_NOIO); // nonempty
        pool.alloc(GFP_NOIO); // nowait and full fail, the pool is empty: sleep 1 ms, then full_gfp works
        return pool;
    }

    private static Mempool<Elem> longNamePool() {
        FakeAllocator fake = new FakeAllocator();
        return Mempool.create("raid1_resync_buffer_pool", 32, fake, fake);
    }

    @Test
    void theViewMatchesTheGoldenFile() throws IOException {
        String view = MempoolInfo.render(List.of(bioPool(), r1bioPool(), longNamePool()));
        assertThat(view).isEqualTo(golden("mempoolinfo.golden"));
    }

    @Test
    void anEmptyListPrintsTheHeaderOnly() throws IOException {
        String[] golden = golden("mempoolinfo.golden").split("\n");
        assertThat(MempoolInfo.render(List.of())).isEqualTo(golden[0] + "\n" + golden[1] + "\n");
    }

    @Test
    void theCountersBehindTheView() {
        MempoolStats bio = bioPool().stats();
        assertThat(bio.allocations()).isEqualTo(8);
        assertThat(bio.nrOut()).isEqualTo(2);
        assertThat(bio.currNr()).isEqualTo(4);
        assertThat(bio.freedToPool()).isEqualTo(4);
        assertThat(bio.freedToAllocator()).isEqualTo(2);
        assertThat(bio.failures()).isEqualTo(1);
        assertThat(bio.served(MempoolLevel.POOL_HALF_FULL)).isEqualTo(2);

        MempoolStats r1 = r1bioPool().stats();
        assertThat(r1.afterWait()).isEqualTo(1);
        assertThat(r1.waits()).isEqualTo(1);
        assertThat(r1.waitNanos()).isEqualTo(2_500);
    }

    @Test
    void columnsLineUpUnderTheirHeaders() throws IOException {
        String[] lines = golden("mempoolinfo.golden").split("\n");
        String header = lines[1];
        String row = lines[2];
        assertThat(row).hasSameSizeAs(header);
        for (int i = 0; i < header.length(); i++) {
            boolean headerEndsToken = header.charAt(i) == '>' && (i + 1 == header.length() || header.charAt(i + 1) == ' ');
            if (headerEndsToken && header.lastIndexOf('<', i) > 20 && !header.startsWith("<policy>", header.lastIndexOf('<', i))) {
                assertThat(row.charAt(i)).as("a digit ends under column header ending at " + i).isBetween('0', '9');
            }
        }
    }
}
