package dev.crewship.artifact;

import java.util.List;
import java.util.Optional;

/** Reads the artifacts recorded for runs (they are written by {@code RunStore.finish}). */
public interface ArtifactIndex {
    /** Ordered by name. */
    List<Artifact> list(String runId);

    Optional<Artifact> find(String runId, String name);
}
