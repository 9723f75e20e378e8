package dev.crewship.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.ApiException;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.config.ProjectChoice;
import dev.crewship.cli.output.Ansi;
import dev.crewship.cli.output.Formats;
import dev.crewship.cli.output.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crewship deploy}: packs the crew folder, creates the project when it does not exist yet,
 * uploads, follows the build log and ends with the deployment's id and status. With
 * {@code --rollback dep_…} it makes an earlier deployment current again instead.
 */
@Command(name = "deploy", sortOptions = false,
        description = {"Deploy the crew in the current folder (or FOLDER), or roll back to an earlier deployment.",
                "Leaves out [build] exclude, .gitignore and .crewshipignore paths, and always .venv, .git, __pycache__ and artifacts/."})
public final class DeployCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FOLDER", description = "The crew folder (default: the current folder)")
    private Path folder;

    @Option(names = {"-p", "--project"}, paramLabel = "NAME",
            description = "Project (default: $CREWSHIP_PROJECT, else the crew folder's name); created when missing")
    private String project;

    @Option(names = "--rollback", paramLabel = "DEPLOYMENT_ID", description = "Make this earlier deployment current again (no upload, no rebuild)")
    private String rollback;

    @Option(names = "--no-wait", description = "Return once uploaded, without following the build")
    private boolean noWait;

    @Option(names = "--json", description = "Print the deployment (or, with --rollback, the project) as JSON")
    private boolean json;

    private final CrewshipCommand cli;

    DeployCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        return rollback != null ? rollBack() : deploy();
    }

    private int deploy() {
        Path crewFolder = folder == null ? cli.context().workingDir() : cli.context().workingDir().resolve(folder).normalize();
        CrewToml toml = CrewToml.read(crewFolder);
        ProjectChoice choice = ProjectChoice.require(project, cli.context().env(), crewFolder);
        ApiClient api = cli.api();
        cli.note("Deploying " + crewFolder + " (entrypoint " + toml.entrypoint() + ") to " + choice.describe());
        ensureProject(api, choice.name());

        JsonNode deployment = upload(api, choice.name(), crewFolder, toml);
        String id = Json.text(deployment, "id");
        if (noWait) {
            return finish(deployment, choice.name());
        }
        cli.note("Building " + id + " (dependencies are installed on the server)...");
        followBuildLog(api, id);
        return finish(api.get("/v1/deployments/" + ApiClient.encode(id)), choice.name());
    }

    private void ensureProject(ApiClient api, String name) {
        try {
            api.get("/v1/projects/" + ApiClient.encode(name));
            return;
        } catch (ApiException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
        try {
            api.post("/v1/projects", Json.object().put("name", name));
        } catch (ApiException e) {
            if (e.status() == 403) {
                throw new CliException("project " + name + " does not exist and this API key may not create projects"
                        + " (an admin key can: 'crewship projects create " + name + "')");
            }
            if (e.status() != 409) {
                throw e;
            }
        }
        cli.note("Created project " + name);
    }

    private JsonNode upload(ApiClient api, String project, Path crewFolder, CrewToml toml) {
        Path bundleFile;
        try {
            bundleFile = Files.createTempFile("crewship-bundle-", ".tar.gz");
        } catch (IOException e) {
            throw new CliException("cannot create a temporary file for the bundle: " + e.getMessage(), e);
        }
        try {
            BundlePacker.Bundle bundle = BundlePacker.pack(crewFolder, toml.buildExclude(), bundleFile);
            cli.note("Packed " + bundle.files() + " files (" + Formats.bytes(bundle.bytes()) + ", "
                    + Formats.bytes(bundle.compressedBytes()) + " compressed)"
                    + (bundle.excluded().isEmpty() ? "" : "; left out: " + summary(bundle)));
            try (ProgressBar progress = ProgressBar.start(cli.err(), cli.context().terminal(), "Uploading", bundle.compressedBytes())) {
                return api.upload("/v1/projects/" + ApiClient.encode(project) + "/deployments", bundleFile,
                        "application/gzip", progress::advance);
            }
        } finally {
            try {
                Files.deleteIfExists(bundleFile);
            } catch (IOException e) {
                cli.note("Could not remove the temporary bundle " + bundleFile + ": " + e.getMessage());
            }
        }
    }

    private static String summary(BundlePacker.Bundle bundle) {
        int shown = Math.min(6, bundle.excluded().size());
        String names = String.join(", ", bundle.excluded().subList(0, shown));
        return bundle.excluded().size() > shown ? names + " and " + (bundle.excluded().size() - shown) + " more" : names;
    }

    /** Prints the build log as it is written; the log goes to stderr when stdout carries JSON. */
    private void followBuildLog(ApiClient api, String id) {
        PrintStream logOut = json ? cli.err() : cli.out();
        Ansi ansi = json ? cli.errAnsi() : cli.outAnsi();
        BuildLog.follow(api, id, line -> logOut.println(ansi.dim("  | ") + line));
    }

    private int finish(JsonNode deployment, String project) {
        String id = Json.text(deployment, "id");
        String status = Json.text(deployment, "status");
        if (json) {
            cli.printJson(deployment);
        }
        Ansi ansi = cli.outAnsi();
        PrintStream out = json ? cli.err() : cli.out();
        switch (status == null ? "" : status) {
            case "ready" -> out.println("Deployment " + ansi.bold(id) + " is " + ansi.status(status)
                    + (deployment.path("current").asBoolean(false) ? " and current for project " + project : " (not current)")
                    + (deployment.path("environment_reused").asBoolean(false) ? " (environment reused)" : ""));
            case "failed" -> {
                String error = Json.text(deployment, "error");
                throw new CliException("deployment " + id + " failed to build" + (error == null ? "" : ": " + error)
                        + " (full log: 'crewship deployments logs " + id + "')");
            }
            default -> out.println("Deployment " + ansi.bold(id) + " is " + ansi.status(status)
                    + " (follow it with 'crewship deployments logs " + id + " --follow')");
        }
        return 0;
    }

    private int rollBack() {
        ApiClient api = cli.api();
        JsonNode target = api.get("/v1/deployments/" + ApiClient.encode(rollback));
        String owner = Json.text(target, "project");
        ProjectChoice choice = ProjectChoice.explicit(project, cli.context().env())
                .orElse(new ProjectChoice(owner, "the deployment"));
        if (!choice.name().equals(owner)) {
            throw new CliException("deployment " + rollback + " belongs to project " + owner + ", not " + choice.describe());
        }
        String before = Json.text(api.get("/v1/projects/" + ApiClient.encode(owner)), "current_deployment_id");
        JsonNode projectAfter = api.post("/v1/projects/" + ApiClient.encode(owner) + "/rollback",
                Json.object().put("deployment_id", rollback));
        if (json) {
            cli.printJson(projectAfter);
            return 0;
        }
        Ansi ansi = cli.outAnsi();
        cli.out().println("Project " + owner + " now runs " + ansi.bold(Json.text(projectAfter, "current_deployment_id"))
                + (before == null || before.equals(rollback) ? "" : " (was " + before + ")"));
        return 0;
    }
}
