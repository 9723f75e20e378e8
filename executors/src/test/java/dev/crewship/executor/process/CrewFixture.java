package dev.crewship.executor.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.event.NewEvent;
import dev.crewship.run.EventSink;
import dev.crewship.run.ExecutionRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the server would have on disk for the executor tests, laid out like its data dir (mode 0711):
 * a deployment's source (the probe crew, with its empty {@code artifacts/} folder), a Python
 * environment built by the real {@link PythonEnvironmentBuilder}, and a scratch folder per run.
 */
final class CrewFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path data;
    final Path environment;
    final Path source;

    private CrewFixture(Path data, Path environment, Path source) {
        this.data = data;
        this.environment = environment;
        this.source = source;
    }

    /** A data dir holding the probe crew and an environment without dependencies. */
    static CrewFixture create() {
        Path data = TestFolders.create("executor-data-");
        try {
            Path environment = new PythonEnvironmentBuilder(data.resolve("environments"))
                    .build(resource("crews/probe"), config(Duration.ofSeconds(60), 1024, 64, false), line -> { })
                    .dir();
            Path source = TestFolders.createDirectory(data.resolve("deployments/dep_probe/source"), "rwxr-xr-x");
            TestFolders.createDirectory(data.resolve("deployments/dep_probe"), "rwx--x--x");
            TestFolders.createDirectory(data.resolve("deployments"), "rwx--x--x");
            try (Stream<Path> files = Files.list(resource("crews/probe"))) {
                for (Path file : files.toList()) {
                    Path copy = Files.copy(file, source.resolve(file.getFileName()));
                    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            TestFolders.createDirectory(source.resolve("artifacts"), "rwxr-xr-x");
            TestFolders.createDirectory(data.resolve("runs"), "rwx--x--x");
            return new CrewFixture(data, environment, source);
        } catch (Exception e) {
            TestFolders.delete(data);
            throw new IllegalStateException("cannot prepare the crew fixture", e);
        }
    }

    /** The runtime the crew tests run: the real one from runtime/python. */
    static Path runtime() {
        return TestFolders.repoRoot().resolve("runtime/python");
    }

    static Path resource(String name) {
        try {
            return Path.of(CrewFixture.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static DeploymentConfig config(Duration timeout, long memoryMb, int maxProcesses, boolean network) {
        return new DeploymentConfig("crewai", "crew:kickoff", "3.11", List.of(), timeout, memoryMb, maxProcesses,
                Duration.ofMinutes(10), network);
    }

    static DeploymentConfig defaults() {
        return config(Duration.ofSeconds(60), 1024, 64, false);
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A request with a fresh artifacts folder under {@code runs/<runId>/}. */
    ExecutionRequest request(String runId, DeploymentConfig config, String input, Map<String, String> env) {
        return request(runId, config, source, input, env);
    }

    ExecutionRequest request(String runId, DeploymentConfig config, Path sourceDir, String input, Map<String, String> env) {
        return request(runId, "dep_probe", config, sourceDir, input, env);
    }

    ExecutionRequest request(String runId, String deploymentId, DeploymentConfig config, Path sourceDir, String input, Map<String, String> env) {
        TestFolders.createDirectory(data.resolve("runs").resolve(runId), "rwx--x--x");
        Path artifacts = TestFolders.createDirectory(artifactsDir(runId), "rwxr-xr-x");
        return new ExecutionRequest(runId, deploymentId, config, sourceDir, environment, artifacts, json(input), null, env);
    }

    Path artifactsDir(String runId) {
        return data.resolve("runs").resolve(runId).resolve("artifacts");
    }

    @Override
    public void close() {
        TestFolders.delete(data);
    }

    /** Collects events; safe to read from the test thread while a run is executing. */
    static final class RecordingSink implements EventSink {
        private final List<NewEvent> events = new ArrayList<>();

        @Override
        public synchronized void emit(NewEvent event) {
            events.add(event);
            notifyAll();
        }

        synchronized List<NewEvent> events() {
            return List.copyOf(events);
        }

        synchronized List<String> types() {
            return events.stream().map(NewEvent::type).toList();
        }

        /** Waits until an event of {@code type} arrived. */
        synchronized NewEvent await(String type, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (NewEvent event : events) {
                    if (event.type().equals(type)) {
                        return event;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no " + type + " event within " + timeout + "; got " + types());
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
