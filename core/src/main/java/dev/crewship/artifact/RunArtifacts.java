package dev.crewship.artifact;

import dev.crewship.auth.Principal;
import dev.crewship.error.CrewshipException;
import dev.crewship.run.RunService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Reading the artifacts a run left: their list, and the bytes of one. */
public final class RunArtifacts {
    private final RunService runs;
    private final ArtifactIndex index;
    private final ArtifactStore blobs;

    public RunArtifacts(RunService runs, ArtifactIndex index, ArtifactStore blobs) {
        this.runs = runs;
        this.index = index;
        this.blobs = blobs;
    }

    /** An artifact and its bytes; the caller closes the stream. */
    public record Download(Artifact artifact, InputStream content) {
    }

    /** Ordered by name. Unknown or foreign run → not found. */
    public List<Artifact> list(Principal principal, String runId) {
        runs.get(principal, runId);
        return index.list(runId);
    }

    public Download open(Principal principal, String runId, String name) {
        runs.get(principal, runId);
        Artifact artifact = index.find(runId, name)
                .orElseThrow(() -> CrewshipException.notFound("artifact", name + " of run " + runId));
        try {
            return new Download(artifact, blobs.open(artifact.sha256()));
        } catch (IOException e) {
            throw new UncheckedIOException("artifact " + name + " of run " + runId + " is recorded but its bytes cannot be read", e);
        }
    }
}
