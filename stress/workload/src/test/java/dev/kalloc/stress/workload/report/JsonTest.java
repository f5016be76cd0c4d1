// SPDX-License-Identifier: GPL-2.0-only
package dev.kalloc.stress.workload.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void escapesQuotesBackslashesAndEveryControlCharacter() {
        assertThat(Json.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(Json.quote("line\nnext\ttab\rcr\bbs\fff")).isEqualTo("\"line\\nnext\\ttab\\rcr\\bbs\\fff\"");
        assertThat(Json.quote("\u0000\u0001\u001f")).isEqualTo("\"\\u0000\\u0001\\u001f\"");
        assertThat(Json.quote("sep\u2028para\u2029")).isEqualTo("\"sep\\u2028para\\u2029\"");
        assertThat(Json.quote("ünïcödé €")).isEqualTo("\"ünïcödé €\"");
        assertThat(Json.quote("/ is fine")).isEqualTo("\"/ is fine\"");
    }

    @Test
    void everyCharacterBelowSpaceIsEscaped() {
        for (char c = 0; c < 0x20; c++) {
            String q = Json.quote(String.valueOf(c));
            assertThat(q.chars().allMatch(ch -> ch >= 0x20)).as("char %d", (int) c).isTrue();
        }
    }

    @Test
    void writesNestedStructuresWithCommasInTheRightPlaces() {
        Json j = new Json();
        j.beginObject();
        j.name("a").value(1);
        j.name("b").beginArray().value("x").value(true).value(2.5).endArray();
        j.name("c").beginObject().endObject();
        j.name("d").value((String) null);
        j.endObject();
        assertThat(j.toString().replaceAll("\\s", "")).isEqualTo("{\"a\":1,\"b\":[\"x\",true,2.5],\"c\":{},\"d\":null}");
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        Json j = new Json();
        j.beginArray().value(Double.NaN).value(Double.POSITIVE_INFINITY).value(0.1).endArray();
        assertThat(j.toString().replaceAll("\\s", "")).isEqualTo("[null,null,0.1]");
    }

    @Test
    void misuseIsRefusedWithAMessage() {
        assertThatThrownBy(() -> new Json().beginObject().value(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a name");
        assertThatThrownBy(() -> new Json().beginArray().endObject()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not close");
        assertThatThrownBy(() -> new Json().beginArray().name("x")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Json().beginObject().toString()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still open");
        assertThatThrownBy(() -> new Json().value(1).value(2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("one top-level value");
    }
}
