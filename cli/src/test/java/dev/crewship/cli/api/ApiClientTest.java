package dev.crewship.cli.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.crewship.cli.CliException;
import dev.crewship.cli.config.Connection;
import dev.crewship.cli.config.Setting;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ApiClient and its HttpTransport put on the wire and make of what comes back, against a
 * loopback HTTP server scripted per test: the request line, headers and body it receives, and
 * answers a real server could give (problem+json, HTML from a proxy, a dropped event stream, a
 * stalled answer). Talking to the real Crewship server is covered by ThreadCommandsTest and
 * tests/e2e/test_cli.py.
 */
class ApiClientTest {
    private static final String KEY = "csk_test";

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private ApiClient client(String url) {
        return new ApiClient(Connection.of(new Setting(url, "--url"), new Setting(KEY, "CREWSHIP_API_KEY")));
    }

    /** Answers {@code path} with {@code status}, {@code contentType} and {@code body}, recording each request. */
    private void answer(String path, int status, String contentType, String body) {
        server.createContext(path, exchange -> {
            record(exchange);
            send(exchange, status, contentType, body);
        });
    }

    private void record(HttpExchange exchange) throws IOException {
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestHeaders().getFirst("Accept"),
                exchange.getRequestHeaders().getFirst("Content-Type"), exchange.getRequestHeaders().getFirst("Last-Event-ID"),
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, status == 204 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void everyMethodSendsTheKeyAcceptAndJsonBodyAndReadsTheJsonAnswer() {
        answer("/v1/things", 200, "application/json", "{\"object\":\"thing\",\"id\":\"t_1\"}");
        ApiClient api = client(url());

        assertThat(Json.text(api.get("/v1/things?limit=2"), "id")).isEqualTo("t_1");
        assertThat(Json.text(api.post("/v1/things", Json.object().put("name", "a")), "object")).isEqualTo("thing");
        api.patch("/v1/things", Json.object().set("vars", Json.object().put("A", "1")));
        api.delete("/v1/things/t_1");

        assertThat(received).extracting(Received::method).containsExactly("GET", "POST", "PATCH", "DELETE");
        assertThat(received.getFirst().target()).isEqualTo("/v1/things?limit=2");
        assertThat(received).allSatisfy(request -> {
            assertThat(request.authorization()).isEqualTo("Bearer " + KEY);
            assertThat(request.accept()).isEqualTo("application/json");
        });
        assertThat(received.get(1).body()).isEqualTo("{\"name\":\"a\"}");
        assertThat(received.get(1).contentType()).isEqualTo("application/json");
        assertThat(received.get(2).body()).isEqualTo("{\"vars\":{\"A\":\"1\"}}");
        assertThat(received.get(3).body()).isEmpty();
    }

    @Test
    void anEmptyAnswerIsAnEmptyObject() {
        answer("/v1/things/t_1", 204, null, "");

        client(url()).delete("/v1/things/t_1");
        assertThat(client(url()).get("/v1/things/t_1")).isEqualTo(Json.object());
        assertThat(received).extracting(Received::method).containsExactly("DELETE", "GET");
    }

    @Test
    void aProblemAnswerBecomesItsDetailWithAHint() {
        answer("/v1/runs/run_missing", 404, "application/problem+json",
                "{\"type\":\"https://crewship.dev/problems/not-found\",\"title\":\"Not found\",\"status\":404,\"detail\":\"run run_missing not found\"}");

        assertThatThrownBy(() -> client(url()).get("/v1/runs/run_missing"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.problemType()).isEqualTo("not-found");
                    assertThat(e.isNotFound()).isTrue();
                })
                .hasMessage("run run_missing not found (check the id with 'crewship runs list')");
    }

    @Test
    void aRejectedKeyNamesWhereTheKeyCameFromForEveryMethod() {
        answer("/v1/projects", 401, "application/problem+json",
                "{\"type\":\"https://crewship.dev/problems/unauthorized\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"invalid API key\"}");
        ApiClient api = client(url());
        String expected = "the server at " + url() + " rejected the API key from CREWSHIP_API_KEY (invalid API key); check the key or run 'crewship login'";

        assertThatThrownBy(() -> api.get("/v1/projects")).hasMessage(expected);
        assertThatThrownBy(() -> api.post("/v1/projects", Json.object())).hasMessage(expected);
        assertThatThrownBy(() -> api.patch("/v1/projects", Json.object())).hasMessage(expected);
    }

    @Test
    void aStreamedUploadAnsweredWith401StillSaysTheKeyWasRejected() throws IOException {
        // HttpURLConnection cannot hand back a 401 to a streamed request, only that it happened.
        answer("/v1/projects/p/deployments", 401, "application/problem+json", "{\"detail\":\"invalid API key\"}");
        Path bundle = Files.write(dir.resolve("bundle.tar.gz"), new byte[1000]);

        assertThatThrownBy(() -> client(url()).upload("/v1/projects/p/deployments", bundle, "application/gzip", n -> { }))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(401))
                .hasMessageStartingWith("the server at " + url() + " rejected the API key from CREWSHIP_API_KEY");
    }

    @Test
    void anErrorPageThatIsNotJsonIsShownAbbreviatedOnOneLine() {
        answer("/v1/runs", 502, "text/html", "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>\n");

        assertThatThrownBy(() -> client(url()).get("/v1/runs"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(502))
                .hasMessage("<html> <body> <h1>502 Bad Gateway</h1> </body> </html>");
    }

    @Test
    void aSuccessThatIsNotJsonIsOneClearLine() {
        answer("/v1/runs", 200, "text/html", "<html>welcome</html>");

        assertThatThrownBy(() -> client(url()).get("/v1/runs"))
                .isExactlyInstanceOf(CliException.class)
                .hasMessage("the server at " + url() + " answered /v1/runs with something that is not JSON");
    }

    @Test
    void aClosedPortIsConnectionRefusedWithWhatToDoForEveryMethod() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();
        String expected = "cannot reach the Crewship server at " + url + ": connection refused (start it with 'crewship server' or set CREWSHIP_URL)";
        ApiClient api = client(url);

        assertThatThrownBy(() -> api.get("/v1/runs")).hasMessage(expected);
        assertThatThrownBy(() -> api.post("/v1/runs", Json.object())).hasMessage(expected);
        assertThatThrownBy(() -> api.patch("/v1/projects/p/env", Json.object())).hasMessage(expected);
        assertThatThrownBy(() -> api.events("/v1/runs/run_1/events", event -> true)).hasMessage(expected);
    }

    @Test
    void anAnswerThatStallsEndsWithNoAnswerInTime() {
        server.createContext("/v1/slow", exchange -> {
            record(exchange);
            await(release);
            send(exchange, 200, "application/json", "{}");
        });

        assertThatThrownBy(() -> HttpTransport.send("GET", url() + "/v1/slow", Map.of(), null, Duration.ofMillis(200)))
                .isInstanceOf(SocketTimeoutException.class)
                .satisfies(e -> assertThat(ApiClient.reason(e)).isEqualTo("no answer in time"));
    }

    @Test
    void aPostIsNotSentAgainWhenTheConnectionBreaksBeforeTheAnswer() throws IOException {
        // Reads each request and hangs up without an answer, as a server that dies mid-request does.
        try (RawServer raw = new RawServer((request, out) -> { })) {
            assertThatThrownBy(() -> client(raw.url()).post("/v1/runs", Json.object().put("input", "x")))
                    .hasMessageStartingWith("cannot reach the Crewship server at " + raw.url());
            assertThat(raw.requests()).hasSize(1);
            assertThat(raw.requests().getFirst()).startsWith("POST /v1/runs HTTP/1.1\r\n").endsWith("{\"input\":\"x\"}");
        }
    }

    @Test
    void anUploadIsStreamedWithItsLengthAndProgress() throws IOException {
        byte[] content = new byte[300_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }
        Path bundle = Files.write(dir.resolve("bundle.tar.gz"), content);
        AtomicLong length = new AtomicLong();
        server.createContext("/v1/projects/p/deployments", exchange -> {
            length.set(Long.parseLong(exchange.getRequestHeaders().getFirst("Content-Length")));
            byte[] body = exchange.getRequestBody().readAllBytes();
            send(exchange, 201, "application/json", "{\"id\":\"dep_1\",\"bytes\":" + body.length + ",\"same\":" + java.util.Arrays.equals(body, content) + "}");
        });
        AtomicLong progress = new AtomicLong();

        JsonNode deployment = client(url()).upload("/v1/projects/p/deployments", bundle, "application/gzip", progress::addAndGet);

        assertThat(Json.text(deployment, "id")).isEqualTo("dep_1");
        assertThat(deployment.get("bytes").asLong()).isEqualTo(content.length);
        assertThat(deployment.get("same").asBoolean()).isTrue();
        assertThat(length.get()).isEqualTo(content.length);
        assertThat(progress.get()).isEqualTo(content.length);
    }

    @Test
    void aDownloadHandsOverItsLengthChecksumAndBody() throws IOException {
        server.createContext("/v1/runs/run_1/artifacts/report.md", exchange -> {
            record(exchange);
            exchange.getResponseHeaders().set("ETag", "\"abc123\"");
            send(exchange, 200, "text/markdown", "# Report\n");
        });

        ApiClient.Download download = client(url()).download("/v1/runs/run_1/artifacts/report.md");
        try (InputStream body = download.body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("# Report\n");
        }

        assertThat(download.length()).isEqualTo(9);
        assertThat(download.sha256()).isEqualTo("abc123");
        assertThat(received.getFirst().accept()).isEqualTo("*/*");
    }

    @Test
    void aDroppedEventStreamResumesAfterTheLastEventSeen() throws IOException {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        try (RawServer raw = new RawServer((request, out) -> {
            if (request.contains("Last-Event-ID: 2\r\n")) {
                out.write((head + chunk("id: 3\nevent: run.completed\ndata: {\"duration_ms\":5}\n\n") + "0\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
            } else {
                // Two events and half of a third, then the connection breaks (a restarting proxy).
                out.write((head + chunk("id: 1\nevent: run.started\ndata: {}\n\nid: 2\nevent: log\ndata: {\"message\":\"hi\"}\n\n")
                        + chunk("id: 3\nevent: ru")).getBytes(StandardCharsets.UTF_8));
            }
        })) {
            List<String> seen = new ArrayList<>();

            boolean stoppedByHandler = client(raw.url()).events("/v1/runs/run_1/events", event -> {
                seen.add(event.id() + " " + event.type());
                return !event.type().equals("run.completed");
            });

            assertThat(stoppedByHandler).isTrue();
            assertThat(seen).containsExactly("1 run.started", "2 log", "3 run.completed");
            assertThat(raw.requests()).hasSize(2);
            assertThat(raw.requests().getFirst()).startsWith("GET /v1/runs/run_1/events HTTP/1.1\r\n")
                    .contains("Accept: text/event-stream\r\n").contains("Authorization: Bearer " + KEY + "\r\n").doesNotContain("Last-Event-ID");
        }
    }

    @Test
    void anEventStreamTheServerEndsIsReportedAsEnded() {
        server.createContext("/v1/runs/run_1/events", exchange -> {
            record(exchange);
            send(exchange, 200, "text/event-stream", ": keep-alive\n\nid: 1\nevent: run.started\ndata: {}\n\n");
        });
        List<String> seen = new ArrayList<>();

        boolean stoppedByHandler = client(url()).events("/v1/runs/run_1/events", event -> seen.add(event.type()));

        assertThat(stoppedByHandler).isFalse();
        assertThat(seen).containsExactly("run.started");
        assertThat(received).hasSize(1);
    }

    private static String chunk(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Integer.toHexString(bytes.length) + "\r\n" + text + "\r\n";
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A loopback server that speaks raw HTTP, for what com.sun.net.httpserver cannot do: hang up
     * mid-answer. Reads each request (head and Content-Length body), records it, lets {@code script}
     * write whatever it likes and closes the connection.
     */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocket socket;
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        RawServer(Script script) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!socket.isClosed()) {
                    try (java.net.Socket connection = socket.accept()) {
                        String request = readRequest(connection.getInputStream());
                        requests.add(request);
                        script.answer(request, connection.getOutputStream());
                        connection.getOutputStream().flush();
                    } catch (IOException e) {
                        // Closed by the test, or a client that went away: next connection.
                    }
                }
            });
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        List<String> requests() {
            return requests;
        }

        private static String readRequest(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("request ended early");
                }
                head.append((char) b);
            }
            long length = head.toString().lines().filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
                    .mapToLong(line -> Long.parseLong(line.substring(15).trim())).findFirst().orElse(0);
            return head + new String(in.readNBytes((int) length), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        interface Script {
            void answer(String request, OutputStream out) throws IOException;
        }
    }

    private record Received(String method, String target, String authorization, String accept, String contentType,
                            String lastEventId, String body) {
    }
}
