package dev.crewship.cli.key;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crewship keys create | list | revoke}: API keys. A key's secret is shown once, when it is created. */
@Command(name = "keys", addMethodSubcommands = false, description = "Create, list and revoke API keys.")
public final class KeysCommand {
    private final CrewshipCommand cli;

    KeysCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "create", description = {"Create an API key for one project (or, with --admin, for everything).",
            "Its secret is printed once: store it now."})
    void create(@Option(names = "--name", required = true, paramLabel = "NAME", description = "What the key is for, e.g. ci") String name,
                @Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "The project the key may use (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project,
                @Option(names = "--admin", description = "An admin key: every project, projects and keys themselves") boolean admin,
                @Option(names = "--json", description = "Print the API's JSON (it holds the secret)") boolean json) {
        ObjectNode body = Json.object().put("name", name);
        if (admin) {
            if (project != null) {
                throw new CliException("give either --project or --admin, not both");
            }
            body.putNull("project");
        } else {
            body.put("project", cli.project(project).name());
        }
        JsonNode key = cli.api().post("/v1/keys", body);
        if (json) {
            cli.printJson(key);
            return;
        }
        cli.out().println(Json.text(key, "secret"));
        cli.note("Created " + (admin ? "admin key " : "key for project " + Json.text(key, "project") + " ") + Json.text(key, "id")
                + " (" + name + "). This is the only time its secret is shown.");
    }

    @Command(name = "list", description = "List API keys (never their secrets).")
    void list(@Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode list = cli.api().get("/v1/keys");
        if (json) {
            cli.printJson(list);
            return;
        }
        Table table = Table.withHeaders("ID", "NAME", "PROJECT", "PREFIX", "CREATED");
        list.path("data").forEach(key -> table.row(Json.text(key, "id"), Json.text(key, "name"),
                key.hasNonNull("project") ? Json.text(key, "project") : "(admin)", Json.text(key, "prefix"),
                Formats.timestamp(Json.text(key, "created_at"))));
        cli.out().print(table.render(cli.outAnsi()));
    }

    @Command(name = "revoke", description = "Revoke an API key at once.")
    void revoke(@Parameters(paramLabel = "KEY_ID") String id) {
        cli.api().delete("/v1/keys/" + ApiClient.encode(id));
        cli.out().println("Revoked " + id);
    }
}
