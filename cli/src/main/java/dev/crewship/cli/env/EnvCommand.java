package dev.crewship.cli.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crewship env set | list | unset}: a project's environment variables (its secrets). Values go
 * to the server and are never printed back; {@code list} shows names only.
 */
@Command(name = "env", addMethodSubcommands = false, description = "Set, list and remove a project's environment variables (secrets).")
public final class EnvCommand {
    /** The API's rule for variable names (docs/api.md); checked here too so nothing half-valid is sent. */
    static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,127}$");

    private final CrewshipCommand cli;

    EnvCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "set", description = {"Set one or more variables at once: NAME=value ...",
            "The crew reads them from os.environ. Values are stored encrypted and never shown again."})
    void set(@Parameters(arity = "1..*", paramLabel = "NAME=value") List<String> assignments,
             @Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Project (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project) {
        Map<String, String> vars = parse(assignments);
        ProjectChoice choice = cli.project(project);
        ObjectNode values = Json.object();
        vars.forEach(values::put);
        cli.api().patch(envPath(choice.name()), Json.object().set("vars", values));
        cli.out().println("Set " + String.join(", ", vars.keySet()) + " for project " + choice.name());
    }

    /** {@code NAME=value} pairs in order; a repeated name keeps its last value. */
    static Map<String, String> parse(List<String> assignments) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String assignment : assignments) {
            int equals = assignment.indexOf('=');
            if (equals < 0) {
                throw new CliException("'" + assignment + "' is not NAME=value (e.g. OPENAI_API_KEY=sk-...); nothing was set");
            }
            String name = assignment.substring(0, equals);
            if (!NAME.matcher(name).matches()) {
                throw new CliException("'" + name + "' is not a valid variable name (letters, digits and _, not starting with a digit); nothing was set");
            }
            vars.put(name, assignment.substring(equals + 1));
        }
        return vars;
    }

    @Command(name = "list", description = "List the names of a project's variables (never their values).")
    void list(@Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Project (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project,
              @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        ProjectChoice choice = cli.project(project);
        JsonNode list = cli.api().get(envPath(choice.name()));
        if (json) {
            cli.printJson(list);
            return;
        }
        if (list.path("data").isEmpty()) {
            cli.out().println("Project " + choice.name() + " has no environment variables (set one with 'crewship env set NAME=value').");
            return;
        }
        Table table = Table.withHeaders("NAME", "UPDATED");
        list.path("data").forEach(var -> table.row(Json.text(var, "name"), Formats.timestamp(Json.text(var, "updated_at"))));
        cli.out().print(table.render(cli.outAnsi()));
    }

    @Command(name = "unset", description = "Remove a variable from a project.")
    void unset(@Parameters(paramLabel = "NAME") String name,
               @Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Project (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project) {
        ProjectChoice choice = cli.project(project);
        cli.api().delete(envPath(choice.name()) + "/" + ApiClient.encode(name));
        cli.out().println("Removed " + name + " from project " + choice.name());
    }

    private static String envPath(String project) {
        return "/v1/projects/" + ApiClient.encode(project) + "/env";
    }
}
