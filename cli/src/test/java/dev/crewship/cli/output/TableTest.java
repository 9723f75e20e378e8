package dev.crewship.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void alignsColumnsTwoSpacesApartWithoutTrailingBlanks() {
        String text = Table.withHeaders("ID", "STATUS", "NOTE")
                .row("run_1", "succeeded", "")
                .row("run_22", "failed", "boom")
                .render(new Ansi(false));

        assertThat(text).isEqualTo("""
                ID      STATUS     NOTE
                run_1   succeeded
                run_22  failed     boom
                """);
    }

    @Test
    void colourCodesDoNotCountAsWidth() {
        Ansi ansi = new Ansi(true);
        String text = Table.withHeaders("A", "B").row(ansi.green("ok"), "x").row("long-value", "y").render(ansi);

        String plain = text.replaceAll("\u001b\\[[0-9;]*m", "");
        assertThat(plain).isEqualTo("""
                A           B
                ok          x
                long-value  y
                """);
        assertThat(Table.visibleLength(ansi.red("abc"))).isEqualTo(3);
    }

    @Test
    void missingAndNullCellsAreEmpty() {
        assertThat(Table.withHeaders("A", "B", "C").row("1", null).render(new Ansi(false))).isEqualTo("A  B  C\n1\n");
    }
}
