package dev.crewship.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void rendersPercentageAndSizesWithinTheTerminalWidth() {
        String line = ProgressBar.render("Uploading", 512 * 1024, 1024 * 1024, 80);

        assertThat(line).startsWith("Uploading [").contains("50%").contains("512.0 KiB / 1.0 MiB");
        assertThat(line.length()).isLessThan(80);
        assertThat(ProgressBar.render("Uploading", 10, 10, 80)).contains("100%").doesNotContain(">");
        assertThat(ProgressBar.render("a-very-long-label-that-does-not-fit", 1, 2, 30)).hasSize(29);
    }

    @Test
    void anUnknownTotalShowsTheCount() {
        assertThat(ProgressBar.render("report.md", 2048, -1, 80)).isEqualTo("report.md  2.0 KiB");
    }

    @Test
    void drawsNothingWhenStderrIsNoTerminal() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ProgressBar bar = ProgressBar.start(new PrintStream(err, true, StandardCharsets.UTF_8), Terminal.plain(), "x", 100)) {
            bar.advance(100);
        }
        assertThat(err.size()).isZero();
    }
}
