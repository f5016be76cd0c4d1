// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.bio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kalloc.page.Gfp;
import dev.kalloc.page.Page;
import dev.kalloc.page.tests.TinyMachines;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The /proc-style views against golden files, after a fixed sequence of synchronous I/O. */
class BioInfoTest {
    @Test
    void viewsMatchTheGoldenFile() throws Exception {
        try (BioRig rig = new BioRig(TinyMachines.normalOnly(1024), GuaranteeKind.MEMPOOL_2_5_1, b -> b, 128,
                Duration.ZERO)) {
            BioSet none = BioSet.builder(rig.slab, Guarantees.none()).name("plain").maxVecs(16).create();
            Page page = rig.machine.pageAlloc().allocPage(Gfp.GFP_KERNEL);
            rig.disk.addBadRange(64, 8);
            rig.disk.queue().setBounceLimit(16L << 20);
            for (int i = 0; i < 10; i++) {
                Bio b = rig.set.bioAlloc(Gfp.GFP_NOIO, 1 + i * 20);
                b.setSector(i * 8L).setDev(rig.disk);
                b.addPage(page, 4096, 0);
                BioRig.submitAndWait(i % 3 == 0 ? Bio.READ : Bio.WRITE, b);
                b.put();
            }
            Bio src = none.bioAlloc(Gfp.GFP_NOIO, 16);
            src.setDev(rig.disk).setSector(0);
            src.addPage(page, 1024, 0);
            Bio c = none.bioClone(src, Gfp.GFP_NOIO);
            BioRig.submitAndWait(Bio.WRITE, c);
            c.put();
            assertThat(none.bioAlloc(Gfp.GFP_NOIO, 17)).isNull();
            String view = BioInfo.bioinfo(List.of(rig.set, none)) + BioInfo.diskstats(List.of(rig.disk));
            assertThat(view).isEqualTo(golden("bioinfo.golden"));
            src.put();
            rig.machine.pageAlloc().freePage(page);
        }
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = BioInfoTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
