package dev.crewship.cli.thread;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import dev.crewship.cli.run.RunInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crewship threads create | get | list | history | fork | delete}: threads, the persistent
 * conversations a crew runs in many times (docs/api.md, "Threads"). Runs inside a thread:
 * {@code crewship invoke --thread thr_…} or {@code crewship chat}.
 */
@Command(name = "threads", description = {"Create, show, list, fork and delete threads; show a thread's checkpoints.",
        "Run inside a thread with 'crewship invoke --thread THREAD_ID' or talk to it with 'crewship chat'."})
public final class ThreadsCommand {
    private final CrewshipCommand cli;

    ThreadsCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "create", description = "Create an idle thread of the project's current deployment (or of --deployment).")
    void create(@Option(names = {"-p", "--project"}, paramLabel = "NAME",
                        description = "The project whose current deployment the thread uses (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project,
                @Option(names = {"-d", "--deployment"}, paramLabel = "DEPLOYMENT_ID", description = "Use this deployment instead") String deployment,
                @Option(names = "--values", paramLabel = "JSON|@FILE", description = "The thread's initial values: a JSON object, @file.json or @- (default: {})") String values,
                @Option(names = {"-m", "--metadata"}, paramLabel = "KEY=VALUE", description = "A metadata label (repeatable)") List<String> metadata,
                @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        ObjectNode body = Json.object();
        if (values != null) {
            body.set("values", RunInput.parse(values, cli.context().workingDir(), cli.context().in()));
        }
        if (metadata != null) {
            ObjectNode labels = body.putObject("metadata");
            labels(metadata).forEach(labels::put);
        }
        if (deployment != null) {
            if (project != null) {
                throw new CliException("give either --deployment or --project, not both");
            }
            body.put("deployment_id", deployment);
        } else {
            body.put("project", cli.project(project).name());
        }
        JsonNode thread = cli.api().post("/v1/threads", body);
        if (json) {
            cli.printJson(thread);
            return;
        }
        cli.out().println(Json.text(thread, "id"));
        cli.note("Created thread " + Json.text(thread, "id") + " on deployment " + Json.text(thread, "deployment_id")
                + ". Run in it: crewship invoke --thread " + Json.text(thread, "id") + " --input '{\"message\": \"…\"}'");
    }

    @Command(name = "get", description = "Show a thread: status, active run, newest checkpoint and values.")
    void get(@Parameters(paramLabel = "THREAD_ID") String id,
             @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode thread = cli.api().get(path(id));
        if (json) {
            cli.printJson(thread);
            return;
        }
        Table table = Table.withHeaders("FIELD", "VALUE");
        table.row("id", Json.text(thread, "id"));
        table.row("status", cli.outAnsi().status(Json.text(thread, "status")));
        table.row("project", Json.text(thread, "project"));
        table.row("deployment", Json.text(thread, "deployment_id"));
        table.row("active run", orDash(Json.text(thread, "active_run_id")));
        table.row("checkpoint", orDash(Json.text(thread, "checkpoint_id")));
        table.row("metadata", labelsText(thread.path("metadata")));
        table.row("created", Formats.timestamp(Json.text(thread, "created_at")));
        table.row("updated", Formats.timestamp(Json.text(thread, "updated_at")));
        cli.out().print(table.render(cli.outAnsi()));
        cli.out().println("values:");
        cli.out().println(Json.pretty(thread.path("values")));
    }

    @Command(name = "list", description = "List threads, newest first.")
    void list(@Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Only this project's threads") String project,
              @Option(names = {"-d", "--deployment"}, paramLabel = "DEPLOYMENT_ID", description = "Only this deployment's threads") String deployment,
              @Option(names = "--status", paramLabel = "STATUS", description = "Only threads in this status: idle, busy or error") String status,
              @Option(names = {"-m", "--metadata"}, paramLabel = "KEY=VALUE", description = "Only threads with this metadata label (repeatable)") List<String> metadata,
              @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N threads (1-100, default 20)") int limit,
              @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        StringJoiner query = new StringJoiner("&", "?", "");
        query.add("limit=" + limit);
        cli.optionalProject(project).ifPresent(choice -> query.add("project=" + ApiClient.encode(choice.name())));
        if (deployment != null) {
            query.add("deployment_id=" + ApiClient.encode(deployment));
        }
        if (status != null) {
            query.add("status=" + ApiClient.encode(status));
        }
        if (metadata != null) {
            labels(metadata).forEach((key, value) -> query.add(ApiClient.encode("metadata." + key) + "=" + ApiClient.encode(value)));
        }
        JsonNode list = cli.api().get("/v1/threads" + query);
        if (json) {
            cli.printJson(list);
            return;
        }
        Table table = Table.withHeaders("ID", "STATUS", "ACTIVE RUN", "PROJECT", "METADATA", "UPDATED");
        list.path("data").forEach(thread -> table.row(Json.text(thread, "id"), cli.outAnsi().status(Json.text(thread, "status")),
                orDash(Json.text(thread, "active_run_id")), Json.text(thread, "project"), labelsText(thread.path("metadata")),
                Formats.timestamp(Json.text(thread, "updated_at"))));
        cli.out().print(table.render(cli.outAnsi()));
        if (list.path("has_more").asBoolean()) {
            cli.note("More threads exist; raise --limit (at most 100) or narrow with --project, --status or --metadata.");
        }
    }

    @Command(name = "history", description = "A thread's checkpoints, newest first: the values each successful run left.")
    void history(@Parameters(paramLabel = "THREAD_ID") String id,
                 @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N checkpoints (1-100, default 20)") int limit,
                 @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode history = cli.api().get(path(id) + "/history?limit=" + limit);
        if (json) {
            cli.printJson(history);
            return;
        }
        Table table = Table.withHeaders("CHECKPOINT", "RUN", "PARENT", "CREATED", "VALUES");
        history.path("data").forEach(checkpoint -> table.row(Json.text(checkpoint, "id"), orDash(Json.text(checkpoint, "run_id")),
                orDash(Json.text(checkpoint, "parent_checkpoint_id")), Formats.timestamp(Json.text(checkpoint, "created_at")),
                Formats.bytes(Json.compact(checkpoint.path("values")).length())));
        cli.out().print(table.render(cli.outAnsi()));
        if (history.path("data").isEmpty()) {
            cli.note("No checkpoints yet: one is written each time a run of the thread succeeds.");
        }
    }

    @Command(name = "fork", description = {"Start a new thread from one of this thread's checkpoints (default: the newest).",
            "With --deployment it runs on that deployment of the project, e.g. the one you just deployed."})
    void fork(@Parameters(paramLabel = "THREAD_ID") String id,
              @Option(names = "--checkpoint", paramLabel = "CHECKPOINT_ID", description = "The checkpoint to start from (see 'crewship threads history')") String checkpoint,
              @Option(names = {"-d", "--deployment"}, paramLabel = "DEPLOYMENT_ID", description = "Run the new thread on this deployment of the same project") String deployment,
              @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        ObjectNode body = Json.object();
        if (checkpoint != null) {
            body.put("checkpoint_id", checkpoint);
        }
        if (deployment != null) {
            body.put("deployment_id", deployment);
        }
        JsonNode fork = cli.api().post(path(id) + "/fork", body);
        if (json) {
            cli.printJson(fork);
            return;
        }
        cli.out().println(Json.text(fork, "id"));
        cli.note("Forked " + id + " into " + Json.text(fork, "id") + " on deployment " + Json.text(fork, "deployment_id"));
    }

    @Command(name = "delete", description = "Delete a thread and its checkpoints (its runs stay). Refused while a run of it is not finished.")
    void delete(@Parameters(paramLabel = "THREAD_ID") String id) {
        cli.api().delete(path(id));
        cli.out().println("Deleted " + id);
    }

    private static String path(String id) {
        return "/v1/threads/" + ApiClient.encode(id);
    }

    /** KEY=VALUE labels, checked before anything is sent. */
    static Map<String, String> labels(List<String> assignments) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String assignment : assignments) {
            int equals = assignment.indexOf('=');
            if (equals <= 0) {
                throw new CliException("'" + assignment + "' is not KEY=VALUE (a metadata label); nothing was sent");
            }
            labels.put(assignment.substring(0, equals), assignment.substring(equals + 1));
        }
        return labels;
    }

    private static String labelsText(JsonNode metadata) {
        StringJoiner text = new StringJoiner(", ");
        metadata.properties().forEach(entry -> text.add(entry.getKey() + "=" + entry.getValue().asText()));
        return text.length() == 0 ? "-" : text.toString();
    }

    private static String orDash(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
