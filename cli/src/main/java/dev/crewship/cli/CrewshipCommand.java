package dev.crewship.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.Connection;
import dev.crewship.cli.config.LoginFile;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.deploy.DeployCommand;
import dev.crewship.cli.deploy.DeploymentsCommand;
import dev.crewship.cli.env.EnvCommand;
import dev.crewship.cli.init.InitCommand;
import dev.crewship.cli.key.KeysCommand;
import dev.crewship.cli.login.LoginCommand;
import dev.crewship.cli.output.Ansi;
import dev.crewship.cli.project.ProjectsCommand;
import dev.crewship.cli.run.InvokeCommand;
import dev.crewship.cli.run.RunsCommand;
import dev.crewship.cli.server.ServerCommand;
import dev.crewship.cli.thread.ChatCommand;
import dev.crewship.cli.thread.ThreadsCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The top-level {@code crewship} command: the options every subcommand accepts and what the
 * subcommands share (the API client, the project choice, the output streams).
 */
@Command(name = "crewship", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = CrewshipVersion.class, sortOptions = false,
        description = "Deploy CrewAI crews to a Crewship server and run them.",
        footer = {"", "The server and key come from --url/--api-key, else CREWSHIP_URL/CREWSHIP_API_KEY, else 'crewship login'.",
                "Docs: README.md (The CLI), docs/api.md, docs/crewship-toml.md."})
public final class CrewshipCommand implements Runnable {
    /**
     * The subcommands by name, in the order help lists them. A group of {@code @Command} methods
     * ({@code runs list|get|…}) declares {@code addMethodSubcommands = false}: {@link CrewshipCli}
     * then builds only the method a command line names, which saves most of the start-up.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(InitCommand.class, DeployCommand.class, DeploymentsCommand.class,
            InvokeCommand.class, RunsCommand.class, ThreadsCommand.class, ChatCommand.class, EnvCommand.class, ProjectsCommand.class, KeysCommand.class,
            LoginCommand.class, ServerCommand.class);

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Crewship server (default: $CREWSHIP_URL, the login, else " + Connection.DEFAULT_URL + ")")
    private String url;

    @Option(names = "--api-key", paramLabel = "KEY", scope = ScopeType.INHERIT,
            description = "API key (default: $CREWSHIP_API_KEY, else the login)")
    private String apiKey;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Show details (stack traces) of errors")
    private boolean debug;

    @Spec
    private CommandSpec spec;

    private final CliContext context;
    private Connection connection;
    private ApiClient api;

    CrewshipCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    public CliContext context() {
        return context;
    }

    public PrintStream out() {
        return context.out();
    }

    public PrintStream err() {
        return context.err();
    }

    public Ansi outAnsi() {
        return context.terminal().stdoutAnsi();
    }

    public Ansi errAnsi() {
        return context.terminal().stderrAnsi();
    }

    public boolean debug() {
        return debug;
    }

    /** The server and key in effect (flags, environment, login file). */
    public Connection connection() {
        if (connection == null) {
            LoginFile loginFile = loginFile();
            connection = Connection.resolve(url, apiKey, context.env(), loginFile::read, loginFile.path().toString());
        }
        return connection;
    }

    public LoginFile loginFile() {
        return LoginFile.locate(context.env(), context.home());
    }

    /** The API client; fails with a hint when no key is configured. */
    public ApiClient api() {
        if (api == null) {
            api = new ApiClient(connection());
        }
        return api;
    }

    /** The project the user named (flag, environment, crew folder), saying where it came from unless it was the flag. */
    public ProjectChoice project(String flag) {
        ProjectChoice choice = ProjectChoice.require(flag, context.env(), context.workingDir());
        noteSource(choice);
        return choice;
    }

    /** Like {@link #project(String)}, empty when none is named at all. */
    public Optional<ProjectChoice> optionalProject(String flag) {
        Optional<ProjectChoice> choice = ProjectChoice.find(flag, context.env(), context.workingDir());
        choice.ifPresent(this::noteSource);
        return choice;
    }

    /** A side remark on stderr (never mixed into output a script may parse). */
    public void note(String message) {
        err().println(errAnsi().dim(message));
    }

    /**
     * Prints a question on stderr and reads one line of answer from stdin; null at end of input.
     * The reader is not kept: one answer is read per question.
     */
    public String ask(String question) {
        err().print(question);
        err().flush();
        try {
            return new BufferedReader(new InputStreamReader(context.in(), StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code --json} output: the API's JSON as it came, indented. */
    public void printJson(JsonNode node) {
        out().println(Json.pretty(node));
    }

    private static Map<String, Class<?>> subcommands(Class<?>... commands) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> command : commands) {
            byName.put(command.getAnnotation(Command.class).name(), command);
        }
        return Collections.unmodifiableMap(byName);
    }

    private void noteSource(ProjectChoice choice) {
        if (!choice.fromFlag()) {
            note("Using " + choice.describe());
        }
    }
}
