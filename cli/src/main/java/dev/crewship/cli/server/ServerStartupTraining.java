package dev.crewship.cli.server;

import dev.crewship.server.CrewshipServer;
import dev.crewship.server.ServerConfig;
import dev.crewship.server.ServerStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the server's class cache (docs/operations.md, "Start-up"): {@code bin/crewship}
 * runs this once per built jar with {@code -XX:AOTCacheOutput} (JDK 25 and newer; an AppCDS archive
 * with {@code -XX:ArchiveClassesAtExit} on older JDKs) and starts every later {@code crewship server}
 * with the cache, which roughly halves the CPU a start takes and trims the idle heap. It starts a real
 * server on a throwaway data dir and a free loopback port, sends the requests every server answers
 * soon after it starts (health, lists, a create, errors), and stops it. Nothing it prints is shown.
 */
public final class ServerStartupTraining {
    private ServerStartupTraining() {
    }

    public static void main(String[] args) throws IOException {
        exercise();
        // Exits here, so the cache is written even should a library have left a thread behind.
        System.exit(0);
    }

    /** Starts a server, sends the requests and returns each one's HTTP status, in order. */
    static Map<String, Integer> exercise() throws IOException {
        Path folder = Files.createTempDirectory("crewship-server-training-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        try (CrewshipServer server = start(folder.resolve("data"), discard)) {
            String key = Files.readString(server.dataDir().adminKeyFile()).strip();
            Map<String, Integer> statuses = new LinkedHashMap<>();
            String base = server.url();
            statuses.put("GET /health", send("GET", base + "/health", null, null));
            statuses.put("GET /v1/runs (no key)", send("GET", base + "/v1/runs", null, null));
            statuses.put("POST /v1/projects", send("POST", base + "/v1/projects", key, "{\"name\":\"training\"}"));
            statuses.put("GET /v1/projects", send("GET", base + "/v1/projects", key, null));
            statuses.put("GET /v1/projects/training/deployments", send("GET", base + "/v1/projects/training/deployments", key, null));
            statuses.put("GET /v1/runs", send("GET", base + "/v1/runs?limit=20", key, null));
            statuses.put("GET /v1/runs?project=training&status=failed", send("GET", base + "/v1/runs?project=training&status=failed", key, null));
            statuses.put("POST /v1/runs (no deployment)", send("POST", base + "/v1/runs", key, "{\"project\":\"training\",\"input\":{}}"));
            statuses.put("GET /v1/runs/run_missing", send("GET", base + "/v1/runs/run_missing", key, null));
            statuses.put("GET /v1/threads", send("GET", base + "/v1/threads", key, null));
            statuses.put("GET /metrics", send("GET", base + "/metrics", key, null));
            return statuses;
        } finally {
            deleteTree(folder);
        }
    }

    /** The real, sandboxed server when this host can sandbox; else unsandboxed (the same classes but the probe's). */
    private static CrewshipServer start(Path dataDir, PrintStream out) {
        ServerConfig config = ServerConfig.defaults(dataDir).withPort(0);
        try {
            return CrewshipServer.start(config, out);
        } catch (ServerStartException e) {
            return CrewshipServer.start(config.withUnsandboxed(true), out);
        }
    }

    private static int send(String method, String url, String key, String body) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        connection.setRequestMethod(method);
        // No idle keep-alive connection left behind: the server's graceful stop would wait for it.
        connection.setRequestProperty("Connection", "close");
        if (key != null) {
            connection.setRequestProperty("Authorization", "Bearer " + key);
        }
        if (body != null) {
            connection.setDoOutput(true);
            connection.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = connection.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        int status = connection.getResponseCode();
        try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            if (in != null) {
                in.readAllBytes();
            }
        } finally {
            connection.disconnect();
        }
        return status;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
