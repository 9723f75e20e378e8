package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class ServerStartTest {
    @Test
    void theFirstStartCreatesAndPrintsTheAdminKeyOnceAndLaterStartsReuseIt() throws Exception {
        Path data = TestServer.newDataDir();
        TestServer first = TestServer.start(data, config -> config);
        String key;
        try {
            Path keyFile = data.resolve("admin-key");
            key = Files.readString(keyFile).strip();
            assertThat(key).matches("csk_[0-9A-Za-z]{43}");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
            assertThat(first.printed).contains(key).contains(keyFile.toString());
            assertThat(first.printed).endsWith("Crewship listening on " + first.server.url() + System.lineSeparator());
            assertThat(first.server.url()).startsWith("http://127.0.0.1:");
            assertThat(first.get("/v1/projects", key).status()).isEqualTo(200);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx--x--x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("secret.key")))).isEqualTo("rw-------");
        } finally {
            first.stop();
        }

        TestServer second = TestServer.start(data, config -> config);
        try {
            assertThat(second.printed).doesNotContain("csk_").startsWith("Crewship listening on ");
            assertThat(second.adminKey).isEqualTo(key);
            assertThat(second.get("/v1/projects", key).status()).isEqualTo(200);
        } finally {
            second.close();
        }
    }

    @Test
    void thePythonRuntimeIsExtractedFromTheJarReadableBySandboxes() throws Exception {
        try (TestServer server = TestServer.start()) {
            Path runtime = server.data.resolve("runtime");
            Path main = runtime.resolve("crewship_runtime/__main__.py");
            assertThat(main).isRegularFile();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(main))).isEqualTo("rw-r--r--");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(runtime.resolve("crewship_runtime")))).isEqualTo("rwxr-xr-x");
            try (var files = Files.walk(runtime)) {
                assertThat(files.filter(Files::isRegularFile)).allMatch(file -> file.toString().endsWith(".py"));
            }
        }
    }

    @Test
    void healthRootAndMetricsNeedNoKey() {
        try (TestServer server = TestServer.start()) {
            TestServer.Response health = server.get("/health", null);
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().get("status").asText()).isEqualTo("ok");
            assertThat(health.json().get("executor").asText()).contains("bubblewrap");

            TestServer.Response root = server.get("/", null);
            assertThat(root.json().get("name").asText()).isEqualTo("Crewship");
            assertThat(root.json().get("version").asText()).isNotBlank().isNotEqualTo("unknown");
            assertThat(root.json().at("/links/openapi").asText()).isEqualTo("/openapi.json");

            server.get("/v1/projects", server.adminKey);
            server.get("/v1/projects", server.adminKey);
            TestServer.Response metrics = server.get("/metrics", null);
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.header("Content-Type")).startsWith("text/plain");
            assertThat(metrics.text())
                    .contains("jvm_memory_used_bytes")
                    .contains("http_server_requests_seconds_count{method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/v1/projects\"} 2");
        }
    }

    @Test
    void aDataDirInsideAFolderOthersCannotEnterIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path privateParent = Files.createTempDirectory("crewship-private-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path data = privateParent.resolve("data");
        try {
            assertThatThrownBy(() -> TestServer.start(data, config -> config))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining(privateParent.toString())
                    .hasMessageContaining("chmod o+x");
            assertThat(data.resolve("crewship.db")).doesNotExist();
            assertThat(data.resolve("admin-key")).doesNotExist();
        } finally {
            try (var files = Files.walk(privateParent)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
