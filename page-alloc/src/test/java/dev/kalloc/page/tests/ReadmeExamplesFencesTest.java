// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.page.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ReadmeExamples finds a README's Java blocks as a Markdown renderer would: a block the reader
 * sees as Java cannot escape the check by its fence's spelling, and text that only looks like a
 * fence inside another block does not open one.
 */
class ReadmeExamplesFencesTest {

    @Test
    void everySpellingOfAJavaFenceIsABlock() {
        List<String> md = List.of(
                "```java", "a();", "```",
                "```Java", "b();", "```",
                "~~~java", "c();", "~~~",
                "   ```java  title", "d();", "   ```",
                "````java", "e();", "````");
        assertThat(ReadmeExamples.fencedBlocks(md))
                .extracting(ReadmeExamples.Block::info, ReadmeExamples.Block::text)
                .containsExactly(
                        tuple("java", List.of("a();")),
                        tuple("Java", List.of("b();")),
                        tuple("java", List.of("c();")),
                        tuple("java", List.of("d();")),
                        tuple("java", List.of("e();")));
    }

    @Test
    void aFenceClosesOnlyWithItsOwnCharacterAndLength() {
        List<String> md = List.of(
                "````text", "```java", "not code", "```", "````",
                "~~~", "```", "~~~",
                "    ```java", "indented four: not a fence",
                "```", "open to the end");
        List<ReadmeExamples.Block> blocks = ReadmeExamples.fencedBlocks(md);
        assertThat(blocks).extracting(ReadmeExamples.Block::line).containsExactly(1, 6, 11);
        assertThat(blocks.get(0).text()).containsExactly("```java", "not code", "```");
        assertThat(blocks.get(1).text()).containsExactly("```");
        assertThat(blocks.get(2).info()).isEmpty();
        assertThat(blocks.get(2).text()).containsExactly("open to the end");
    }

    @Test
    void anIndentedFenceTakesItsIndentationOffTheContent() {
        List<String> md = List.of("  ```java", "    a();", "  b();", " c();", "d();  ", "  ```");
        assertThat(ReadmeExamples.fencedBlocks(md).get(0).text())
                .containsExactly("  a();", "b();", "c();", "d();  ");
    }

    @Test
    void aTildeFenceMayHaveBackticksInItsInfoStringAndABacktickFenceMayNot() {
        List<String> md = List.of("~~~java `x`", "a();", "~~~", "```java `x`", "not a fence", "```", "b();");
        List<ReadmeExamples.Block> blocks = ReadmeExamples.fencedBlocks(md);
        assertThat(blocks).extracting(ReadmeExamples.Block::line).containsExactly(1, 6);
        assertThat(blocks.get(0).info()).isEqualTo("java");
        assertThat(blocks.get(1).text()).containsExactly("b();");
    }

    @Test
    void aClosingFenceIsTheFenceAloneIndentedBySpacesOnly() {
        List<String> md = List.of("```java", "\t```", "``` not a close", "```\t ", "after");
        List<ReadmeExamples.Block> blocks = ReadmeExamples.fencedBlocks(md);
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0).text()).containsExactly("\t```", "``` not a close");
    }
}
