package dev.crewship.executor.process;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.run.RunError;

/** One line of the protocol channel (docs/runtime-protocol.md), read and checked. */
sealed interface ProtocolMessage {

    /** A run event from the crew. */
    record Event(String type, JsonNode data) implements ProtocolMessage {
    }

    /** The crew returned: {@code values} is null for stateless runs. */
    record Result(JsonNode output, JsonNode values) implements ProtocolMessage {
    }

    /** The crew, or loading it, raised. */
    record Failure(RunError error) implements ProtocolMessage {
    }

    /** A line that breaks the protocol; it is shown to the user as crew output, never trusted. */
    record Unreadable(String line, String reason) implements ProtocolMessage {
    }
}
