package dev.crewship.cli.init;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds a crew's entrypoint ({@code module:attribute}, docs/runtime-protocol.md) from its files, in
 * this order: a CrewAI project's {@code @CrewBase} class ({@code src/<pkg>/crew.py} →
 * {@code pkg.crew:ClassName}), a CrewAI Flow class ({@code src/<pkg>/main.py} → {@code pkg.main:Name}),
 * a module with {@code def kickoff(} ({@code main.py} first). The runtime puts both the crew folder and
 * its {@code src/} on {@code sys.path}, so modules under {@code src/} are named without it.
 */
public final class EntrypointDetector {
    private static final Pattern CREW_BASE_CLASS = Pattern.compile("^@CrewBase\\b[^\\n]*\\n(?:\\s*@[^\\n]*\\n)*\\s*class\\s+([A-Za-z_]\\w*)", Pattern.MULTILINE);
    private static final Pattern FLOW_CLASS = Pattern.compile("^class\\s+([A-Za-z_]\\w*)\\s*\\(\\s*Flow\\b", Pattern.MULTILINE);
    private static final Pattern KICKOFF_FUNCTION = Pattern.compile("^def\\s+kickoff\\s*\\(\\s*[A-Za-z_]", Pattern.MULTILINE);

    private EntrypointDetector() {
    }

    /** @param why where it was found, for the message and the comment in crewship.toml */
    public record Entrypoint(String value, String why) {
    }

    public static Optional<Entrypoint> detect(Path crewFolder) {
        List<Path> packages = packages(crewFolder);
        for (Path pkg : packages) {
            Optional<Entrypoint> found = find(crewFolder, pkg.resolve("crew.py"), CREW_BASE_CLASS, "@CrewBase class");
            if (found.isPresent()) {
                return found;
            }
        }
        for (Path pkg : packages) {
            Optional<Entrypoint> found = find(crewFolder, pkg.resolve("main.py"), FLOW_CLASS, "Flow class");
            if (found.isPresent()) {
                return found;
            }
        }
        for (Path module : kickoffCandidates(crewFolder, packages)) {
            if (matches(module, KICKOFF_FUNCTION)) {
                return Optional.of(new Entrypoint(moduleName(crewFolder, module) + ":kickoff",
                        relative(crewFolder, module) + " defines kickoff(inputs)"));
            }
        }
        return Optional.empty();
    }

    /** Package folders: {@code src/<pkg>/} (CrewAI's layout) first, then top-level packages. */
    private static List<Path> packages(Path crewFolder) {
        List<Path> packages = new ArrayList<>(subfolders(crewFolder.resolve("src")));
        packages.addAll(subfolders(crewFolder));
        return packages;
    }

    private static List<Path> kickoffCandidates(Path crewFolder, List<Path> packages) {
        List<Path> candidates = new ArrayList<>();
        candidates.add(crewFolder.resolve("main.py"));
        candidates.addAll(pythonFiles(crewFolder));
        for (Path pkg : packages) {
            candidates.add(pkg.resolve("main.py"));
            candidates.addAll(pythonFiles(pkg));
        }
        return candidates.stream().distinct().filter(Files::isRegularFile).toList();
    }

    private static Optional<Entrypoint> find(Path crewFolder, Path file, Pattern pattern, String what) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Matcher matcher = pattern.matcher(read(file));
        if (!matcher.find()) {
            return Optional.empty();
        }
        String name = matcher.group(1);
        return Optional.of(new Entrypoint(moduleName(crewFolder, file) + ":" + name,
                relative(crewFolder, file) + " defines the " + what + " " + name));
    }

    private static boolean matches(Path file, Pattern pattern) {
        return pattern.matcher(read(file)).find();
    }

    /** {@code src/pkg/crew.py} → {@code pkg.crew}; {@code main.py} → {@code main}. */
    static String moduleName(Path crewFolder, Path file) {
        Path relative = crewFolder.relativize(file);
        if (relative.getNameCount() > 1 && relative.getName(0).toString().equals("src")) {
            relative = relative.subpath(1, relative.getNameCount());
        }
        String dotted = relative.toString().replace('/', '.');
        return dotted.substring(0, dotted.length() - ".py".length());
    }

    private static String relative(Path crewFolder, Path file) {
        return crewFolder.relativize(file).toString();
    }

    private static List<Path> subfolders(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(folder)) {
            return children.filter(Files::isDirectory)
                    .filter(child -> child.getFileName().toString().matches("[A-Za-z_]\\w*"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> pythonFiles(Path folder) {
        try (Stream<Path> children = Files.list(folder)) {
            return children.filter(child -> child.getFileName().toString().matches("[A-Za-z_]\\w*\\.py"))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            // Lenient decoding: a stray non-UTF-8 byte must not stop the detection.
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
