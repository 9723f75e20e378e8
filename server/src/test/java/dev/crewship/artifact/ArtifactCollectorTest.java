package dev.crewship.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.store.blob.FileArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactCollectorTest {
    @TempDir
    Path temp;

    private ArtifactCollector collector(ArtifactLimits limits) throws IOException {
        return new ArtifactCollector(new FileArtifactStore(temp.resolve("blobs")), limits, Clock.systemUTC());
    }

    private Path artifacts() throws IOException {
        return Files.createDirectories(temp.resolve("run/artifacts"));
    }

    @Test
    void collectsNestedFilesByRelativeNameWithTypeSizeAndHashByteForByte() throws Exception {
        Path dir = artifacts();
        byte[] png = new byte[70_000];
        new Random(7).nextBytes(png);
        Files.createDirectories(dir.resolve("charts/2025"));
        Files.write(dir.resolve("charts/2025/q1.png"), png);
        Files.writeString(dir.resolve("report.md"), "# Report ✓");
        Files.writeString(dir.resolve("data.JSON"), "{}");
        Files.writeString(dir.resolve("noextension"), "x");
        Files.createDirectories(dir.resolve("empty/folder"));
        FileArtifactStore blobs = new FileArtifactStore(temp.resolve("blobs"));

        ArtifactCollector.Collected collected = new ArtifactCollector(blobs, ArtifactLimits.defaults(), Clock.systemUTC())
                .collect("run_1", dir);

        assertThat(collected.notes()).isEmpty();
        assertThat(collected.artifacts()).extracting(Artifact::name)
                .containsExactly("charts/2025/q1.png", "data.JSON", "noextension", "report.md");
        assertThat(collected.artifacts()).extracting(Artifact::contentType)
                .containsExactly("image/png", "application/json", "application/octet-stream", "text/markdown; charset=utf-8");
        Artifact chart = collected.artifacts().getFirst();
        assertThat(chart.runId()).isEqualTo("run_1");
        assertThat(chart.size()).isEqualTo(png.length);
        assertThat(chart.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)));
        try (InputStream in = blobs.open(chart.sha256())) {
            assertThat(in.readAllBytes()).isEqualTo(png);
        }
        assertThat(collected.artifacts().get(3).size()).isEqualTo("# Report ✓".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void symbolicLinksAreSkippedNeverFollowedAndNoted() throws Exception {
        Path dir = artifacts();
        Path secret = Files.writeString(temp.resolve("server-secret.txt"), "do not leak");
        Files.createSymbolicLink(dir.resolve("leak.txt"), secret);
        Files.createSymbolicLink(dir.resolve("outside"), temp);
        Files.writeString(dir.resolve("ok.txt"), "fine");

        ArtifactCollector.Collected collected = collector(ArtifactLimits.defaults()).collect("run_1", dir);

        assertThat(collected.artifacts()).extracting(Artifact::name).containsExactly("ok.txt");
        assertThat(collected.notes()).hasSize(2).allMatch(n -> n.contains("symbolic link"));
        assertThat(collected.notes()).anyMatch(n -> n.startsWith("artifact leak.txt")).anyMatch(n -> n.startsWith("artifact outside"));
    }

    @Test
    void filesOverTheLimitsAreNotStoredAndSayWhy() throws Exception {
        Path dir = artifacts();
        Files.write(dir.resolve("a-big.bin"), new byte[2048]);
        Files.write(dir.resolve("b.bin"), new byte[600]);
        Files.write(dir.resolve("c.bin"), new byte[600]);
        Files.write(dir.resolve("d.bin"), new byte[300]);

        ArtifactCollector.Collected collected = collector(new ArtifactLimits(1024, 1000, 100)).collect("run_1", dir);

        // In name order: a-big is over the per-file limit, b fits, c would pass the run total, d still fits.
        assertThat(collected.artifacts()).extracting(Artifact::name).containsExactly("b.bin", "d.bin");
        assertThat(collected.totalBytes()).isEqualTo(900);
        assertThat(collected.notes()).containsExactly(
                "artifact a-big.bin (2 KiB) was not stored: it is larger than the 1 KiB limit for one artifact",
                "artifact c.bin (600 bytes) was not stored: it would take the run's artifacts past the 1000 bytes limit for all artifacts of a run");
    }

    @Test
    void theNumberOfArtifactsIsLimited() throws Exception {
        Path dir = artifacts();
        for (int i = 0; i < 5; i++) {
            Files.writeString(dir.resolve("f" + i + ".txt"), "x");
        }

        ArtifactCollector.Collected collected = collector(new ArtifactLimits(1024, 1024, 3)).collect("run_1", dir);

        assertThat(collected.artifacts()).extracting(Artifact::name).containsExactly("f0.txt", "f1.txt", "f2.txt");
        assertThat(collected.notes()).hasSize(2).allMatch(n -> n.contains("at most 3 artifacts"));
    }

    @Test
    void specialFilesAreSkippedAndAMissingFolderHasNoArtifacts() throws Exception {
        Path dir = artifacts();
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("pipe").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();

        ArtifactCollector collector = collector(ArtifactLimits.defaults());
        ArtifactCollector.Collected collected = collector.collect("run_1", dir);
        assertThat(collected.artifacts()).isEmpty();
        assertThat(collected.notes()).containsExactly("artifact pipe was not stored: it is not a regular file");

        assertThat(collector.collect("run_2", temp.resolve("absent")).artifacts()).isEmpty();
    }

    @Test
    void contentTypesComeFromTheExtension() {
        assertThat(ContentTypes.of("notes.md")).startsWith("text/markdown");
        assertThat(ContentTypes.of("a/b/table.csv")).startsWith("text/csv");
        assertThat(ContentTypes.of("doc.pdf")).isEqualTo("application/pdf");
        assertThat(ContentTypes.of("photo.JPG")).isEqualTo("image/jpeg");
        assertThat(ContentTypes.of("letter.docx")).isEqualTo("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        assertThat(ContentTypes.of("notes.txt")).startsWith("text/plain");
        assertThat(ContentTypes.of(".hidden")).isEqualTo(ContentTypes.DEFAULT);
        assertThat(ContentTypes.of("dir.d/file")).isEqualTo(ContentTypes.DEFAULT);
        assertThat(ContentTypes.of("trailing.")).isEqualTo(ContentTypes.DEFAULT);
    }
}
