package dev.crewship.executor.process;

import dev.crewship.deployment.EnvironmentBuilder.BuildFailedException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;

/**
 * A deployment's dependencies: {@code requirements.txt}, else {@code pyproject.toml}'s
 * {@code [project] dependencies}, else none. Only requirements on packages from the server's package
 * index are accepted: options ({@code -e}, {@code -r}, {@code --index-url}, …), local paths and URLs
 * are rejected, because the build runs on the server and must neither read the server's files nor
 * fetch from places the operator did not choose. {@code --hash=} options after a requirement are kept.
 *
 * @param source where they came from, for messages ({@code requirements.txt}, {@code pyproject.toml}, {@code none})
 * @param lines  the requirements, whitespace-normalized, sorted and without duplicates
 */
record Requirements(String source, List<String> lines) {
    static final String REQUIREMENTS_TXT = "requirements.txt";
    static final String PYPROJECT_TOML = "pyproject.toml";
    /** Most requirements one deployment may list. */
    static final int MAX_REQUIREMENTS = 2_000;
    /** Longest requirement (after joining continuation lines). */
    static final int MAX_REQUIREMENT_CHARS = 8_192;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");
    private static final Pattern HASH_OPTION = Pattern.compile("--hash=[a-z0-9]+:[0-9a-fA-F]+");
    private static final Pattern COMMENT = Pattern.compile("(^|\\s)#.*$");
    private static final List<String> ARCHIVE_SUFFIXES = List.of(".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar");

    Requirements {
        lines = List.copyOf(lines);
    }

    static Requirements read(Path sourceDir) throws BuildFailedException {
        Path requirementsTxt = sourceDir.resolve(REQUIREMENTS_TXT);
        if (Files.exists(requirementsTxt, LinkOption.NOFOLLOW_LINKS)) {
            return fromRequirementsTxt(readText(requirementsTxt));
        }
        Path pyproject = sourceDir.resolve(PYPROJECT_TOML);
        if (Files.exists(pyproject, LinkOption.NOFOLLOW_LINKS)) {
            return fromPyproject(readText(pyproject));
        }
        return new Requirements("none", List.of());
    }

    static Requirements fromRequirementsTxt(String text) throws BuildFailedException {
        List<String> requirements = new ArrayList<>();
        String[] physical = text.split("\r?\n", -1);
        StringBuilder logical = new StringBuilder();
        int firstLine = 0;
        for (int i = 0; i < physical.length; i++) {
            if (logical.isEmpty()) {
                firstLine = i + 1;
            }
            String line = physical[i];
            // A comment ends a line even when the line before was continued (pip's rule).
            line = COMMENT.matcher(line).replaceFirst("");
            if (line.endsWith("\\")) {
                logical.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            logical.append(line);
            String requirement = logical.toString().strip();
            logical.setLength(0);
            if (!requirement.isEmpty()) {
                requirements.add(check(requirement, REQUIREMENTS_TXT + " line " + firstLine));
            }
        }
        if (!logical.toString().isBlank()) {
            requirements.add(check(logical.toString().strip(), REQUIREMENTS_TXT + " line " + firstLine));
        }
        return normalized(REQUIREMENTS_TXT, requirements);
    }

    static Requirements fromPyproject(String text) throws BuildFailedException {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            throw new BuildFailedException(PYPROJECT_TOML + " is not valid TOML: " + toml.errors().getFirst().toString());
        }
        if (!toml.contains("project.dependencies")) {
            return new Requirements("none", List.of());
        }
        if (!toml.isArray("project.dependencies")) {
            throw new BuildFailedException(PYPROJECT_TOML + ": [project] dependencies must be an array of strings");
        }
        TomlArray dependencies = toml.getArray("project.dependencies");
        List<String> requirements = new ArrayList<>();
        for (int i = 0; i < dependencies.size(); i++) {
            if (!(dependencies.get(i) instanceof String requirement)) {
                throw new BuildFailedException(PYPROJECT_TOML + ": [project] dependencies must be an array of strings");
            }
            requirements.add(check(requirement.strip(), PYPROJECT_TOML + " dependency " + (i + 1)));
        }
        return normalized(PYPROJECT_TOML, requirements);
    }

    /** One requirement, checked, with runs of whitespace collapsed. */
    static String check(String requirement, String where) throws BuildFailedException {
        if (requirement.length() > MAX_REQUIREMENT_CHARS) {
            throw new BuildFailedException(where + " is longer than " + MAX_REQUIREMENT_CHARS + " characters");
        }
        String collapsed = requirement.replaceAll("\\s+", " ");
        if (collapsed.startsWith("-")) {
            String option = collapsed.split("[ =]", 2)[0];
            throw new BuildFailedException(where + ": the option '" + option + "' is not supported; list packages from the"
                    + " package index only (no -e, -r, -c, --index-url, --find-links)");
        }
        int optionsAt = collapsed.indexOf(" --");
        String specifier = optionsAt < 0 ? collapsed : collapsed.substring(0, optionsAt);
        String options = optionsAt < 0 ? "" : collapsed.substring(optionsAt + 1);
        for (String option : options.isEmpty() ? new String[0] : options.split(" ")) {
            if (!HASH_OPTION.matcher(option).matches()) {
                throw new BuildFailedException(where + ": the option '" + option.split("=", 2)[0]
                        + "' is not supported; only --hash=<algorithm>:<digest> may follow a requirement");
            }
        }
        String beforeMarker = specifier.split(";", 2)[0];
        if (specifier.contains("://") || beforeMarker.contains("@") || specifier.startsWith(".") || specifier.startsWith("/")
                || specifier.startsWith("~")) {
            throw new BuildFailedException(where + ": '" + specifier + "' refers to a URL or a local path; only packages"
                    + " from the package index can be installed");
        }
        var name = NAME.matcher(specifier);
        if (!name.lookingAt()) {
            throw new BuildFailedException(where + ": '" + specifier + "' is not a valid requirement");
        }
        String rest = specifier.substring(name.end()).stripLeading();
        if (!rest.isEmpty() && "[(<>=!~;".indexOf(rest.charAt(0)) < 0) {
            throw new BuildFailedException(where + ": '" + specifier + "' is not a valid requirement");
        }
        String lowerName = name.group().toLowerCase();
        if (ARCHIVE_SUFFIXES.stream().anyMatch(lowerName::endsWith)) {
            throw new BuildFailedException(where + ": '" + specifier + "' refers to a local file; only packages"
                    + " from the package index can be installed");
        }
        return collapsed;
    }

    private static Requirements normalized(String source, List<String> requirements) throws BuildFailedException {
        if (requirements.size() > MAX_REQUIREMENTS) {
            throw new BuildFailedException(source + " lists " + requirements.size() + " requirements; at most "
                    + MAX_REQUIREMENTS + " are allowed");
        }
        return new Requirements(requirements.isEmpty() ? "none" : source, List.copyOf(new TreeSet<>(requirements)));
    }

    private static String readText(Path file) throws BuildFailedException {
        // Never through a link: the build runs on the server, and a link could point at any of its files.
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException(file.getFileName() + " must be a regular file (not a link or a folder)");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new BuildFailedException(file.getFileName() + " is not UTF-8 text");
        } catch (IOException e) {
            throw new BuildFailedException("cannot read " + file.getFileName() + ": " + e.getMessage());
        }
    }
}
