package dev.crewship.thread;

import dev.crewship.error.CrewshipException;
import java.util.Locale;

/**
 * What a run request does when the thread is busy: {@code reject} (the default, as the seed says:
 * 409 Conflict) or {@code enqueue} (the run waits as {@code pending} until every earlier run of the
 * thread has finished).
 */
public enum MultitaskStrategy {
    REJECT, ENQUEUE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The strategy named on the wire; null means the default, {@code reject}. */
    public static MultitaskStrategy parse(String value) {
        if (value == null) {
            return REJECT;
        }
        for (MultitaskStrategy strategy : values()) {
            if (strategy.wire().equals(value)) {
                return strategy;
            }
        }
        throw CrewshipException.invalid("multitask_strategy must be \"reject\" or \"enqueue\", not \"" + value + "\"");
    }
}
