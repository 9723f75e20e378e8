package dev.crewship.artifact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * Collects what a finished run left in its artifacts folder: every regular file, nested folders
 * included ({@code charts/q1.png}), copied into the {@link ArtifactStore}.
 *
 * <p>What is not collected, each with a note for the run's log: symbolic links (never followed:
 * a crew must not be able to make the server read files outside its folder), special files,
 * unreadable files, names longer than {@link ArtifactLimits#MAX_NAME_BYTES}, and files beyond the
 * {@link ArtifactLimits}. Files are taken in name order, so which ones fit the per-run limit is
 * deterministic. Skipping a file does not fail the run: the crew's result is still valid, and the
 * notes tell the user exactly what is missing.
 */
public final class ArtifactCollector {
    private final ArtifactStore store;
    private final ArtifactLimits limits;
    private final Clock clock;

    public ArtifactCollector(ArtifactStore store, ArtifactLimits limits, Clock clock) {
        this.store = store;
        this.limits = limits;
        this.clock = clock;
    }

    /** The collected artifacts (ordered by name) and a note for each file that was left out. */
    public record Collected(List<Artifact> artifacts, List<String> notes) {
        public Collected {
            artifacts = List.copyOf(artifacts);
            notes = List.copyOf(notes);
        }

        public long totalBytes() {
            return artifacts.stream().mapToLong(Artifact::size).sum();
        }
    }

    /** Walks {@code artifactsDir} (absent means no artifacts) and stores what it may. */
    public Collected collect(String runId, Path artifactsDir) {
        List<String> notes = new ArrayList<>();
        if (!Files.isDirectory(artifactsDir, LinkOption.NOFOLLOW_LINKS)) {
            return new Collected(List.of(), notes);
        }
        List<Candidate> candidates = findFiles(artifactsDir, notes);
        candidates.sort(Comparator.comparing(Candidate::name));
        List<Artifact> artifacts = new ArrayList<>();
        long total = 0;
        for (Candidate file : candidates) {
            if (artifacts.size() >= limits.maxFiles()) {
                notes.add("artifact " + file.name() + " was not stored: a run may keep at most " + limits.maxFiles() + " artifacts");
                continue;
            }
            if (file.size() > limits.maxFileBytes()) {
                notes.add("artifact " + file.name() + " (" + Bytes.human(file.size()) + ") was not stored: it is larger than the "
                        + Bytes.human(limits.maxFileBytes()) + " limit for one artifact");
                continue;
            }
            if (total + file.size() > limits.maxRunBytes()) {
                notes.add("artifact " + file.name() + " (" + Bytes.human(file.size()) + ") was not stored: it would take the run's artifacts past the "
                        + Bytes.human(limits.maxRunBytes()) + " limit for all artifacts of a run");
                continue;
            }
            try {
                StoredBlob blob = store.put(file.path());
                total += blob.size();
                artifacts.add(new Artifact(runId, file.name(), blob.size(), ContentTypes.of(file.name()), blob.sha256(), clock.instant()));
            } catch (IOException e) {
                notes.add("artifact " + file.name() + " was not stored: " + e.getMessage());
            }
        }
        return new Collected(artifacts, notes);
    }

    private record Candidate(String name, Path path, long size) {
    }

    private List<Candidate> findFiles(Path root, List<String> notes) {
        List<Candidate> found = new ArrayList<>();
        try {
            // No FOLLOW_LINKS: links are reported as links (visitFile) and never entered.
            Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String name = nameOf(root, file);
                    if (attrs.isSymbolicLink()) {
                        notes.add("artifact " + name + " was not stored: it is a symbolic link (links are never followed)");
                    } else if (!attrs.isRegularFile()) {
                        notes.add("artifact " + name + " was not stored: it is not a regular file");
                    } else if (name.getBytes(StandardCharsets.UTF_8).length > ArtifactLimits.MAX_NAME_BYTES) {
                        notes.add("an artifact was not stored: its name is longer than " + ArtifactLimits.MAX_NAME_BYTES + " bytes");
                    } else {
                        found.add(new Candidate(name, file, attrs.size()));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    notes.add("artifact " + nameOf(root, file) + " was not stored: it could not be read");
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            notes.add("the artifacts folder could not be read: " + e.getMessage());
        }
        return found;
    }

    private static String nameOf(Path root, Path file) {
        return StreamSupport.stream(root.relativize(file).spliterator(), false)
                .map(Path::toString)
                .collect(Collectors.joining("/"));
    }
}
