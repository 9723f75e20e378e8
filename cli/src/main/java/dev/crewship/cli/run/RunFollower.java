package dev.crewship.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.api.ServerSentEvent;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Follows a run to its end over its event stream ({@code GET /v1/runs/{id}/events}, SSE) and returns
 * the finished run. Should the stream end early (a server restart), it polls the run instead.
 */
public final class RunFollower {
    static final Set<String> TERMINAL_STATUSES = Set.of("succeeded", "failed", "canceled");
    private static final long POLL_MILLIS = 1000;

    private RunFollower() {
    }

    /** Hands every event to {@code onEvent} as it arrives; returns the run once it is terminal. */
    public static JsonNode follow(ApiClient api, String runId, Consumer<ServerSentEvent> onEvent) {
        String path = "/v1/runs/" + ApiClient.encode(runId);
        api.events(path + "/events", event -> {
            onEvent.accept(event);
            return !EventLines.isTerminal(event.type());
        });
        while (true) {
            JsonNode run = api.get(path);
            if (TERMINAL_STATUSES.contains(Json.text(run, "status"))) {
                return run;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while waiting for run " + runId, 130, e);
            }
        }
    }
}
