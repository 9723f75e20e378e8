package dev.crewship.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.output.Spinner;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crewship invoke}: starts a run of the project's current deployment (or of
 * {@code --deployment}, or inside {@code --thread}) with {@code --input}. {@code --stream} shows its events live, {@code --wait}
 * waits quietly; both print the output and exit with the run's outcome.
 */
@Command(name = "invoke", sortOptions = false,
        description = {"Start a run with an input and, with --stream or --wait, follow it to the end.",
                "Exit code: 0 succeeded, 1 failed, 130 canceled. Ctrl-C while following offers to cancel the run."})
public final class InvokeCommand implements Callable<Integer> {
    static final int EXIT_FAILED = 1;
    static final int EXIT_CANCELED = 130;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Option(names = {"-i", "--input"}, paramLabel = "JSON|@FILE",
            description = "The crew's input: a JSON object, @file.json, or @- for stdin (default: {})")
    private String input;

    @Option(names = {"-p", "--project"}, paramLabel = "NAME",
            description = "Run this project's current deployment (default: $CREWSHIP_PROJECT, else the crew folder's name)")
    private String project;

    @Option(names = {"-d", "--deployment"}, paramLabel = "DEPLOYMENT_ID", description = "Run this deployment instead of the project's current one")
    private String deployment;

    @Option(names = {"-t", "--thread"}, paramLabel = "THREAD_ID",
            description = "Run inside this thread (its deployment, its values); refused while another run of it is not finished")
    private String thread;

    @Option(names = {"-s", "--stream"}, description = "Print the run's events as they happen, then its output")
    private boolean stream;

    @Option(names = {"-w", "--wait"}, description = "Wait for the run to finish, then print its output")
    private boolean await;

    @Option(names = "--json", description = "Print the run as JSON (the finished run with --stream/--wait)")
    private boolean json;

    private final CrewshipCommand cli;

    InvokeCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        ObjectNode body = Json.object();
        ObjectNode parsedInput = RunInput.parse(input, cli.context().workingDir(), cli.context().in());
        String path = "/v1/runs";
        if (thread != null) {
            if (project != null || deployment != null) {
                throw new CliException("--thread runs the thread's own deployment: give no --project or --deployment with it");
            }
            path = "/v1/threads/" + ApiClient.encode(thread) + "/runs";
        } else if (deployment != null) {
            if (project != null) {
                throw new CliException("give either --deployment or --project, not both");
            }
            body.put("deployment_id", deployment);
        } else {
            ProjectChoice choice = cli.project(project);
            body.put("project", choice.name());
        }
        body.set("input", parsedInput);
        JsonNode run = cli.api().post(path, body);
        String runId = Json.text(run, "id");
        if (!stream && !await) {
            if (json) {
                cli.printJson(run);
            } else {
                cli.out().println("Run " + cli.outAnsi().bold(runId) + " is " + cli.outAnsi().status(Json.text(run, "status"))
                        + " (deployment " + Json.text(run, "deployment_id") + ")");
                cli.note("Follow it with 'crewship runs events " + runId + " --follow'; its result: 'crewship runs get " + runId + "'");
            }
            return 0;
        }
        cli.note("Started run " + runId + " on deployment " + Json.text(run, "deployment_id"));
        JsonNode finished;
        try (CancelOnInterrupt ignored = CancelOnInterrupt.install(cli, runId)) {
            finished = stream ? streamed(runId) : waited(runId);
        }
        return report(finished);
    }

    private JsonNode streamed(String runId) {
        return RunFollower.follow(cli.api(), runId, event -> cli.out().println(
                EventLines.format(LocalTime.now().format(CLOCK), event.type(), event.json(), cli.outAnsi())));
    }

    private JsonNode waited(String runId) {
        try (Spinner spinner = Spinner.start(cli.err(), cli.context().terminal(), "Run " + runId + " is pending")) {
            return RunFollower.follow(cli.api(), runId, event -> {
                if (event.type().equals("run.started")) {
                    spinner.message("Run " + runId + " is running");
                } else if (event.type().startsWith("agent.") || event.type().equals("tool.called")) {
                    spinner.message("Run " + runId + ": " + EventLines.message(event.type(), event.json(), cli.errAnsi()));
                }
            });
        }
    }

    /** Prints the outcome and maps it to the exit code. */
    private int report(JsonNode run) {
        String runId = Json.text(run, "id");
        String status = Json.text(run, "status");
        if (json) {
            cli.printJson(run);
        } else if ("succeeded".equals(status)) {
            RunPrinter.printOutput(cli.out(), run.get("output"));
        }
        return switch (status) {
            case "succeeded" -> 0;
            case "canceled" -> {
                cli.note("Run " + runId + " was canceled");
                yield EXIT_CANCELED;
            }
            default -> {
                JsonNode error = run.path("error");
                if (cli.debug() && error.hasNonNull("traceback")) {
                    cli.err().println(error.get("traceback").asText());
                }
                cli.err().println(cli.errAnsi().red("error:") + " run " + runId + " failed: " + EventLines.errorText(error)
                        + (cli.debug() ? "" : " (details: 'crewship runs get " + runId + "')"));
                yield EXIT_FAILED;
            }
        };
    }
}
