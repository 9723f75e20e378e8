package dev.crewship.deployment;

import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.project.Project;
import dev.crewship.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployments: upload (checked and extracted before anything is stored), the background build,
 * listing, build logs (also followed live) and rollback.
 *
 * <p>An upload is extracted into a staging folder by {@link SourceBundle}, its {@code crewship.toml}
 * is read and its entrypoint module looked for; only then does it get an id, its source is moved
 * into place atomically and the deployment is stored as {@code building}. The build runs on a
 * virtual thread, at most {@code maxConcurrentBuilds} at once (installing dependencies is heavy on
 * CPU, disk and network); its output is appended to the stored build log line by line. A successful
 * build makes the deployment {@code ready} and the project's current deployment, unless a newer
 * deployment of the project became current meanwhile.
 */
public final class DeploymentService implements AutoCloseable {
    public static final int DEFAULT_MAX_CONCURRENT_BUILDS = 2;

    /** Why a deployment whose build the server could not finish is failed (found on start, or stopped). */
    public static final String BUILD_INTERRUPTED = "the server stopped during the build; deploy again";

    /** Largest crewship.toml read; it holds a few lines. */
    static final long MAX_TOML_BYTES = 64 * 1024;

    /** How long {@link #close()} waits for builds to be stopped and recorded as failed. */
    static final Duration STOP_WAIT = Duration.ofSeconds(20);

    private static final Logger log = LoggerFactory.getLogger(DeploymentService.class);

    private final Store store;
    private final VisibleResources visible;
    private final DeploymentFiles files;
    private final EnvironmentBuilder builder;
    private final SourceBundle.Limits limits;
    private final Clock clock;
    private final Semaphore buildSlots;
    private final BuildLogSignal signal = new BuildLogSignal();
    private final Map<String, Thread> builds = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public DeploymentService(Store store, DeploymentFiles files, EnvironmentBuilder builder,
                             SourceBundle.Limits limits, int maxConcurrentBuilds, Clock clock) {
        if (maxConcurrentBuilds < 1) {
            throw new IllegalArgumentException("maxConcurrentBuilds must be at least 1");
        }
        this.store = store;
        this.visible = new VisibleResources(store);
        this.files = files;
        this.builder = builder;
        this.limits = limits;
        this.clock = clock;
        this.buildSlots = new Semaphore(maxConcurrentBuilds, true);
    }

    /**
     * Fails the deployments a previous server process left {@code building} (their build died with
     * it) and removes its half-extracted uploads. Call once on start, before accepting uploads.
     */
    public List<String> failInterruptedBuilds() {
        files.removeStaleStaging();
        List<String> failed = store.deployments().listBuilding().stream()
                .filter(id -> store.deployments().markFailed(id, BUILD_INTERRUPTED, clock.instant()))
                .toList();
        failed.forEach(id -> store.deployments().appendBuildLog(id, "Build failed: " + BUILD_INTERRUPTED + "\n"));
        if (!failed.isEmpty()) {
            log.info("{} deployments were building when the server stopped; marked failed: {}", failed.size(), failed);
        }
        return failed;
    }

    /**
     * Checks and stores an uploaded crew folder (tar.gz) as a new deployment of the project and
     * starts its build. Returns the deployment as {@code building}. A rejected upload stores nothing.
     */
    public DeploymentDetails upload(Principal principal, String projectName, InputStream bundle) {
        Project project = visible.project(principal, projectName);
        if (stopping) {
            throw new CrewshipException(ProblemType.UNAVAILABLE, "the server is stopping; deploy again once it is back");
        }
        Path staging = files.newStagingFolder();
        try {
            Path source = staging.resolve("source");
            Files.createDirectory(source);
            SourceBundle.Extracted extracted = SourceBundle.extract(bundle, source, limits);
            DeploymentConfig config = readConfig(source);
            requireEntrypointModule(source, config.entrypoint());
            String id = Ids.next(Ids.DEPLOYMENT);
            files.install(source, id);
            Deployment deployment;
            try {
                deployment = store.deployments().create(new Deployment(id, project.id(), DeploymentStatus.BUILDING, config,
                        extracted.sha256(), null, null, clock.instant(), null));
            } catch (RuntimeException e) {
                files.delete(id);
                throw e;
            }
            startBuild(deployment);
            return new DeploymentDetails(deployment, project.name(), false, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the upload's staging folder", e);
        } finally {
            files.deleteStaging(staging);
        }
    }

    public DeploymentDetails get(Principal principal, String deploymentId) {
        Deployment deployment = visible.deployment(principal, deploymentId);
        Project project = store.projects().findById(deployment.projectId())
                .orElseThrow(() -> CrewshipException.notFound("deployment", deploymentId));
        return details(deployment, project);
    }

    /** The project's deployments, newest first. */
    public Page<DeploymentDetails> list(Principal principal, String projectName, PageRequest page) {
        Project project = visible.project(principal, projectName);
        Page<Deployment> deployments = store.deployments().list(project.id(), page);
        return new Page<>(deployments.data().stream().map(d -> details(d, project)).toList(), deployments.hasMore(), deployments.nextCursor());
    }

    /** Makes an earlier {@code ready} deployment of the project current again; nothing is rebuilt. */
    public Project rollback(Principal principal, String projectName, String deploymentId) {
        Project project = visible.project(principal, projectName);
        if (deploymentId == null || deploymentId.isBlank()) {
            throw CrewshipException.invalid("deployment_id is required: the id of a ready deployment of project " + projectName);
        }
        Deployment deployment = store.deployments().findById(deploymentId)
                .filter(d -> d.projectId().equals(project.id()))
                .orElseThrow(() -> CrewshipException.notFound("deployment", deploymentId));
        if (deployment.status() != DeploymentStatus.READY) {
            throw new CrewshipException(ProblemType.DEPLOYMENT_NOT_READY, "deployment " + deploymentId + " is "
                    + deployment.status().wire() + "; only a ready deployment can become current");
        }
        if (!store.projects().setCurrentDeployment(project.id(), deploymentId)) {
            throw CrewshipException.conflict("deployment " + deploymentId + " could not become current; it is no longer ready");
        }
        return store.projects().findById(project.id()).orElseThrow(() -> CrewshipException.notFound("project", projectName));
    }

    /** The whole build log so far. */
    public String buildLog(Principal principal, String deploymentId) {
        return store.deployments().buildLog(visible.deployment(principal, deploymentId).id(), 0);
    }

    /** Receives a followed build log. */
    public interface BuildLogListener {
        void line(String line) throws IOException;

        /** Nothing happened for a while; a chance to keep the connection open. */
        void idle() throws IOException;
    }

    /**
     * Hands the build log to {@code listener} line by line, first what is there and then new lines
     * as they are written, until the build ends; returns the deployment as it ended ({@code ready}
     * or {@code failed}). For a finished build it hands over the whole log and returns at once.
     */
    public Deployment followBuildLog(Principal principal, String deploymentId, BuildLogListener listener, Duration idleInterval)
            throws IOException, InterruptedException {
        String id = visible.deployment(principal, deploymentId).id();
        long offset = 0;
        StringBuilder partial = new StringBuilder();
        while (true) {
            long seen = signal.version();
            // The status is read before the log: every line is appended before a build ends, so a
            // finished status means the log read next is complete.
            Deployment deployment = store.deployments().findById(id).orElseThrow(() -> CrewshipException.notFound("deployment", id));
            String text = store.deployments().buildLog(id, offset);
            offset += text.length();
            partial.append(text);
            int newline;
            while ((newline = partial.indexOf("\n")) >= 0) {
                listener.line(partial.substring(0, newline));
                partial.delete(0, newline + 1);
            }
            if (deployment.status() != DeploymentStatus.BUILDING) {
                if (!partial.isEmpty()) {
                    listener.line(partial.toString());
                }
                return deployment;
            }
            if (!signal.awaitChange(seen, idleInterval)) {
                listener.idle();
            }
        }
    }

    /** Stops the builds in progress; each is recorded as failed ({@value #BUILD_INTERRUPTED}). Close before the store. */
    @Override
    public void close() {
        stopping = true;
        List<Thread> running = List.copyOf(builds.values());
        running.forEach(Thread::interrupt);
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        for (Thread thread : running) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                    log.warn("a build did not stop within {}; the next start marks it failed", STOP_WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void startBuild(Deployment deployment) {
        Thread thread = Thread.ofVirtual().name("crewship-build-" + deployment.id()).unstarted(() -> build(deployment));
        builds.put(deployment.id(), thread);
        thread.start();
    }

    private void build(Deployment deployment) {
        String id = deployment.id();
        try {
            if (!buildSlots.tryAcquire()) {
                line(id, "Waiting for a free build slot (" + (buildSlots.getQueueLength() + 1) + " builds waiting)");
                buildSlots.acquire();
            }
            try {
                DeploymentConfig config = deployment.config();
                line(id, "Building " + id + ": entrypoint " + config.entrypoint() + ", Python " + config.python());
                EnvironmentBuilder.BuiltEnvironment environment = builder.build(files.source(id), config, text -> line(id, text));
                if (environment.reused()) {
                    files.markEnvironmentReused(id);
                }
                line(id, "Deployment " + id + " is ready");
                // Ready and current in one step (unless a newer deploy finished first).
                store.deployments().markReady(id, environment.key(), clock.instant());
            } finally {
                buildSlots.release();
            }
        } catch (EnvironmentBuilder.BuildFailedException e) {
            fail(id, e.getMessage());
        } catch (InterruptedException e) {
            fail(id, BUILD_INTERRUPTED);
        } catch (RuntimeException e) {
            log.error("the build of deployment {} failed on the server", id, e);
            fail(id, "the build failed because of a problem on the server (details are in the server log)");
        } finally {
            builds.remove(id);
            signal.changed();
        }
    }


    private void fail(String id, String reason) {
        try {
            line(id, "Build failed: " + reason);
            store.deployments().markFailed(id, reason, clock.instant());
        } catch (RuntimeException e) {
            log.error("could not record the failed build of deployment {}", id, e);
        }
    }

    private void line(String id, String text) {
        store.deployments().appendBuildLog(id, text + "\n");
        signal.changed();
    }



    private DeploymentDetails details(Deployment deployment, Project project) {
        return new DeploymentDetails(deployment, project.name(), deployment.id().equals(project.currentDeploymentId()),
                files.environmentReused(deployment.id()));
    }

    private static DeploymentConfig readConfig(Path source) {
        Path toml = source.resolve(CrewshipToml.FILE_NAME);
        if (!Files.isRegularFile(toml, LinkOption.NOFOLLOW_LINKS)) {
            throw new CrewshipException(ProblemType.INVALID_BUNDLE, "the bundle has no " + CrewshipToml.FILE_NAME
                    + " at its root; add one with a [deployment] table (framework = \"crewai\", entrypoint = \"module:attribute\")");
        }
        try {
            if (Files.size(toml) > MAX_TOML_BYTES) {
                throw new CrewshipException(ProblemType.INVALID_BUNDLE, CrewshipToml.FILE_NAME + " is larger than " + MAX_TOML_BYTES + " bytes");
            }
            return CrewshipToml.parse(new String(Files.readAllBytes(toml), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the extracted " + CrewshipToml.FILE_NAME, e);
        }
    }

    private static void requireEntrypointModule(Path source, String entrypoint) {
        List<String> candidates = CrewshipToml.moduleCandidates(entrypoint);
        boolean present = candidates.stream().anyMatch(candidate -> Files.isRegularFile(source.resolve(candidate)));
        if (!present) {
            throw new CrewshipException(ProblemType.INVALID_BUNDLE, "the entrypoint module " + CrewshipToml.module(entrypoint)
                    + " is not in the bundle; looked for " + String.join(", ", candidates));
        }
    }
}
