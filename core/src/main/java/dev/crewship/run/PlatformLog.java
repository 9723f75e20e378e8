package dev.crewship.run;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;

/**
 * {@code log} events written by Crewship itself rather than the crew (a skipped artifact, an
 * ignored event): {@code {"message":"…","stream":"system"}}, next to the crew's {@code stdout}/{@code stderr}.
 */
public final class PlatformLog {
    public static final String STREAM = "system";

    private PlatformLog() {
    }

    public static NewEvent event(String message) {
        return new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", message).put("stream", STREAM));
    }
}
