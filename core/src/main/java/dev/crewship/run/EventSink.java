package dev.crewship.run;

import dev.crewship.event.NewEvent;
import java.util.List;

/** Receives a run's events from an executor as they happen. */
@FunctionalInterface
public interface EventSink {
    void emit(NewEvent event);

    /**
     * Events that arrived together, in order (a crew's output lines read in one go, say): the sink
     * may store them at once rather than one by one. The same as emitting each in turn.
     */
    default void emitAll(List<NewEvent> events) {
        events.forEach(this::emit);
    }
}
