package dev.crewship.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.output.Ansi;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crewship deployments list | get | logs}. */
@Command(name = "deployments", addMethodSubcommands = false, description = "List and inspect a project's deployments.")
public final class DeploymentsCommand {
    private final CrewshipCommand cli;

    DeploymentsCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "list", description = {"List a project's deployments, newest first.",
            "Marks the current one and the previous one (the newest ready deployment older than the current: what a rollback usually returns to)."})
    void list(@Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Project (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project,
              @Option(names = "--limit", defaultValue = "20", description = "How many (1-100, default ${DEFAULT-VALUE})") int limit,
              @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        ProjectChoice choice = cli.project(project);
        JsonNode page = cli.api().get("/v1/projects/" + ApiClient.encode(choice.name()) + "/deployments?limit=" + limit);
        if (json) {
            cli.printJson(page);
            return;
        }
        JsonNode data = page.path("data");
        if (data.isEmpty()) {
            cli.out().println("No deployments in project " + choice.name() + " yet (deploy one with 'crewship deploy').");
            return;
        }
        String previous = previousOf(data);
        Ansi ansi = cli.outAnsi();
        Table table = Table.withHeaders("ID", "STATUS", "CREATED", "ENTRYPOINT", "");
        for (JsonNode deployment : data) {
            String id = Json.text(deployment, "id");
            String mark = deployment.path("current").asBoolean(false) ? ansi.green("current")
                    : id.equals(previous) ? "previous" : "";
            table.row(id, ansi.status(Json.text(deployment, "status")), Formats.timestamp(Json.text(deployment, "created_at")),
                    Json.text(deployment, "entrypoint"), mark);
        }
        cli.out().print(table.render(ansi));
    }

    /** The newest ready deployment listed after (older than) the current one; null when there is none. */
    static String previousOf(JsonNode newestFirst) {
        boolean pastCurrent = false;
        for (JsonNode deployment : newestFirst) {
            if (pastCurrent && "ready".equals(Json.text(deployment, "status"))) {
                return Json.text(deployment, "id");
            }
            pastCurrent |= deployment.path("current").asBoolean(false);
        }
        return null;
    }

    @Command(name = "get", description = "Show one deployment.")
    void get(@Parameters(paramLabel = "DEPLOYMENT_ID") String id,
             @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode deployment = cli.api().get("/v1/deployments/" + ApiClient.encode(id));
        if (json) {
            cli.printJson(deployment);
            return;
        }
        Ansi ansi = cli.outAnsi();
        Table table = Table.withHeaders("FIELD", "VALUE")
                .row("id", Json.text(deployment, "id"))
                .row("project", Json.text(deployment, "project"))
                .row("status", ansi.status(Json.text(deployment, "status")))
                .row("current", String.valueOf(deployment.path("current").asBoolean(false)))
                .row("entrypoint", Json.text(deployment, "entrypoint"))
                .row("python", Json.text(deployment, "python"))
                .row("created", Formats.timestamp(Json.text(deployment, "created_at")))
                .row("ready", Formats.timestamp(Json.text(deployment, "ready_at")))
                .row("config", deployment.has("config") ? Json.compact(deployment.get("config")) : "");
        if (Json.text(deployment, "error") != null) {
            table.row("error", ansi.red(Json.text(deployment, "error")));
        }
        cli.out().print(table.render(ansi));
    }

    @Command(name = "logs", description = "Print a deployment's build log.")
    void logs(@Parameters(paramLabel = "DEPLOYMENT_ID") String id,
              @Option(names = {"-f", "--follow"}, description = "Keep printing while the build runs") boolean follow) {
        String path = "/v1/deployments/" + ApiClient.encode(id) + "/logs";
        if (!follow) {
            cli.out().print(cli.api().text(path));
            cli.out().flush();
            return;
        }
        BuildLog.follow(cli.api(), id, cli.out()::println);
        cli.note("Deployment " + id + " is " + Json.text(cli.api().get("/v1/deployments/" + ApiClient.encode(id)), "status"));
    }
}
