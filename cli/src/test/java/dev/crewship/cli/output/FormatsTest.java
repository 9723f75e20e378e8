package dev.crewship.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatsTest {
    @Test
    void bytes() {
        assertThat(Formats.bytes(0)).isEqualTo("0 B");
        assertThat(Formats.bytes(1023)).isEqualTo("1023 B");
        assertThat(Formats.bytes(1234)).isEqualTo("1.2 KiB");
        assertThat(Formats.bytes(5L * 1024 * 1024)).isEqualTo("5.0 MiB");
        assertThat(Formats.bytes(3L * 1024 * 1024 * 1024)).isEqualTo("3.0 GiB");
    }

    @Test
    void durations() {
        assertThat(Formats.duration(850)).isEqualTo("850 ms");
        assertThat(Formats.duration(45_200)).isEqualTo("45.2 s");
        assertThat(Formats.duration(185_000)).isEqualTo("3m 05s");
        assertThat(Formats.duration(7_260_000)).isEqualTo("2h 01m");
    }

    @Test
    void timestamps() {
        assertThat(Formats.timestamp("2025-11-24T03:26:10.123456Z")).isEqualTo("2025-11-24 03:26:10Z");
        assertThat(Formats.clockTime("2025-11-24T03:26:10Z")).isEqualTo("03:26:10");
        assertThat(Formats.timestamp(null)).isEmpty();
        assertThat(Formats.timestamp("yesterday")).isEqualTo("yesterday");
    }
}
