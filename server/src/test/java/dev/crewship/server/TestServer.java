package dev.crewship.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real server for API tests: {@link CrewshipServer} on a random loopback port with a fresh data
 * dir (real SQLite store, bubblewrap check, Python environment builder), driven over HTTP with
 * {@code java.net.http}.
 */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path data;
    final CrewshipServer server;
    final String adminKey;
    /** What the server printed to stdout while starting. */
    final String printed;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Path data, CrewshipServer server, String printed) {
        this.data = data;
        this.server = server;
        this.printed = printed;
        this.adminKey = readAdminKey(data);
    }

    static TestServer start() {
        return start(newDataDir(), config -> config);
    }

    static TestServer start(Path data, UnaryOperator<ServerConfig> tweak) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CrewshipServer server = CrewshipServer.start(tweak.apply(ServerConfig.defaults(data).withPort(0)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return new TestServer(data, server, out.toString(StandardCharsets.UTF_8));
    }

    static Path newDataDir() {
        try {
            return Files.createTempDirectory("crewship-server-test-").resolve("data");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    Response get(String path, String key) {
        return send(request(path, key).GET().build());
    }

    Response get(String path, String key, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path, key).GET();
        headers.forEach(builder::header);
        return send(builder.build());
    }

    Response post(String path, String key, Object body) {
        return send(request(path, key).header("Content-Type", "application/json").POST(jsonBody(body)).build());
    }

    Response patch(String path, String key, Object body) {
        return send(request(path, key).header("Content-Type", "application/json").method("PATCH", jsonBody(body)).build());
    }

    Response delete(String path, String key) {
        return send(request(path, key).DELETE().build());
    }

    /** Any method with a raw body and content type (null: no Content-Type header). */
    Response send(String method, String path, String key, String contentType, byte[] body) {
        HttpRequest.Builder builder = request(path, key).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return send(builder.build());
    }

    /** Like {@link #send(String, String, String, String, byte[])}, with extra request headers. */
    Response send(String method, String path, String key, String contentType, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path, key).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        headers.forEach(builder::header);
        return send(builder.build());
    }

    Response upload(String project, String key, byte[] bundle) {
        return send("POST", "/v1/projects/" + project + "/deployments", key, "application/gzip", bundle);
    }

    /** Creates a project with the admin key. */
    JsonNode createProject(String name) {
        Response response = post("/v1/projects", adminKey, Map.of("name", name));
        if (response.status() != 201) {
            throw new AssertionError("creating project " + name + " answered " + response.status() + ": " + response.text());
        }
        return response.json();
    }

    /** A new key of the project; returns its secret. */
    String projectKey(String project) {
        Response response = post("/v1/keys", adminKey, Map.of("name", "test", "project", project));
        if (response.status() != 201) {
            throw new AssertionError("creating a key answered " + response.status() + ": " + response.text());
        }
        return response.json().get("secret").asText();
    }

    /** Waits until the deployment is no longer building and returns it. */
    JsonNode awaitBuild(String deploymentId) {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            JsonNode deployment = get("/v1/deployments/" + deploymentId, adminKey).json();
            if (!deployment.get("status").asText().equals("building")) {
                return deployment;
            }
            sleep(100);
        }
        throw new AssertionError("deployment " + deploymentId + " still building after 120 s");
    }

    private HttpRequest.Builder request(String path, String key) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return builder;
    }

    private static HttpRequest.BodyPublisher jsonBody(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofString(body instanceof String text ? text : JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String readAdminKey(Path data) {
        try {
            return Files.readString(data.resolve("admin-key")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server; the data dir stays (see {@link #deleteData()}). */
    void stop() {
        server.close();
    }

    void deleteData() {
        try (Stream<Path> paths = Files.walk(data.getParent())) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
        deleteData();
    }
}
