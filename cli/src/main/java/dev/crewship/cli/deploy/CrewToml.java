package dev.crewship.cli.deploy;

import dev.crewship.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;

/**
 * What the CLI reads from a crew's {@code crewship.toml} before uploading it (docs/crewship-toml.md).
 * The server validates the whole file; the CLI needs only the entrypoint (to show it) and
 * {@code [build] exclude} (to pack), and catches syntax errors before anything is sent.
 */
public record CrewToml(String entrypoint, List<String> buildExclude) {
    public static final String FILE_NAME = "crewship.toml";

    public static CrewToml read(Path crewFolder) {
        Path file = crewFolder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new CliException("no " + FILE_NAME + " in " + crewFolder.toAbsolutePath().normalize()
                    + " (run 'crewship init' there to create one, or cd into your crew's folder)");
        }
        TomlParseResult toml;
        try {
            toml = Toml.parse(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (toml.hasErrors()) {
            throw new CliException(FILE_NAME + " is not valid TOML: " + toml.errors().getFirst());
        }
        return new CrewToml(stringOrNull(toml, "deployment.entrypoint"), excludes(toml));
    }

    private static String stringOrNull(TomlParseResult toml, String key) {
        return toml.isString(key) ? toml.getString(key) : null;
    }

    private static List<String> excludes(TomlParseResult toml) {
        if (!toml.contains("build.exclude")) {
            return List.of();
        }
        if (!toml.isArray("build.exclude")) {
            throw new CliException(FILE_NAME + ": [build] exclude must be a list of strings, like exclude = [\"tests\"]");
        }
        TomlArray array = toml.getArray("build.exclude");
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String pattern)) {
                throw new CliException(FILE_NAME + ": [build] exclude must be a list of strings, like exclude = [\"tests\"]");
            }
            patterns.add(pattern);
        }
        return List.copyOf(patterns);
    }
}
