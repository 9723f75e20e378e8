package dev.crewship.run;

import dev.crewship.event.NewEvent;

/** Receives a run's events from an executor as they happen. */
@FunctionalInterface
public interface EventSink {
    void emit(NewEvent event);
}
