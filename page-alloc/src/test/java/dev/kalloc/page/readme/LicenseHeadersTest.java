// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository's license promise: a LICENSE file with the GPL version 2 text, and an
 * {@code SPDX-License-Identifier: GPL-2.0-only} line in the first lines of every source file of
 * every module (Java, poms, shell and Python scripts, the {@code kalloc} launcher, CI). The Maven
 * wrapper ({@code mvnw}, {@code .mvn/}) is Apache-licensed and keeps its own header.
 */
class LicenseHeadersTest {
    private static final String SPDX = "SPDX-License-Identifier: GPL-2.0-only";
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Set<String> SCRIPTS = Set.of("kalloc", "run");

    @Test
    void theLicenseFileHoldsGplVersion2() throws IOException {
        String license = Files.readString(ROOT.resolve("LICENSE"), StandardCharsets.UTF_8);
        assertThat(license).contains("GNU GENERAL PUBLIC LICENSE", "Version 2, June 1991", "GPL-2.0-only");
    }

    @Test
    void everySourceFileCarriesTheSpdxLine() throws IOException {
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path p : files.filter(Files::isRegularFile).filter(LicenseHeadersTest::isSource).toList()) {
                if (!headerHasSpdx(p)) {
                    missing.add(ROOT.relativize(p).toString());
                }
            }
        }
        assertThat(missing).as("source files without \"%s\" in their first five lines", SPDX).isEmpty();
    }

    private static boolean isSource(Path p) {
        String rel = ROOT.relativize(p).toString().replace('\\', '/');
        if (rel.contains("/target/") || rel.startsWith("target/") || rel.startsWith(".git/")
                || rel.startsWith(".mvn/") || rel.contains("/.jqwik-database") || rel.startsWith("results/")
                || rel.startsWith("jcstress-results")) {
            return false;
        }
        String name = p.getFileName().toString();
        return name.endsWith(".java") || name.equals("pom.xml") || name.endsWith(".sh") || name.endsWith(".py")
                || name.endsWith(".jq") || (SCRIPTS.contains(name) && (rel.equals("kalloc") || rel.equals(".ci/run")));
    }

    private static boolean headerHasSpdx(Path p) throws IOException {
        try (Stream<String> lines = Files.lines(p, StandardCharsets.UTF_8)) {
            return lines.limit(5).anyMatch(l -> l.contains(SPDX));
        }
    }
}
