package dev.crewship.cli.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.HttpRetryException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Sends one HTTP/1.1 request and hands back its status, headers and body stream: the only code of the
 * CLI that speaks HTTP ({@link ApiClient} builds the requests and reads the answers).
 *
 * <p>It uses the JDK's {@link HttpURLConnection}, not {@code java.net.http.HttpClient}: a CLI command
 * makes a call or two and exits, so the client's start-up is much of its run time, and HttpClient's
 * (a selector thread, an asynchronous pipeline, twice the classes) costs a few hundred milliseconds
 * of CPU where HttpURLConnection's costs a few dozen (bench/cli_startup.py). TLS is initialised only
 * for an {@code https://} URL. HttpURLConnection has no PATCH, so PATCH requests alone go through an
 * HttpClient made for that one request.
 *
 * <p>Like the server's own clients: no proxy (the server URL is reached directly), no redirects
 * followed, and a request that failed is never sent again by the JDK behind the caller's back.
 */
final class HttpTransport {
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    static {
        // HttpURLConnection re-sends a POST once when the connection breaks before the answer (a
        // stale kept-alive connection, a server restart): that could start a run twice. Read once,
        // when its HTTP classes initialise, so nothing else in the CLI uses HttpURLConnection (its
        // first use would fix the JDK's default); an explicit -D setting is left alone.
        if (System.getProperty("sun.net.http.retryPost") == null) {
            System.setProperty("sun.net.http.retryPost", "false");
        }
    }

    private HttpTransport() {
    }

    /**
     * Sends {@code method url} with {@code headers} and {@code body} (null for none) and returns the
     * answer once its status line and headers have arrived. {@code readTimeout} bounds each wait for
     * data from the server, {@link Duration#ZERO} for none (event streams, downloads). Throws
     * {@link HttpConnectTimeoutException} when the server cannot be reached in time.
     */
    static Response send(String method, String url, Map<String, String> headers, RequestBody body, Duration readTimeout)
            throws IOException {
        if (method.equals("PATCH")) {
            return sendWithHttpClient(method, url, headers, body, readTimeout);
        }
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
        connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        connection.setReadTimeout(Math.toIntExact(readTimeout.toMillis()));
        connection.setInstanceFollowRedirects(false);
        connection.setUseCaches(false);
        connection.setRequestMethod(method);
        headers.forEach(connection::setRequestProperty);
        if (body != null) {
            connection.setDoOutput(true);
            if (body instanceof RequestBody.File) {
                // Streamed as it is read, not buffered: a bundle may be large.
                connection.setFixedLengthStreamingMode(body.length());
            }
        }
        try {
            connect(connection);
            if (body != null) {
                try (OutputStream out = connection.getOutputStream()) {
                    body.writeTo(out);
                }
            }
            int status = connection.getResponseCode();
            InputStream stream = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            return new Response(status, stream == null ? InputStream.nullInputStream() : stream, connection::getHeaderField);
        } catch (HttpRetryException e) {
            // A streamed upload answered 401: HttpURLConnection drops the answer and reports that it
            // could not authenticate again instead. The caller sees the 401 (without its detail).
            connection.disconnect();
            if (e.responseCode() == HttpURLConnection.HTTP_UNAUTHORIZED) {
                return new Response(e.responseCode(), InputStream.nullInputStream(), name -> null);
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            connection.disconnect();
            throw e;
        }
    }

    private static void connect(HttpURLConnection connection) throws IOException {
        try {
            connection.connect();
        } catch (SocketTimeoutException e) {
            throw (IOException) new HttpConnectTimeoutException("connection timed out").initCause(e);
        }
    }

    private static Response sendWithHttpClient(String method, String url, Map<String, String> headers, RequestBody body,
                                               Duration readTimeout) throws IOException {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MILLIS))
                .followRedirects(HttpClient.Redirect.NEVER);
        if (url.startsWith("http://")) {
            // Without an SSLContext the client initialises the JDK's default TLS stack (providers, the
            // CA store): a fifth of a second for a plain-HTTP server. With redirects off, a client for
            // an http:// URL never opens a TLS connection, so this context is never used.
            builder.sslContext(new SSLContext(null, null, "unused") { }).sslParameters(new SSLParameters());
        }
        HttpClient client = builder.build();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        if (body != null) {
            body.writeTo(content);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(content.toByteArray()));
        if (!readTimeout.isZero()) {
            request.timeout(readTimeout);
        }
        headers.forEach(request::header);
        try {
            HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            return new Response(response.statusCode(), response.body(), name -> response.headers().firstValue(name).orElse(null),
                    client::shutdownNow);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.shutdownNow();
            throw new InterruptedIOException("interrupted while waiting for the server");
        } catch (IOException | RuntimeException e) {
            client.shutdownNow();
            throw e;
        }
    }

    /** What a request sends. */
    sealed interface RequestBody {
        long length();

        void writeTo(OutputStream out) throws IOException;

        /** A body in memory, such as a JSON document. */
        record Bytes(byte[] content) implements RequestBody {
            @Override
            public long length() {
                return content.length;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(content);
            }
        }

        /** A file sent as it is read, reporting each chunk's size to {@code progress}. */
        record File(Path path, long length, LongConsumer progress) implements RequestBody {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = Files.newInputStream(path)) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        out.write(buffer, 0, n);
                        progress.accept(n);
                    }
                }
            }
        }
    }

    /**
     * An answer whose body is still to be read. Closing it closes the body (and, for PATCH, its
     * client); a kept-alive connection then serves the next request.
     */
    static final class Response implements AutoCloseable {
        private final int status;
        private final InputStream body;
        private final UnaryOperator<String> headers;
        private final Runnable onClose;

        Response(int status, InputStream body, UnaryOperator<String> headers) {
            this(status, body, headers, () -> { });
        }

        Response(int status, InputStream body, UnaryOperator<String> headers, Runnable onClose) {
            this.status = status;
            this.body = body;
            this.headers = headers;
            this.onClose = onClose;
        }

        int status() {
            return status;
        }

        InputStream body() {
            return body;
        }

        /** The first value of header {@code name}, null when absent. */
        String header(String name) {
            return headers.apply(name);
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException e) {
                // Nothing more to read from it either way.
            } finally {
                onClose.run();
            }
        }
    }
}
