package dev.crewship.cli.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.config.Connection;
import dev.crewship.cli.config.Setting;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The CLI's client for the HTTP API (docs/api.md): JSON calls, a tar.gz upload, streamed downloads
 * and Server-Sent Events, sent by {@link HttpTransport}. Every failure becomes one readable
 * {@link CliException}: error answers via their problem+json, an unreachable server with how to start one.
 */
public final class ApiClient {
    /** Long enough for the slowest plain call: cancelling a running run waits up to 15 s for its processes. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    /** Event streams and downloads wait as long as the server takes (a run may be quiet for minutes). */
    private static final Duration NO_TIMEOUT = Duration.ZERO;
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final String baseUrl;
    private final Setting apiKey;

    public ApiClient(Connection connection) {
        connection.requireApiKey();
        this.baseUrl = connection.url().value();
        this.apiKey = connection.apiKey();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Percent-encodes one path segment or query value. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return json("GET", path, null);
    }

    /** A plain-text answer, such as a build log. */
    public String text(String path) {
        try (HttpTransport.Response response = send("GET", path, headers("text/plain"), null, CALL_TIMEOUT)) {
            String body = read(response, path);
            if (response.status() >= 300) {
                throw failure(response.status(), body, path);
            }
            return body;
        }
    }

    public JsonNode post(String path, JsonNode body) {
        return json("POST", path, body);
    }

    public JsonNode patch(String path, JsonNode body) {
        return json("PATCH", path, body);
    }

    public void delete(String path) {
        json("DELETE", path, null);
    }

    /** Uploads a file as the request body, reporting bytes sent to {@code progress}. */
    public JsonNode upload(String path, Path file, String contentType, LongConsumer progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> headers = headers("application/json");
        headers.put("Content-Type", contentType);
        try (HttpTransport.Response response = send("POST", path, headers, new HttpTransport.RequestBody.File(file, size, progress), NO_TIMEOUT)) {
            return answer(response, path);
        }
    }

    /**
     * Opens a download. The caller reads and closes the body; its length is known when the server
     * sent {@code Content-Length}.
     */
    public Download download(String path) {
        HttpTransport.Response response = send("GET", path, headers("*/*"), null, NO_TIMEOUT);
        if (response.status() >= 300) {
            try (response) {
                throw failure(response.status(), readQuietly(response.body()), path);
            }
        }
        String etag = response.header("ETag");
        return new Download(response.body(), contentLength(response.header("Content-Length")),
                etag == null ? null : etag.replace("\"", ""));
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
            Map<String, String> headers = headers("text/event-stream");
            if (lastId[0] != null) {
                headers.put("Last-Event-ID", lastId[0]);
            }
            try (HttpTransport.Response response = send("GET", path, headers, null, NO_TIMEOUT)) {
                if (response.status() >= 300) {
                    throw failure(response.status(), readQuietly(response.body()), path);
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
    }

    private Map<String, String> headers(String accept) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + apiKey.value());
        headers.put("Accept", accept);
        return headers;
    }

    private JsonNode json(String method, String path, JsonNode body) {
        Map<String, String> headers = headers("application/json");
        HttpTransport.RequestBody content = null;
        if (body != null) {
            headers.put("Content-Type", "application/json");
            content = new HttpTransport.RequestBody.Bytes(Json.compact(body).getBytes(StandardCharsets.UTF_8));
        }
        try (HttpTransport.Response response = send(method, path, headers, content, CALL_TIMEOUT)) {
            return answer(response, path);
        }
    }

    /** The JSON of a whole answer; an error answer as its one-line message. */
    private JsonNode answer(HttpTransport.Response response, String path) {
        String body = read(response, path);
        if (response.status() >= 300) {
            throw failure(response.status(), body, path);
        }
        if (body.isBlank()) {
            return Json.object();
        }
        try {
            return Json.parse(body);
        } catch (IOException e) {
            throw new CliException("the server at " + baseUrl + " answered " + path + " with something that is not JSON", e);
        }
    }

    private HttpTransport.Response send(String method, String path, Map<String, String> headers, HttpTransport.RequestBody body,
                                        Duration readTimeout) {
        try {
            return HttpTransport.send(method, baseUrl + path, headers, body, readTimeout);
        } catch (IOException e) {
            throw unreachable(e, "cannot reach the Crewship server at ");
        } catch (IllegalArgumentException e) {
            // A URL the JDK cannot parse (Connection checked its form; a path never breaks it).
            throw new CliException("cannot call " + baseUrl + path + ": " + e.getMessage(), e);
        }
    }

    private String read(HttpTransport.Response response, String path) {
        try {
            return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw unreachable(e, "lost the connection to the Crewship server at ");
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
            if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) {
                return "no answer in time";
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
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

    private static long contentLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String readQuietly(InputStream body) {
        try (body) {
            return new String(body.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** An open download: read {@code body} to the end and close it. */
    public record Download(InputStream body, long length, String sha256) {
    }
}
