package dev.crewship.executor.process;

import java.time.Duration;

/** Durations the way crewship.toml spells them: {@code 90s}, {@code 15m}, {@code 1h}. */
final class HumanDuration {
    private HumanDuration() {
    }

    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds != 0 && seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds != 0 && seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
