package dev.crewship.cli.init;

import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.deploy.CrewToml;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crewship init}: writes a commented {@code crewship.toml} for the crew in the current folder,
 * with the entrypoint found by {@link EntrypointDetector}. Never overwrites an existing file.
 */
@Command(name = "init", description = {"Write a crewship.toml for the crew in the current folder.",
        "Detects the entrypoint of a CrewAI project (src/<pkg>/crew.py with a @CrewBase class) or of a module defining kickoff(inputs)."})
public final class InitCommand implements Runnable {
    @Option(names = "--entrypoint", paramLabel = "MODULE:ATTRIBUTE", description = "Use this entrypoint instead of detecting one")
    private String entrypoint;

    private final CrewshipCommand cli;

    InitCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public void run() {
        Path folder = cli.context().workingDir();
        Path file = folder.resolve(CrewToml.FILE_NAME);
        if (Files.exists(file)) {
            throw new CliException(file + " already exists; edit it (docs/crewship-toml.md) or remove it first");
        }
        EntrypointDetector.Entrypoint chosen = chosenEntrypoint(folder);
        String text = CrewshipTomlTemplate.render(chosen, Files.isDirectory(folder.resolve("tests")));
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new CliException(file + " already exists; edit it (docs/crewship-toml.md) or remove it first");
        } catch (IOException e) {
            throw new CliException("cannot write " + file + ": " + e.getMessage(), e);
        }
        cli.out().println("Wrote " + CrewToml.FILE_NAME + " with entrypoint " + cli.outAnsi().bold(chosen.value()) + " (" + chosen.why() + ")");
        if (!Files.exists(folder.resolve("requirements.txt")) && !Files.exists(folder.resolve("pyproject.toml"))) {
            cli.note("No requirements.txt or pyproject.toml here: the crew will get no extra Python packages.");
        }
        cli.note("Next: 'crewship deploy' uploads this folder.");
    }

    private EntrypointDetector.Entrypoint chosenEntrypoint(Path folder) {
        if (entrypoint != null) {
            if (!entrypoint.matches("[A-Za-z_][\\w.]*:[A-Za-z_]\\w*")) {
                throw new CliException("--entrypoint must look like module:attribute (e.g. my_crew.crew:MyCrew), not '" + entrypoint + "'");
            }
            return new EntrypointDetector.Entrypoint(entrypoint, "given with --entrypoint");
        }
        return EntrypointDetector.detect(folder).orElseThrow(() -> new CliException(
                "found no crew entrypoint in " + folder + " (looked for a @CrewBase class in src/<pkg>/crew.py, a Flow class,"
                        + " and def kickoff(inputs) in a module); pass --entrypoint module:attribute"));
    }
}
