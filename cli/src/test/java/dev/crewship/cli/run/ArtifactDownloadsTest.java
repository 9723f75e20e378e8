package dev.crewship.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ArtifactDownloadsTest {
    @Test
    void keepsFoldersOfNestedNamesInThePath() {
        assertThat(ArtifactDownloads.path("run_1", "charts/q1 final.png")).isEqualTo("/v1/runs/run_1/artifacts/charts/q1%20final.png");
    }

    @Test
    void refusesNamesThatLeaveTheTargetFolder() {
        Path folder = Path.of("/tmp/out");
        assertThat(ArtifactDownloads.targetBelow(folder, "charts/q1.png")).isEqualTo(Path.of("/tmp/out/charts/q1.png"));
        assertThatThrownBy(() -> ArtifactDownloads.targetBelow(folder, "../etc/passwd")).hasMessageContaining("outside");
        assertThatThrownBy(() -> ArtifactDownloads.targetBelow(folder, "/etc/passwd")).hasMessageContaining("outside");
        assertThatThrownBy(() -> ArtifactDownloads.targetBelow(folder, ".")).hasMessageContaining("outside");
    }
}
