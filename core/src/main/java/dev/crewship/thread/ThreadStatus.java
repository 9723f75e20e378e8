package dev.crewship.thread;

import java.util.Locale;

/**
 * idle → busy → idle, again and again. {@code busy} while a run of the thread is pending or running;
 * {@code error} when the last run's new values could not be saved (they stay as they were, and the
 * next run may start as from idle).
 */
public enum ThreadStatus {
    IDLE, BUSY, ERROR;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ThreadStatus fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
