package dev.crewship.cli.init;

/** The commented {@code crewship.toml} that {@code crewship init} writes (shape: docs/crewship-toml.md). */
final class CrewshipTomlTemplate {
    private CrewshipTomlTemplate() {
    }

    static String render(EntrypointDetector.Entrypoint entrypoint, boolean hasTestsFolder) {
        return """
                # Crewship deployment settings for this crew (reference: docs/crewship-toml.md).

                [deployment]
                framework = "crewai"
                # What Crewship calls with the run's input: module:attribute.
                # Found by 'crewship init': %s.
                entrypoint = "%s"
                # The Python version deployments use (it must exist on the server).
                python = "3.11"

                [build]
                # Paths (gitignore-style) left out of the upload, on top of .gitignore and .crewshipignore.
                # .venv, .git, __pycache__ and artifacts/ are never uploaded.
                exclude = [%s]

                # Limits of one run; every key is optional and shows its default.
                # [runtime]
                # timeout = "1h"
                # memory_mb = 4096
                # max_processes = 256
                # cpu_seconds = 3600
                # network = false      # true lets the crew reach the network (needed for real LLM APIs)
                """.formatted(entrypoint.why(), entrypoint.value(), hasTestsFolder ? "\"tests\"" : "");
    }
}
