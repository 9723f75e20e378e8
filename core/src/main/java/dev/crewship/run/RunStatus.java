package dev.crewship.run;

import java.util.Locale;

/** pending → running → succeeded | failed | canceled. A pending run may also be canceled directly. */
public enum RunStatus {
    PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELED;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
