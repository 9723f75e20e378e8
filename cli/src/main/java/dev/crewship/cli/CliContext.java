package dev.crewship.cli;

import dev.crewship.cli.output.Terminal;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the CLI gets from the process it runs in: environment, current folder, home, streams and the
 * terminal. Passed in rather than read globally so tests run commands against folders and
 * environments of their own.
 */
public record CliContext(Map<String, String> env, Path workingDir, Path home, PrintStream out, PrintStream err,
                         InputStream in, Terminal terminal) {

    public static CliContext ofProcess() {
        Map<String, String> env = System.getenv();
        return new CliContext(env, Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")),
                new PrintStream(System.out, true, StandardCharsets.UTF_8),
                new PrintStream(System.err, true, StandardCharsets.UTF_8),
                System.in, Terminal.detect(env));
    }
}
