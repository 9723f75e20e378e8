package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.Tarball;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed or malicious upload is refused with a problem naming the reason, and nothing is stored. */
class MaliciousBundlesTest {
    private static final long MAX_BUNDLE = 1024 * 1024;
    private static final long MAX_EXTRACTED = 8 * 1024 * 1024;
    private static final int MAX_ENTRIES = 40;
    private static final String TOML = "[deployment]\nframework = \"crewai\"\nentrypoint = \"hello.crew:kickoff\"\n";
    private static final String OUTSIDE = "crewship-escape-" + new Random().nextInt(1_000_000);

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestServer.newDataDir(),
                config -> config.withLimits(config.limits().withBundle(MAX_BUNDLE, MAX_EXTRACTED, MAX_ENTRIES)));
        server.createProject("target");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> bundles() {
        return Stream.of(
                bundle("parent traversal", 422, "contains \"..\"", () -> Tarball.crew("v1").file("../" + OUTSIDE + ".py", "x").gzip()),
                bundle("nested traversal", 422, "contains \"..\"", () -> Tarball.crew("v1").file("hello/../../" + OUTSIDE + ".py", "x").gzip()),
                bundle("absolute path", 422, "absolute path", () -> Tarball.crew("v1").file("/tmp/" + OUTSIDE + ".py", "x").gzip()),
                bundle("absolute symlink", 422, "points to the absolute path", () -> Tarball.crew("v1").symlink("passwd", "/etc/passwd").gzip()),
                bundle("relative symlink outside", 422, "outside the bundle", () -> Tarball.crew("v1").symlink("up", "../../..").gzip()),
                bundle("symlink chain outside", 422, "leads outside the bundle", () -> Tarball.crew("v1").symlink("a", ".").symlink("b", "a/..").gzip()),
                bundle("requirements through a symlink", 422, "outside the bundle",
                        () -> Tarball.crew("v1").symlink("requirements.txt", "../../../../../../etc/shadow").gzip()),
                bundle("hard link", 422, "hard link", () -> Tarball.crew("v1").hardLink("hard", "hello/crew.py").gzip()),
                bundle("hard link outside", 422, "hard link", () -> Tarball.crew("v1").hardLink("hard", "../../etc/passwd").gzip()),
                bundle("character device", 422, "is a device", () -> Tarball.crew("v1").special("tty", TarConstants.LF_CHR).gzip()),
                bundle("fifo", 422, "is a FIFO", () -> Tarball.crew("v1").special("pipe", TarConstants.LF_FIFO).gzip()),
                bundle("too many entries", 422, "more than " + MAX_ENTRIES + " entries", () -> {
                    Tarball tar = Tarball.crew("v1");
                    for (int i = 0; i < MAX_ENTRIES; i++) {
                        tar.file("many/f" + i + ".txt", "x");
                    }
                    return tar.gzip();
                }),
                bundle("archive bomb", 422, "extracts to more than", () -> Tarball.crew("v1").zeros("zeros.bin", 64 * 1024 * 1024).gzip()),
                bundle("files together over the limit", 422, "extracts to more than", () -> Tarball.crew("v1")
                        .zeros("a.bin", 5 * 1024 * 1024).zeros("b.bin", 5 * 1024 * 1024).gzip()),
                bundle("compressed size over the limit", 413, Long.toString(MAX_BUNDLE), () -> {
                    byte[] noise = new byte[(int) MAX_BUNDLE + 1024];
                    new Random(1).nextBytes(noise);
                    return Tarball.crew("v1").file("noise.bin", noise, 0644).gzip();
                }),
                bundle("not gzip", 422, "not gzip-compressed", () -> "this is not a tarball".getBytes(StandardCharsets.UTF_8)),
                bundle("truncated archive", 422, "not a valid tar.gz", () -> {
                    byte[] whole = Tarball.crew("v1").zeros("data.bin", 200_000).gzip();
                    return java.util.Arrays.copyOf(whole, whole.length / 2);
                }),
                bundle("missing crewship.toml", 422, "no crewship.toml", () -> Tarball.of().file("hello/crew.py", "def kickoff(i): pass\n").gzip()),
                bundle("crewship.toml is a folder", 422, "no crewship.toml", () -> Tarball.of().folder("crewship.toml").file("hello/crew.py", "").gzip()),
                bundle("invalid toml", 422, "is not valid TOML", () -> Tarball.of().file("crewship.toml", "[deployment\nentrypoint=").file("hello/crew.py", "").gzip()),
                bundle("missing entrypoint module", 422, "entrypoint module hello.crew is not in the bundle",
                        () -> Tarball.of().file("crewship.toml", TOML).file("hello/other.py", "").gzip()),
                bundle("unknown toml key", 422, "unknown key \"memroy_mb\" in [runtime]",
                        () -> Tarball.of().file("crewship.toml", TOML + "[runtime]\nmemroy_mb = 10\n").file("hello/crew.py", "").gzip()),
                bundle("other framework", 422, "\"django\" is not supported",
                        () -> Tarball.of().file("crewship.toml", TOML.replace("crewai", "django")).file("hello/crew.py", "").gzip()),
                // Bytes that are not UTF-8 in a PAX name (how Python's tarfile and GNU tar --format=pax store them)
                // read as U+FFFD; tests/e2e/test_bad_input.py sends such raw bytes, here the character itself.
                bundle("name that is not UTF-8", 422, "is not valid UTF-8", () -> Tarball.crew("v1").file("hello/caf\uFFFD.py", "x").gzip()),
                bundle("link target that is not UTF-8", 422, "target that is not valid UTF-8",
                        () -> Tarball.crew("v1").symlink("hello/link.py", "caf\uFFFD.py").gzip()),
                bundle("files under artifacts/", 422, "artifacts/ is where runs write", () -> Tarball.crew("v1").file("artifacts/old.md", "x").gzip()),
                bundle("artifacts as a link", 422, "artifacts/ is where runs write", () -> Tarball.crew("v1").symlink("artifacts", "hello").gzip()),
                bundle("the same file twice", 422, "appears twice", () -> Tarball.crew("v1").file("hello/crew.py", "def kickoff(i): pass\n").gzip()),
                bundle("a file where a folder is needed", 422, "needs the folder", () -> Tarball.crew("v1").file("pkg", "x").file("pkg/a.py", "").gzip()),
                bundle("writing through a link", 422, "needs the folder \"lnk\"",
                        () -> Tarball.crew("v1").folder("sub").symlink("lnk", "sub").file("lnk/evil.py", "x").gzip()));
    }

    private static Arguments bundle(String name, int status, String detail, Supplier<byte[]> bytes) {
        return Arguments.of(name, status, detail, bytes);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundles")
    void isRejectedAndNothingIsStored(String name, int status, String detail, Supplier<byte[]> bytes) throws IOException {
        TestServer.Response response = server.upload("target", server.adminKey, bytes.get());

        JsonNode problem = Problems.assertProblem(response, status, status == 413 ? "payload-too-large" : "invalid-bundle");
        assertThat(problem.get("detail").asText()).contains(detail);
        assertThat(server.get("/v1/projects/target/deployments", server.adminKey).json().get("data")).isEmpty();
        assertThat(server.get("/v1/projects/target", server.adminKey).json().get("current_deployment_id").isNull()).isTrue();
        try (Stream<Path> stored = Files.list(server.data.resolve("deployments"))) {
            assertThat(stored).allMatch(path -> path.getFileName().toString().equals(".staging"));
        }
        try (Stream<Path> staged = Files.list(server.data.resolve("deployments/.staging"))) {
            assertThat(staged).isEmpty();
        }
        assertThat(server.data.getParent().resolve(OUTSIDE + ".py")).doesNotExist();
        assertThat(server.data.resolve(OUTSIDE + ".py")).doesNotExist();
        assertThat(Path.of("/tmp", OUTSIDE + ".py")).doesNotExist();
    }

    @Test
    void aValidBundleOfTheSameServerIsAccepted() {
        // The limits above are small, not so small that a real crew no longer fits.
        TestServer.Response response = server.upload("target", server.adminKey, Tarball.crew("v1").symlink("hello/link.py", "crew.py").gzip());

        assertThat(response.status()).as(response.text()).isEqualTo(202);
        assertThat(server.awaitBuild(response.json().get("id").asText()).get("status").asText()).isEqualTo("ready");
        server.delete("/v1/projects/target", server.adminKey);
        server.createProject("target");
    }
}
