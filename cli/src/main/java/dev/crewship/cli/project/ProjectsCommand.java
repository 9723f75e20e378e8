package dev.crewship.cli.project;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crewship projects list | usage | create | delete}. */
@Command(name = "projects", addMethodSubcommands = false,
        description = "List, create and delete projects (creating and deleting needs an admin key); show their usage.")
public final class ProjectsCommand {
    private final CrewshipCommand cli;

    ProjectsCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "list", description = "List the projects this key may see.")
    void list(@Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode list = cli.api().get("/v1/projects");
        if (json) {
            cli.printJson(list);
            return;
        }
        if (list.path("data").isEmpty()) {
            cli.out().println("No projects yet ('crewship deploy' creates one, or 'crewship projects create NAME').");
            return;
        }
        Table table = Table.withHeaders("NAME", "ID", "CURRENT DEPLOYMENT", "CREATED");
        list.path("data").forEach(project -> table.row(Json.text(project, "name"), Json.text(project, "id"),
                Json.text(project, "current_deployment_id"), Formats.timestamp(Json.text(project, "created_at"))));
        cli.out().print(table.render(cli.outAnsi()));
    }

    @Command(name = "usage", description = "Show a project's runs by status and the run time they used.")
    void usage(@Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
                       description = "The project (default: $CREWSHIP_PROJECT, else the crew folder's name)") String name,
               @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        ProjectChoice choice = cli.project(name);
        JsonNode usage = cli.api().get("/v1/projects/" + ApiClient.encode(choice.name()) + "/usage");
        if (json) {
            cli.printJson(usage);
            return;
        }
        JsonNode runs = usage.path("runs");
        Table table = Table.withHeaders("RUNS", "COUNT");
        for (String status : new String[] {"pending", "running", "succeeded", "failed", "canceled", "total"}) {
            table.row(status, String.valueOf(runs.path(status).asLong()));
        }
        cli.out().print(table.render(cli.outAnsi()));
        cli.out().println("Run time of finished runs: " + Formats.duration(Math.round(usage.path("run_seconds").asDouble() * 1000)));
    }

    @Command(name = "create", description = "Create a project.")
    void create(@Parameters(paramLabel = "NAME", description = "Lowercase letters, digits and '-' (3-64 characters)") String name,
                @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        if (!ProjectChoice.NAME.matcher(name).matches()) {
            throw new CliException("'" + name + "' is not a valid project name: lowercase letters, digits and '-', 3-64 characters, starting with a letter");
        }
        JsonNode project = cli.api().post("/v1/projects", Json.object().put("name", name));
        if (json) {
            cli.printJson(project);
            return;
        }
        cli.out().println("Created project " + name + " (" + Json.text(project, "id") + ")");
    }

    @Command(name = "delete", description = "Delete a project with its deployments, runs, artifacts and variables.")
    void delete(@Parameters(paramLabel = "NAME") String name,
                @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation (needed when stdin is not a terminal)") boolean yes) {
        if (!yes) {
            if (!cli.context().terminal().stdinTty()) {
                throw new CliException("deleting project " + name + " cannot be undone: pass --yes to confirm");
            }
            if (!confirmed(name)) {
                cli.note("Nothing deleted.");
                return;
            }
        }
        cli.api().delete("/v1/projects/" + ApiClient.encode(name));
        cli.out().println("Deleted project " + name);
    }

    private boolean confirmed(String name) {
        String answer = cli.ask("Delete project " + name + " with all its deployments, runs and artifacts? Type its name to confirm: ");
        return answer != null && name.equals(answer.trim());
    }
}
