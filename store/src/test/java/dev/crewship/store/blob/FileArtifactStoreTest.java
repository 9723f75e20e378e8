package dev.crewship.store.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.artifact.StoredBlob;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileArtifactStoreTest {
    @TempDir
    Path dir;

    @Test
    void aFileIsStoredUnderItsSha256AndReadBack() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));
        byte[] content = "# Report\n\nAI agents are everywhere.\n".getBytes(StandardCharsets.UTF_8);
        Path file = write("report.md", content);

        StoredBlob blob = store.put(file);

        String sha = sha256(content);
        assertThat(blob).isEqualTo(new StoredBlob(sha, content.length));
        assertThat(dir.resolve("blobs/sha256").resolve(sha.substring(0, 2)).resolve(sha)).hasBinaryContent(content);
        assertThat(read(store, sha)).isEqualTo(content);
        assertThat(file).as("the source is left in place").hasBinaryContent(content);
    }

    @Test
    void identicalContentIsStoredOnce() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));
        byte[] content = "same bytes".getBytes(StandardCharsets.UTF_8);

        StoredBlob first = store.put(write("a.txt", content));
        StoredBlob second = store.put(write("b.txt", content));
        StoredBlob other = store.put(write("c.txt", "other bytes".getBytes(StandardCharsets.UTF_8)));

        assertThat(second).isEqualTo(first);
        assertThat(other.sha256()).isNotEqualTo(first.sha256());
        assertThat(blobFiles()).hasSize(2);
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void emptyAndLargeFilesRoundTrip() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));
        byte[] large = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(large);

        StoredBlob empty = store.put(write("empty", new byte[0]));
        StoredBlob big = store.put(write("big.bin", large));

        assertThat(empty).isEqualTo(new StoredBlob(sha256(new byte[0]), 0));
        assertThat(read(store, empty.sha256())).isEmpty();
        assertThat(big).isEqualTo(new StoredBlob(sha256(large), large.length));
        assertThat(read(store, big.sha256())).isEqualTo(large);
    }

    @Test
    void aMissingOrMalformedAddressIsNotFound() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));
        Files.writeString(dir.resolve("secret.txt"), "outside the store");

        assertThatThrownBy(() -> store.open("ab".repeat(32))).isInstanceOf(FileNotFoundException.class);
        assertThatThrownBy(() -> store.open("../../secret.txt")).isInstanceOf(FileNotFoundException.class);
        assertThatThrownBy(() -> store.open("AB".repeat(32))).isInstanceOf(FileNotFoundException.class);
        assertThatThrownBy(() -> store.open(null)).isInstanceOf(FileNotFoundException.class);
    }

    @Test
    void aMissingSourceFileFailsAndLeavesNothingBehind() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));

        assertThatThrownBy(() -> store.put(dir.resolve("nope.txt"))).isInstanceOf(IOException.class);
        assertThat(blobFiles()).isEmpty();
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void concurrentPutsOfTheSameContentAgree() throws Exception {
        FileArtifactStore store = new FileArtifactStore(dir.resolve("blobs"));
        byte[] content = new byte[256 * 1024];
        new Random(7).nextBytes(content);
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            copies.add(write("copy-" + i, content));
        }

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<StoredBlob>> puts = new ArrayList<>();
            for (Path copy : copies) {
                puts.add(pool.submit(() -> store.put(copy)));
            }
            for (Future<StoredBlob> put : puts) {
                assertThat(put.get(30, TimeUnit.SECONDS)).isEqualTo(new StoredBlob(sha256(content), content.length));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(blobFiles()).hasSize(1);
        assertThat(read(store, sha256(content))).isEqualTo(content);
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void aSecondStoreOnTheSameFolderSeesEarlierBlobs() throws Exception {
        byte[] content = "kept".getBytes(StandardCharsets.UTF_8);
        StoredBlob blob = new FileArtifactStore(dir.resolve("blobs")).put(write("kept.txt", content));

        assertThat(read(new FileArtifactStore(dir.resolve("blobs")), blob.sha256())).isEqualTo(content);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static byte[] read(FileArtifactStore store, String sha256) throws IOException {
        try (InputStream in = store.open(sha256)) {
            return in.readAllBytes();
        }
    }

    private List<Path> blobFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("blobs/sha256"))) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private List<Path> temporaryFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("blobs/tmp"))) {
            return files.toList();
        }
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
