// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.readme;

import static org.assertj.core.api.Assertions.assertThat;

// readme:begin library
import dev.kalloc.page.*;
// readme:end
import dev.kalloc.page.tests.ReadmeExamples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The page-alloc README's example ("Use"), compiled and run here
 * exactly as the README shows it; {@link ReadmeExamples} fails if the two texts part. Also the
 * check that no README's Java block goes unchecked.
 */
class ReadmeExamplesTest {
    private static final String README = "README.md";
    private static final String SOURCE = "src/test/java/dev/kalloc/page/readme/ReadmeExamplesTest.java";

    @Test
    void readmeBlocksAreThisSource() {
        ReadmeExamples.assertBlocksMatch(README, SOURCE, "library");
    }

    /**
     * Every README of the reactor with a {@code ```java} block has a module test that checks it,
     * its module's {@code readme/ReadmeExamplesTest}. A Java block added to a README that no test
     * reads yet (stress/jmh's, or the root README's, which has no module) fails here.
     */
    @Test
    void everyReadmeWithJavaBlocksIsCheckedByItsModule() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> unchecked = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path readme : files.filter(ReadmeExamplesTest::isModuleReadme).toList()) {
                Path dir = readme.getParent();
                if (hasJavaBlock(readme) && !hasReadmeTest(dir)) {
                    unchecked.add(root.relativize(readme).toString());
                }
            }
        }
        assertThat(unchecked).as("READMEs with ```java blocks but no ReadmeExamplesTest in their module").isEmpty();
    }

    private static boolean isModuleReadme(Path p) {
        String s = p.toString();
        return p.getFileName().toString().equals("README.md") && !s.contains("/target/") && !s.contains("/.git/")
                && !s.contains("/src/");
    }

    private static boolean hasJavaBlock(Path readme) throws IOException {
        return Files.readAllLines(readme).stream().anyMatch(l -> l.strip().equals("```java"));
    }

    private static boolean hasReadmeTest(Path moduleDir) throws IOException {
        Path tests = moduleDir.resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(tests)) {
            return files.anyMatch(p -> p.endsWith(Path.of("readme", "ReadmeExamplesTest.java")));
        }
    }

    /** Prints /proc/buddyinfo then /proc/meminfo, as the comments next to the prints say. */
    @Test
    void libraryExampleRunsAndPrintsBuddyinfoThenMeminfo() throws Exception {
        String out = ReadmeExamples.stdout(ReadmeExamplesTest::library);
        assertThat(out).startsWith("Node 0, zone      DMA ");
        assertThat(out).contains("\nNode 0, zone   Normal ").contains("\nMemTotal:");
        assertThat(out.indexOf("MemTotal:")).isGreaterThan(out.indexOf("zone   Normal"));
    }

    private static void library() {
        // readme:begin library
        MachineConfig config = MachineConfig.builder()
                .memory(64 * MachineConfig.MiB)   // zones scale with the i386 layout: DMA 1/64, Normal to 7/8
                .cpus(2)
                .build();
        try (Machine m = Machine.boot(config)) {
            PageAllocator pa = m.pageAlloc();
            Page block = pa.allocPages(Gfp.GFP_KERNEL, 3);           // 8 contiguous pages, or null
            m.memory().putLong(block.physAddr(), 0xCAFEL);            // page contents are real bytes
            pa.freePages(block, 3);

            long addr = pa.getFreePages(Gfp.GFP_ATOMIC, 0);           // by address; 0 means failure
            if (addr != 0) {
                pa.freePagesAddr(addr, 0);
            }
            System.out.print(ProcFs.buddyinfo(m));                    // Node 0, zone      DMA ...
            System.out.print(ProcFs.meminfo(m));
        }
        // readme:end
    }
}
