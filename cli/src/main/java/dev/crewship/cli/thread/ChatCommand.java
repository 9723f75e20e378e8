package dev.crewship.cli.thread;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.ApiException;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.run.CancelOnInterrupt;
import dev.crewship.cli.run.EventLines;
import dev.crewship.cli.run.RunFollower;
import dev.crewship.cli.run.RunPrinter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crewship chat}: an interactive loop over a thread. Each line typed becomes a run of the
 * thread with input {@code {"message": "<line>"}}; its events stream to stderr as they happen and
 * its answer is printed on stdout, then the next line is read. The crew remembers the conversation
 * through the thread's values (docs/runtime-protocol.md, "Threads").
 */
@Command(name = "chat", sortOptions = false,
        description = {"Talk to a crew in a thread: each line you type is one run with input {\"message\": \"<line>\"}.",
                "Without THREAD_ID a new thread of the project's current deployment is started.",
                "End with /exit or Ctrl-D. Ctrl-C during a run offers to cancel it."})
public final class ChatCommand implements Callable<Integer> {
    static final Set<String> EXIT_COMMANDS = Set.of("/exit", "/quit");
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final String PROMPT = "you> ";

    @Parameters(paramLabel = "THREAD_ID", arity = "0..1", description = "Continue this thread (default: start a new one)")
    private String threadId;

    @Option(names = {"-p", "--project"}, paramLabel = "NAME",
            description = "Start the new thread on this project's current deployment (default: $CREWSHIP_PROJECT, else the crew folder's name)")
    private String project;

    @Option(names = {"-q", "--quiet"}, description = "Show only the answers, not the runs' events")
    private boolean quiet;

    private final CrewshipCommand cli;

    ChatCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        String thread = threadId != null ? existing(threadId) : started();
        BufferedReader lines = new BufferedReader(new InputStreamReader(cli.context().in(), StandardCharsets.UTF_8));
        while (true) {
            String line = prompt(lines);
            if (line == null || EXIT_COMMANDS.contains(line.strip())) {
                cli.note("Thread " + thread + " keeps the conversation: 'crewship chat " + thread + "' continues it.");
                return 0;
            }
            if (!line.isBlank()) {
                say(thread, line.strip());
            }
        }
    }

    private String existing(String id) {
        if (project != null) {
            throw new CliException("a thread runs its own deployment: give either THREAD_ID or --project, not both");
        }
        JsonNode thread = cli.api().get("/v1/threads/" + ApiClient.encode(id));
        cli.note("Continuing thread " + id + " (" + Json.text(thread, "status") + ", deployment " + Json.text(thread, "deployment_id") + ")");
        return id;
    }

    private String started() {
        ObjectNode body = Json.object().put("project", cli.project(project).name());
        JsonNode thread = cli.api().post("/v1/threads", body);
        String id = Json.text(thread, "id");
        cli.note("Started thread " + id + " on deployment " + Json.text(thread, "deployment_id") + ". Type a message; /exit ends.");
        return id;
    }

    private String prompt(BufferedReader lines) {
        cli.err().print(cli.errAnsi().bold(PROMPT));
        cli.err().flush();
        try {
            return lines.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read your message", e);
        }
    }

    /** One run of the thread for one message; a refusal or a failed run is reported and the chat goes on. */
    private void say(String thread, String message) {
        ObjectNode body = Json.object();
        body.putObject("input").put("message", message);
        JsonNode run;
        try {
            run = cli.api().post("/v1/threads/" + ApiClient.encode(thread) + "/runs", body);
        } catch (ApiException e) {
            if (e.status() == 409) {
                cli.err().println(cli.errAnsi().red("error:") + " " + e.getMessage());
                return;
            }
            throw e;
        }
        String runId = Json.text(run, "id");
        JsonNode finished;
        try (CancelOnInterrupt ignored = CancelOnInterrupt.install(cli, runId)) {
            finished = RunFollower.follow(cli.api(), runId, event -> {
                if (!quiet) {
                    cli.err().println(EventLines.format(LocalTime.now().format(CLOCK), event.type(), event.json(), cli.errAnsi()));
                }
            });
        }
        switch (Json.text(finished, "status")) {
            case "succeeded" -> RunPrinter.printOutput(cli.out(), answer(finished.path("output")));
            case "canceled" -> cli.note("Run " + runId + " was canceled; the thread is as it was before it.");
            default -> cli.err().println(cli.errAnsi().red("error:") + " run " + runId + " failed: "
                    + EventLines.errorText(finished.path("error")) + "; the thread is as it was before it");
        }
        cli.out().flush();
    }

    /** What to show of a run's output: a CrewOutput's {@code raw} text, else the whole output. */
    static JsonNode answer(JsonNode output) {
        JsonNode raw = output.path("raw");
        return raw.isTextual() ? raw : output;
    }
}
