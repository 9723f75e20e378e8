package dev.crewship.cli.deploy;

import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import java.util.function.Consumer;

/** A deployment's build log as the server streams it: {@code log} events, then one {@code status}. */
final class BuildLog {
    private BuildLog() {
    }

    /** Hands each line to {@code lines} as it is written; returns when the build has ended (or the stream did). */
    static void follow(ApiClient api, String deploymentId, Consumer<String> lines) {
        api.events("/v1/deployments/" + ApiClient.encode(deploymentId) + "/logs", event -> switch (event.type()) {
            case "log" -> {
                String line = Json.text(event.json(), "line");
                lines.accept(line == null ? event.data() : line);
                yield true;
            }
            case "status" -> false;
            default -> true;
        });
    }
}
