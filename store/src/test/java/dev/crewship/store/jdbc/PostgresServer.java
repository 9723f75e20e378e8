package dev.crewship.store.jdbc;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests, from the Debian binaries ({@code initdb}, {@code pg_ctl}):
 * a fresh cluster in a temporary folder, listening on a free loopback port, trust authentication,
 * durability off (fsync) for speed. Its default collation is ICU's {@code en-US} (where {@code a}
 * sorts before {@code B}), so tests notice any id or name column that forgets its binary collation.
 * PostgreSQL refuses to run as root; as root the server runs as the {@code postgres} system user.
 */
final class PostgresServer implements AutoCloseable {
    private static final String SUPERUSER = "crewship";
    private static final String SYSTEM_USER = "postgres";
    /** Starts tried on a newly chosen port when the previous one was taken meanwhile. */
    private static final int MAX_START_ATTEMPTS = 3;

    private final Path binaries;
    private final Path data;
    private final int port;
    private final AtomicInteger schemas = new AtomicInteger();
    private final Thread stopOnExit;

    private PostgresServer(Path binaries, Path data, int port) {
        this.binaries = binaries;
        this.data = data;
        this.port = port;
        this.stopOnExit = new Thread(this::stop, "postgres-stop");
    }

    static PostgresServer start(Path folder) throws IOException, InterruptedException {
        Path binaries = findBinaries();
        Path cluster = Files.createDirectories(folder.resolve("cluster"));
        Path data = cluster.resolve("data");
        Path sockets = Files.createDirectories(cluster.resolve("sockets"));
        if (isRoot()) {
            giveTo(SYSTEM_USER, folder);
        }
        run(List.of(binaries.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER, "-A", "trust",
                "-E", "UTF8", "--locale-provider=icu", "--icu-locale=en-US", "--locale=C.UTF-8", "--no-sync"));
        Path log = cluster.resolve("server.log");
        for (int attempt = 1; ; attempt++) {
            // PostgreSQL cannot pick a free port itself: the port is chosen here, just before the start, and
            // another process may still take it first. Then the start fails on the bind, and a new port is tried.
            PostgresServer server = new PostgresServer(binaries, data, freePort());
            long logged = Files.exists(log) ? Files.size(log) : 0;
            try {
                run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(),
                        "-w", "-t", "60", "-o", "-p " + server.port + " -h 127.0.0.1 -k " + sockets
                                + " -F -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"));
            } catch (IOException e) {
                if (attempt == MAX_START_ATTEMPTS || !portWasTaken(log, logged)) {
                    throw e;
                }
                continue;
            }
            Runtime.getRuntime().addShutdownHook(server.stopOnExit);
            return server;
        }
    }

    /** Whether the server's log after {@code offset} says its port was in use (a start that lost the port to another process). */
    private static boolean portWasTaken(Path log, long offset) throws IOException {
        if (!Files.exists(log)) {
            return false;
        }
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(offset, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8).contains("Address already in use");
    }

    /**
     * A JDBC URL whose connections work in a new, empty schema of the one test database. A schema
     * is as isolated as a database for the store (every table lives in it) and is created in
     * milliseconds, where {@code CREATE DATABASE} takes a few hundred.
     */
    String newEmptySchema() throws SQLException {
        String schema = "test_" + schemas.incrementAndGet();
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return jdbcUrl("postgres") + "&currentSchema=" + schema;
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + SUPERUSER;
    }

    @Override
    public void close() {
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
        stop();
    }

    private void stop() {
        try {
            run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
        } catch (IOException e) {
            throw new IllegalStateException("could not stop the test PostgreSQL server: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(List.of("setpriv", "--reuid=" + SYSTEM_USER, "--regid=" + SYSTEM_USER, "--init-groups", "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed:\n" + new String(output));
        }
    }

    /** The folder holding {@code initdb} and {@code pg_ctl}: on PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
    private static Path findBinaries() throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path initdb = Path.of(dir.isEmpty() ? "." : dir, "initdb");
            if (Files.isExecutable(initdb)) {
                return initdb.toRealPath().getParent();
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                List<Path> found = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .sorted().toList();
                if (!found.isEmpty()) {
                    return found.getLast();
                }
            }
        }
        throw new IOException("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql;"
                + " install the Debian package postgresql");
    }

    private static boolean isRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    private static void giveTo(String user, Path folder) throws IOException {
        UserPrincipalLookupService lookup = folder.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner = lookup.lookupPrincipalByName(user);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(user);
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.toList()) {
                PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
                view.setOwner(owner);
                view.setGroup(group);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
