package dev.crewship.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceBundleTest {
    private static final SourceBundle.Limits LIMITS = new SourceBundle.Limits(1024 * 1024, 4 * 1024 * 1024, 50);

    @TempDir
    Path root;

    @Test
    void aCrewFolderIsExtractedWithNormalisedPermissionsAndAnEmptyArtifactsFolder() throws Exception {
        byte[] bundle = Tarball.crew("v1")
                .file("run.sh", "#!/bin/sh\n".getBytes(), 0700)
                .file("secret-looking.txt", "x".getBytes(), 0600)
                .folder("data")
                .symlink("hello/latest.py", "crew.py")
                .gzip();

        SourceBundle.Extracted extracted = SourceBundle.extract(new ByteArrayInputStream(bundle), root, LIMITS);

        assertThat(extracted.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle)));
        assertThat(extracted.compressedBytes()).isEqualTo(bundle.length);
        assertThat(extracted.entries()).isEqualTo(7);
        assertThat(root.resolve("hello/crew.py")).content().contains("v1");
        assertThat(mode(root.resolve("run.sh"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(root.resolve("secret-looking.txt"))).isEqualTo("rw-r--r--");
        assertThat(mode(root.resolve("hello"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(root.resolve("data"))).isEqualTo("rwxr-xr-x");
        assertThat(root.resolve("artifacts")).isEmptyDirectory();
        assertThat(Files.isSymbolicLink(root.resolve("hello/latest.py"))).isTrue();
        assertThat(root.resolve("hello/latest.py")).content().contains("v1");
    }

    @Test
    void anEmptyArtifactsFolderInTheBundleIsAccepted() {
        SourceBundle.extract(new ByteArrayInputStream(Tarball.crew("v1").folder("artifacts").gzip()), root, LIMITS);

        assertThat(root.resolve("artifacts")).isEmptyDirectory();
    }

    @Test
    void aChainOfLinksThatLeadsOutsideIsRefusedThoughEachLinkLooksInside() {
        // "a" is the bundle root itself; "a/.." is therefore the folder above it.
        byte[] bundle = Tarball.crew("v1").symlink("a", ".").symlink("b", "a/..").gzip();

        assertThatThrownBy(() -> SourceBundle.extract(new ByteArrayInputStream(bundle), root, LIMITS))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.INVALID_BUNDLE))
                .hasMessageContaining("\"b\" leads outside the bundle");
    }

    @Test
    void filesAreNeverWrittenThroughALink() {
        byte[] bundle = Tarball.crew("v1").folder("sub").symlink("lnk", "sub").file("lnk/evil.py", "x").gzip();

        assertThatThrownBy(() -> SourceBundle.extract(new ByteArrayInputStream(bundle), root, LIMITS))
                .hasMessageContaining("\"lnk/evil.py\" needs the folder \"lnk\"");
        assertThat(root.resolve("sub/evil.py")).doesNotExist();
    }

    @Test
    void aLinkToSomethingMissingInsideIsKept() {
        SourceBundle.extract(new ByteArrayInputStream(Tarball.crew("v1").symlink("later", "not-there-yet").gzip()), root, LIMITS);

        assertThat(Files.isSymbolicLink(root.resolve("later"))).isTrue();
        assertThat(Files.exists(root.resolve("later"))).isFalse();
    }

    @Test
    void theExtractedSizeIsCountedAcrossFiles() {
        byte[] bundle = Tarball.crew("v1").zeros("a.bin", 3 * 1024 * 1024).zeros("b.bin", 3 * 1024 * 1024).gzip();

        assertThatThrownBy(() -> SourceBundle.extract(new ByteArrayInputStream(bundle), root, LIMITS))
                .hasMessage("the bundle extracts to more than " + 4 * 1024 * 1024 + " bytes");
    }

    @Test
    void theCompressedSizeLimitIsAPayloadTooLarge() {
        byte[] random = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(random);
        byte[] bundle = Tarball.crew("v1").file("noise.bin", random, 0644).gzip();

        assertThatThrownBy(() -> SourceBundle.extract(new ByteArrayInputStream(bundle), root, LIMITS))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.PAYLOAD_TOO_LARGE));
    }

    @Test
    void specialEntriesAreRefusedByKind() {
        assertThatThrownBy(() -> SourceBundle.extract(new ByteArrayInputStream(Tarball.crew("v1").special("dev", TarConstants.LF_BLK).gzip()), root, LIMITS))
                .hasMessageContaining("\"dev\" is a device");
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
}
