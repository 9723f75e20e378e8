package dev.crewship.cli.server;

import dev.crewship.server.CrewshipServer;
import dev.crewship.server.ServerConfig;
import dev.crewship.server.ServerStartException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
        // The client is closed before the server stops: an idle kept-alive connection would make the
        // server's graceful stop wait for it. (java.net.http, not HttpURLConnection: the CLI's own
        // HttpTransport sets how HttpURLConnection behaves for the whole JVM when it first loads.)
        try (CrewshipServer server = start(folder.resolve("data"), discard);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String key = Files.readString(server.dataDir().adminKeyFile()).strip();
            Map<String, Integer> statuses = new LinkedHashMap<>();
            String base = server.url();
            statuses.put("GET /health", send(http, "GET", base + "/health", null, null));
            statuses.put("GET /v1/runs (no key)", send(http, "GET", base + "/v1/runs", null, null));
            statuses.put("POST /v1/projects", send(http, "POST", base + "/v1/projects", key, "{\"name\":\"training\"}"));
            statuses.put("GET /v1/projects", send(http, "GET", base + "/v1/projects", key, null));
            statuses.put("GET /v1/projects/training/deployments", send(http, "GET", base + "/v1/projects/training/deployments", key, null));
            statuses.put("GET /v1/runs", send(http, "GET", base + "/v1/runs?limit=20", key, null));
            statuses.put("GET /v1/runs?project=training&status=failed", send(http, "GET", base + "/v1/runs?project=training&status=failed", key, null));
            statuses.put("POST /v1/runs (no deployment)", send(http, "POST", base + "/v1/runs", key, "{\"project\":\"training\",\"input\":{}}"));
            statuses.put("GET /v1/runs/run_missing", send(http, "GET", base + "/v1/runs/run_missing", key, null));
            statuses.put("GET /v1/threads", send(http, "GET", base + "/v1/threads", key, null));
            statuses.put("GET /metrics", send(http, "GET", base + "/metrics", key, null));
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

    private static int send(HttpClient http, String method, String url, String key, String body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training", e);
        }
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
