package dev.crewship.cli.output;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** How sizes, durations and timestamps read in tables and messages. */
public final class Formats {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    private static final int TIMESTAMP_LENGTH = "2025-11-24 03:26:10Z".length();
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Formats() {
    }

    /** {@code 512 B}, {@code 1.2 KiB}, {@code 3.4 MiB}. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /** {@code 850 ms}, {@code 45.2 s}, {@code 3m 05s}, {@code 2h 01m}. */
    public static String duration(long millis) {
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        long seconds = millis / 1000;
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, (seconds % 3600) / 60);
    }

    /** An API timestamp (ISO-8601) as {@code 2025-11-24 03:26:10Z}; anything unparsable as it came. */
    public static String timestamp(String iso) {
        if (iso == null || iso.isEmpty()) {
            return "";
        }
        try {
            return TIMESTAMP.format(Instant.parse(iso));
        } catch (DateTimeParseException e) {
            return iso;
        }
    }

    /** The clock time ({@code 03:26:10}) of an API timestamp, for event lines. */
    public static String clockTime(String iso) {
        String full = timestamp(iso);
        return full.length() == TIMESTAMP_LENGTH ? full.substring(11, 19) : full;
    }
}
