package dev.crewship.cli.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.config.Connection;
import dev.crewship.cli.config.Setting;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The CLI's client for the HTTP API (docs/api.md): JSON calls, a tar.gz upload, streamed downloads
 * and Server-Sent Events. Every failure becomes one readable {@link CliException}: error answers via
 * their problem+json, an unreachable server with how to start one.
 */
public final class ApiClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Long enough for the slowest plain call: cancelling a running run waits up to 15 s for its processes. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http;
    private final String baseUrl;
    private final Setting apiKey;

    public ApiClient(Connection connection) {
        connection.requireApiKey();
        this.baseUrl = connection.url().value();
        this.apiKey = connection.apiKey();
        // HTTP/1.1: the server speaks it, and HTTP/2 would add an upgrade attempt to every call.
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (baseUrl.startsWith("http://")) {
            // Without an SSLContext the client initialises the JDK's default TLS stack (providers, the
            // CA store): a fifth of a second of start-up for a plain-HTTP server. With redirects off,
            // a client for an http:// URL never opens a TLS connection, so this context is never used.
            builder.sslContext(new SSLContext(null, null, "unused") { }).sslParameters(new SSLParameters());
        }
        this.http = builder.build();
    }

    /**
     * Stops the client's selector thread. Needed before {@code System.exit}: the JVM waits up to
     * 300 ms at exit for threads blocked in native code, and that thread sits in one.
     */
    @Override
    public void close() {
        http.shutdownNow();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Percent-encodes one path segment or query value. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return json(request(path, "application/json").GET(), path);
    }

    /** A plain-text answer, such as a build log. */
    public String text(String path) {
        HttpRequest request = request(path, "text/plain").GET().build();
        HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), path);
        if (response.statusCode() >= 300) {
            throw failure(response.statusCode(), response.body(), path);
        }
        return response.body();
    }

    public JsonNode post(String path, JsonNode body) {
        return json(request(path, "application/json").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.compact(body))), path);
    }

    public JsonNode patch(String path, JsonNode body) {
        return json(request(path, "application/json").header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(Json.compact(body))), path);
    }

    public void delete(String path) {
        json(request(path, "application/json").DELETE(), path);
    }

    /** Uploads a file as the request body, reporting bytes sent to {@code progress}. */
    public JsonNode upload(String path, Path file, String contentType, LongConsumer progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
        }
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> counting(open(file), progress)), size);
        return json(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + apiKey.value())
                .header("Accept", "application/json").header("Content-Type", contentType).POST(body), path);
    }

    /**
     * Opens a download. The caller reads and closes the body; its length is known when the server
     * sent {@code Content-Length}.
     */
    public Download download(String path) {
        HttpRequest request = HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + apiKey.value()).GET().build();
        HttpResponse<InputStream> response = send(request, HttpResponse.BodyHandlers.ofInputStream(), path);
        if (response.statusCode() >= 300) {
            throw failure(response.statusCode(), readQuietly(response.body()), path);
        }
        return new Download(response.body(), response.headers().firstValueAsLong("Content-Length").orElse(-1),
                response.headers().firstValue("ETag").map(tag -> tag.replace("\"", "")).orElse(null));
    }

    /**
     * Reads an SSE stream, handing each event to {@code handler} until it returns false. When the
     * connection drops first and the server numbers its events, the stream is resumed after the last
     * one seen ({@code Last-Event-ID}), so nothing is shown twice or lost. Returns true when the
     * handler ended the stream, false when the server ended it.
     */
    public boolean events(String path, Predicate<ServerSentEvent> handler) {
        String[] lastId = {null};
        Predicate<ServerSentEvent> tracking = event -> {
            if (event.id() != null) {
                lastId[0] = event.id();
            }
            return handler.test(event);
        };
        int reconnects = 0;
        while (true) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                    .header("Authorization", "Bearer " + apiKey.value())
                    .header("Accept", "text/event-stream").GET();
            if (lastId[0] != null) {
                request.header("Last-Event-ID", lastId[0]);
            }
            HttpResponse<InputStream> response = send(request.build(), HttpResponse.BodyHandlers.ofInputStream(), path);
            if (response.statusCode() >= 300) {
                throw failure(response.statusCode(), readQuietly(response.body()), path);
            }
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                return SseParser.read(reader, tracking);
            } catch (IOException e) {
                if (lastId[0] == null || ++reconnects > 3) {
                    throw unreachable(e, "lost the connection to the Crewship server at ");
                }
            }
        }
    }

    private HttpRequest.Builder request(String path, String accept) {
        return HttpRequest.newBuilder(uri(path)).timeout(CALL_TIMEOUT)
                .header("Authorization", "Bearer " + apiKey.value())
                .header("Accept", accept);
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private JsonNode json(HttpRequest.Builder builder, String path) {
        HttpResponse<String> response = send(builder.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), path);
        if (response.statusCode() >= 300) {
            throw failure(response.statusCode(), response.body(), path);
        }
        String body = response.body();
        if (body == null || body.isBlank()) {
            return Json.object();
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new CliException("the server at " + baseUrl + " answered " + path + " with something that is not JSON", e);
        }
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, String path) {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while calling " + path, 130, e);
        } catch (IOException e) {
            throw unreachable(e, "cannot reach the Crewship server at ");
        }
    }

    private ApiException failure(int status, String body, String path) {
        return ProblemMessages.toException(status, body, path, baseUrl, apiKey);
    }

    private CliException unreachable(IOException e, String prefix) {
        return new CliException(prefix + baseUrl + ": " + reason(e)
                + " (start it with 'crewship server' or set " + Connection.URL_ENV + ")", e);
    }

    /** Why a connection failed, in words (the JDK often leaves the messages empty). */
    static String reason(Throwable e) {
        boolean connectFailed = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "no answer in time";
            }
            if (t instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (t instanceof ConnectException) {
                if (t.getMessage() != null && !t.getMessage().isBlank()) {
                    return t.getMessage().toLowerCase(Locale.ROOT);
                }
                connectFailed = true;
            }
        }
        if (connectFailed) {
            return "connection refused";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static InputStream open(Path file) {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static InputStream counting(InputStream in, LongConsumer progress) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    progress.accept(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    progress.accept(n);
                }
                return n;
            }
        };
    }

    private static String readQuietly(InputStream body) {
        try (body) {
            return new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    /** An open download: read {@code body} to the end and close it. */
    public record Download(InputStream body, long length, String sha256) {
    }
}
