package dev.crewship.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.output.Ansi;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crewship runs list | get | events | cancel | artifacts | download}. */
@Command(name = "runs", addMethodSubcommands = false, description = "List, inspect and cancel runs; list and download their artifacts.")
public final class RunsCommand {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final CrewshipCommand cli;

    RunsCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Command(name = "list", description = "List runs, newest first (a project's when one is named, else all the key may see).")
    void list(@Option(names = {"-p", "--project"}, paramLabel = "NAME", description = "Only this project's runs (default: $CREWSHIP_PROJECT, else the crew folder's name)") String project,
              @Option(names = {"-d", "--deployment"}, paramLabel = "DEPLOYMENT_ID", description = "Only this deployment's runs") String deployment,
              @Option(names = "--status", paramLabel = "STATUS", description = "Only runs in this status: pending, running, succeeded, failed, canceled") String status,
              @Option(names = "--limit", defaultValue = "20", description = "How many (1-100, default ${DEFAULT-VALUE})") int limit,
              @Option(names = "--starting-after", paramLabel = "RUN_ID", description = "The page after this run (the next_cursor of --json)") String startingAfter,
              @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        StringJoiner query = new StringJoiner("&", "/v1/runs?", "");
        query.add("limit=" + limit);
        cli.optionalProject(project).ifPresent(choice -> query.add("project=" + ApiClient.encode(choice.name())));
        addParameter(query, "deployment_id", deployment);
        addParameter(query, "status", status);
        addParameter(query, "starting_after", startingAfter);
        JsonNode page = cli.api().get(query.toString());
        if (json) {
            cli.printJson(page);
            return;
        }
        if (page.path("data").isEmpty()) {
            cli.out().println("No runs yet (start one with 'crewship invoke').");
            return;
        }
        Ansi ansi = cli.outAnsi();
        Table table = Table.withHeaders("ID", "STATUS", "PROJECT", "DEPLOYMENT", "CREATED", "DURATION");
        for (JsonNode run : page.path("data")) {
            table.row(Json.text(run, "id"), ansi.status(Json.text(run, "status")), Json.text(run, "project"),
                    Json.text(run, "deployment_id"), Formats.timestamp(Json.text(run, "created_at")),
                    run.hasNonNull("duration_ms") ? Formats.duration(run.get("duration_ms").asLong()) : "");
        }
        cli.out().print(table.render(ansi));
        if (page.path("has_more").asBoolean(false)) {
            cli.note("More runs: --starting-after " + Json.text(page, "next_cursor"));
        }
    }

    @Command(name = "get", description = "Show a run: status, timing, input, output or error.")
    void get(@Parameters(paramLabel = "RUN_ID") String runId,
             @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode run = cli.api().get(runPath(runId));
        if (json) {
            cli.printJson(run);
            return;
        }
        Ansi ansi = cli.outAnsi();
        Table table = Table.withHeaders("FIELD", "VALUE")
                .row("id", Json.text(run, "id"))
                .row("status", ansi.status(Json.text(run, "status")))
                .row("project", Json.text(run, "project"))
                .row("deployment", Json.text(run, "deployment_id"))
                .row("created", Formats.timestamp(Json.text(run, "created_at")))
                .row("started", Formats.timestamp(Json.text(run, "started_at")))
                .row("finished", Formats.timestamp(Json.text(run, "finished_at")))
                .row("duration", run.hasNonNull("duration_ms") ? Formats.duration(run.get("duration_ms").asLong()) : "")
                .row("input", run.has("input") ? Json.compact(run.get("input")) : "");
        if (run.hasNonNull("thread_id")) {
            table.row("thread", Json.text(run, "thread_id"));
        }
        cli.out().print(table.render(ansi));
        if (run.hasNonNull("output")) {
            cli.out().println();
            cli.out().println(ansi.bold("Output"));
            RunPrinter.printOutput(cli.out(), run.get("output"));
        }
        JsonNode error = run.path("error");
        if (error.isObject()) {
            cli.out().println();
            cli.out().println(ansi.bold("Error") + " " + ansi.red(EventLines.errorText(error)));
            if (error.hasNonNull("traceback")) {
                cli.out().println(error.get("traceback").asText());
            }
        }
    }

    @Command(name = "events", description = "Print a run's events (all so far, or live with --follow).")
    void events(@Parameters(paramLabel = "RUN_ID") String runId,
                @Option(names = {"-f", "--follow"}, description = "Keep printing events as they happen until the run ends") boolean follow,
                @Option(names = "--json", description = "Print the API's JSON (without --follow)") boolean json) {
        if (follow) {
            if (json) {
                throw new CliException("--json lists the events so far; leave it out to follow them live");
            }
            RunFollower.follow(cli.api(), runId, event -> cli.out().println(
                    EventLines.format(LocalTime.now().format(CLOCK), event.type(), event.json(), cli.outAnsi())));
            return;
        }
        List<JsonNode> events = new ArrayList<>();
        JsonNode page;
        long after = 0;
        do {
            page = cli.api().get(runPath(runId) + "/events?after=" + after);
            page.path("data").forEach(events::add);
            if (!events.isEmpty()) {
                after = events.getLast().path("seq").asLong();
            }
        } while (page.path("has_more").asBoolean(false) && !page.path("data").isEmpty());
        if (json) {
            cli.printJson(Json.object().put("object", "list").set("data", Json.array().addAll(events)));
            return;
        }
        for (JsonNode event : events) {
            cli.out().println(EventLines.format(Formats.clockTime(Json.text(event, "created_at")),
                    Json.text(event, "type"), event.path("data"), cli.outAnsi()));
        }
    }

    @Command(name = "cancel", description = "Cancel a pending or running run (its processes are killed).")
    void cancel(@Parameters(paramLabel = "RUN_ID") String runId,
                @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode run = cli.api().post(runPath(runId) + "/cancel", Json.object());
        if (json) {
            cli.printJson(run);
            return;
        }
        cli.out().println("Run " + runId + " is " + cli.outAnsi().status(Json.text(run, "status")));
    }

    @Command(name = "artifacts", description = "List the files a run produced.")
    void artifacts(@Parameters(paramLabel = "RUN_ID") String runId,
                   @Option(names = "--json", description = "Print the API's JSON") boolean json) {
        JsonNode list = cli.api().get(runPath(runId) + "/artifacts");
        if (json) {
            cli.printJson(list);
            return;
        }
        if (list.path("data").isEmpty()) {
            cli.out().println("Run " + runId + " has no artifacts (a crew writes them to /app/artifacts/).");
            return;
        }
        Table table = Table.withHeaders("NAME", "SIZE", "TYPE", "CREATED");
        for (JsonNode artifact : list.path("data")) {
            table.row(Json.text(artifact, "name"), Formats.bytes(artifact.path("size").asLong()),
                    Json.text(artifact, "content_type"), Formats.timestamp(Json.text(artifact, "created_at")));
        }
        cli.out().print(table.render(cli.outAnsi()));
    }

    @Command(name = "download", description = {"Download an artifact of a run to the current folder (or -o PATH).",
            "With --all, every artifact, keeping their folders."})
    void download(@Parameters(index = "0", paramLabel = "RUN_ID") String runId,
                  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "The artifact, as 'crewship runs artifacts' lists it") String name,
                  @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Where to write it (a file, or a folder that exists; with --all: the folder)") Path output,
                  @Option(names = "--all", description = "Download every artifact of the run") boolean all,
                  @Option(names = "--force", description = "Overwrite files that exist") boolean force) {
        if (all == (name != null)) {
            throw new CliException(all ? "give either an artifact NAME or --all, not both"
                    : "which artifact? give its NAME (see 'crewship runs artifacts " + runId + "') or --all");
        }
        ArtifactDownloads downloads = new ArtifactDownloads(cli.api(), cli.err(), cli.context().terminal());
        Path workingDir = cli.context().workingDir();
        if (!all) {
            Path target = singleTarget(workingDir, output, name);
            refuseToOverwrite(List.of(target), force);
            long size = downloads.download(runId, name, target);
            cli.out().println("Downloaded " + name + " (" + Formats.bytes(size) + ") to " + workingDir.relativize(target.toAbsolutePath()));
            return;
        }
        Path folder = output == null ? workingDir : workingDir.resolve(output);
        List<String> names = new ArrayList<>();
        cli.api().get(runPath(runId) + "/artifacts").path("data").forEach(artifact -> names.add(Json.text(artifact, "name")));
        if (names.isEmpty()) {
            cli.out().println("Run " + runId + " has no artifacts.");
            return;
        }
        List<Path> targets = names.stream().map(artifact -> ArtifactDownloads.targetBelow(folder, artifact)).toList();
        refuseToOverwrite(targets, force);
        long total = 0;
        for (int i = 0; i < names.size(); i++) {
            total += downloads.download(runId, names.get(i), targets.get(i));
            cli.out().println(targets.get(i).toAbsolutePath().normalize());
        }
        cli.note("Downloaded " + names.size() + " artifacts (" + Formats.bytes(total) + ")");
    }

    /** {@code ./<last segment of NAME>}, or {@code -o}: a file path, or a folder that exists. */
    private static Path singleTarget(Path workingDir, Path output, String name) {
        String fileName = name.substring(name.lastIndexOf('/') + 1);
        if (output == null) {
            return ArtifactDownloads.targetBelow(workingDir, fileName);
        }
        Path resolved = workingDir.resolve(output);
        return Files.isDirectory(resolved) ? ArtifactDownloads.targetBelow(resolved, fileName) : resolved;
    }

    private static void refuseToOverwrite(List<Path> targets, boolean force) {
        if (force) {
            return;
        }
        for (Path target : targets) {
            if (Files.exists(target)) {
                throw new CliException(target + " already exists (pass --force to overwrite it); nothing was downloaded");
            }
        }
    }

    private static String runPath(String runId) {
        return "/v1/runs/" + ApiClient.encode(runId);
    }

    private static void addParameter(StringJoiner query, String name, String value) {
        if (value != null) {
            query.add(name + "=" + ApiClient.encode(value));
        }
    }
}
