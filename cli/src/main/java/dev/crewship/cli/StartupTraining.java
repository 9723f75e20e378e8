package dev.crewship.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.crewship.cli.output.Terminal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training run of the CLI's class data sharing archive: {@code bin/crewship} runs this once per
 * built jar with {@code -XX:ArchiveClassesAtExit} and starts every later client command with the
 * archive. It runs typical command lines in-process (every command's help, reads, a run with its
 * event stream, an error answer) against a stand-in of the API on a loopback port, so the archive
 * holds what a command needs whichever command a user happens to run first. Nothing it prints is shown.
 */
public final class StartupTraining {
    private static final String RUN = """
            {"id":"run_training","object":"run","project":"training","deployment_id":"dep_training","thread_id":null,
            "status":"succeeded","input":{"topic":"AI agents"},"output":{"report":"# Report"},"error":null,
            "created_at":"2026-01-01T00:00:00Z","started_at":"2026-01-01T00:00:01Z","finished_at":"2026-01-01T00:00:02Z","duration_ms":1000}""";
    private static final String EVENTS = """
            {"object":"list","has_more":false,"data":[{"seq":1,"type":"run.started","data":{"deployment_id":"dep_training"},"created_at":"2026-01-01T00:00:01Z"},
            {"seq":2,"type":"log","data":{"message":"Researcher agent starting...","stream":"stdout"},"created_at":"2026-01-01T00:00:01Z"},
            {"seq":3,"type":"run.completed","data":{"duration_ms":1000},"created_at":"2026-01-01T00:00:02Z"}]}""";
    private static final String EVENT_STREAM = """
            id: 1
            event: run.started
            data: {"deployment_id":"dep_training"}

            id: 2
            event: agent.started
            data: {"agent":"Researcher","task":"Research topic"}

            id: 3
            event: artifact
            data: {"name":"report.md","size":1234}

            id: 4
            event: run.completed
            data: {"duration_ms":1000}

            """;

    private StartupTraining() {
    }

    public static void main(String[] args) throws IOException {
        exercise();
        // Exits here, so the archive is written even should a library have left a thread behind.
        System.exit(0);
    }

    /** Runs the command lines and returns each one's exit code, in order. */
    static Map<String, Integer> exercise() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", StartupTraining::answer);
        server.start();
        Path folder = Files.createTempDirectory("crewship-training-");
        Map<String, Integer> exitCodes = new LinkedHashMap<>();
        try {
            Map<String, String> env = Map.of("CREWSHIP_URL", "http://127.0.0.1:" + server.getAddress().getPort(),
                    "CREWSHIP_API_KEY", "csk_training", "CREWSHIP_PROJECT", "training");
            for (List<String> line : commandLines()) {
                PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
                exitCodes.put(String.join(" ", line), CrewshipCli.run(line.toArray(String[]::new), new CliContext(env, folder, folder,
                        discard, discard, new ByteArrayInputStream(new byte[0]), Terminal.plain())));
            }
        } finally {
            server.stop(0);
            Files.deleteIfExists(folder);
        }
        return exitCodes;
    }

    private static List<List<String>> commandLines() {
        List<List<String>> lines = new ArrayList<>();
        lines.add(List.of("--help"));
        CrewshipCommand.SUBCOMMANDS.keySet().forEach(name -> lines.add(List.of(name, "--help")));
        lines.addAll(List.of(
                List.of("--version"),
                List.of("runs", "list"),
                List.of("runs", "list", "--json"),
                List.of("runs", "get", "run_training"),
                List.of("runs", "events", "run_training"),
                List.of("runs", "artifacts", "run_training"),
                List.of("runs", "get", "run_missing"),
                List.of("invoke", "--input", "{\"topic\": \"AI agents\"}", "--stream"),
                List.of("invoke", "--input", "{\"topic\": ", "--wait"),
                List.of("projects", "list"),
                List.of("deployments", "list"),
                List.of("env", "list")));
        return lines;
    }

    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean stream = "text/event-stream".equals(exchange.getRequestHeaders().getFirst("Accept"));
        exchange.getRequestBody().readAllBytes();
        if (path.equals("/v1/runs/run_training/events") && stream) {
            send(exchange, 200, "text/event-stream", EVENT_STREAM);
        } else if (path.equals("/v1/runs/run_training/events")) {
            send(exchange, 200, "application/json", EVENTS);
        } else if (path.equals("/v1/runs/run_training") || (path.equals("/v1/runs") && exchange.getRequestMethod().equals("POST"))) {
            send(exchange, 200, "application/json", RUN);
        } else if (path.equals("/v1/runs")) {
            send(exchange, 200, "application/json", "{\"object\":\"list\",\"data\":[" + RUN + "],\"has_more\":false,\"next_cursor\":null}");
        } else if (path.equals("/v1/runs/run_training/artifacts")) {
            send(exchange, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"name\":\"report.md\",\"size\":1234,"
                    + "\"content_type\":\"text/markdown; charset=utf-8\",\"sha256\":\"0\",\"created_at\":\"2026-01-01T00:00:02Z\"}]}");
        } else if (path.equals("/v1/projects") || path.equals("/v1/projects/training/env")
                || path.equals("/v1/projects/training/deployments")) {
            send(exchange, 200, "application/json", "{\"object\":\"list\",\"data\":[],\"has_more\":false}");
        } else {
            send(exchange, 404, "application/problem+json", "{\"type\":\"https://crewship.dev/problems/not-found\","
                    + "\"title\":\"Not found\",\"status\":404,\"detail\":\"run run_missing not found\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
