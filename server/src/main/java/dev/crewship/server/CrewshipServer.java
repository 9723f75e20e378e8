package dev.crewship.server;

import dev.crewship.artifact.ArtifactCollector;
import dev.crewship.artifact.RunArtifacts;
import dev.crewship.auth.ApiKeyService;
import dev.crewship.common.DataDir;
import dev.crewship.deployment.DeploymentFiles;
import dev.crewship.deployment.DeploymentService;
import dev.crewship.env.EnvService;
import dev.crewship.env.SecretBox;
import dev.crewship.event.EventBus;
import dev.crewship.event.RunEvents;
import dev.crewship.executor.process.BubblewrapProbe;
import dev.crewship.executor.process.ProcessExecutor;
import dev.crewship.executor.process.ProcessExecutorConfig;
import dev.crewship.executor.process.PythonEnvironmentBuilder;
import dev.crewship.executor.process.WarmStarts;
import dev.crewship.project.ProjectService;
import dev.crewship.run.RunDispatcher;
import dev.crewship.run.RunDispatcherConfig;
import dev.crewship.run.RunRecovery;
import dev.crewship.run.RunService;
import dev.crewship.server.http.ApiKeyRoutes;
import dev.crewship.server.http.ApiJson;
import dev.crewship.server.http.Authentication;
import dev.crewship.server.http.DeploymentRoutes;
import dev.crewship.server.http.EnvRoutes;
import dev.crewship.server.http.HttpMetrics;
import dev.crewship.server.http.JsonBody;
import dev.crewship.server.http.MetaRoutes;
import dev.crewship.server.http.Problems;
import dev.crewship.server.http.ProjectRoutes;
import dev.crewship.server.http.RequestIds;
import dev.crewship.server.http.Routes;
import dev.crewship.server.http.RunRoutes;
import dev.crewship.server.http.ThreadRoutes;
import dev.crewship.server.http.UsageRoutes;
import dev.crewship.store.blob.FileArtifactStore;
import dev.crewship.store.jdbc.JdbcStore;
import dev.crewship.thread.ThreadService;
import dev.crewship.usage.UsageService;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds a whole server from a {@link ServerConfig} and runs it until
 * {@link #close()}.
 *
 * <p>Starting, in order: the data dir (mode 0711: sandboxes pass through it, nobody lists it); the
 * sandbox check (no bubblewrap, no server, unless explicitly unsandboxed); the Python runtime
 * extracted from the jar; the secret key, the SQLite store and the artifact blobs; the services;
 * recovery of work a previous process left unfinished; the first admin key; last the HTTP server,
 * and one line on stdout saying where it listens.
 *
 * <p>Stopping: everything started is registered in {@link #resources} and closed in reverse order,
 * so HTTP stops accepting first, then the work in progress (builds, runs) is stopped and recorded,
 * then the executor and the store close.
 */
public final class CrewshipServer implements AutoCloseable {
    /** How long stopping waits for HTTP requests in progress; streams still open after that are cut. */
    static final Duration HTTP_STOP_WAIT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(CrewshipServer.class);

    private final ServerConfig config;
    private final DataDir dataDir;
    private final Deque<AutoCloseable> resources;
    private final Javalin http;
    private final CountDownLatch closed = new CountDownLatch(1);

    private CrewshipServer(ServerConfig config, DataDir dataDir, Deque<AutoCloseable> resources, Javalin http) {
        this.config = config;
        this.dataDir = dataDir;
        this.resources = resources;
        this.http = http;
    }

    /** Starts a server; prints the first admin key (first start only) and the ready line to stdout. */
    public static CrewshipServer start(ServerConfig config) {
        return start(config, System.out);
    }

    /** As {@link #start(ServerConfig)}, printing the admin key and the ready line to {@code out} (the CLI's start-up training discards them). */
    public static CrewshipServer start(ServerConfig config, PrintStream out) {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return assemble(config, out, resources);
        } catch (RuntimeException | Error e) {
            closeAll(resources);
            throw e;
        }
    }

    private static CrewshipServer assemble(ServerConfig config, PrintStream out, Deque<AutoCloseable> resources) {
        DataDir dataDir = prepareDataDir(config.dataDir());
        Clock clock = Clock.systemUTC();
        String sandbox = checkSandbox(config);
        if (!config.unsandboxed()) {
            requireTraversableAncestors(dataDir.root());
        }
        Path runtime = RuntimeFiles.extract(dataDir.runtime());

        // Foundation: persistence, secrets, the executor and the environment builder.
        SecretBox secretBox = SecretBox.loadOrCreate(dataDir.secretKeyFile());
        JdbcStore store = register(resources, JdbcStore.open("jdbc:sqlite:" + dataDir.database()));
        FileArtifactStore artifactStore = artifactStore(dataDir);
        ProcessExecutor executor = register(resources, new ProcessExecutor(config.unsandboxed()
                ? ProcessExecutorConfig.unsandboxed(runtime)
                : ProcessExecutorConfig.bubblewrap(runtime).withWarmStarts(config.warmStarts() ? WarmStarts.defaults() : WarmStarts.off())));
        PythonEnvironmentBuilder environments = new PythonEnvironmentBuilder(dataDir.environments());

        // Services.
        DeploymentFiles deploymentFiles = new DeploymentFiles(dataDir);
        ApiKeyService apiKeys = new ApiKeyService(store.apiKeys(), store.projects(), clock);
        ProjectService projects = new ProjectService(store, deploymentFiles, clock);
        EnvService env = new EnvService(store, secretBox, clock);
        DeploymentService deployments = register(resources, new DeploymentService(store, deploymentFiles, environments,
                config.limits().bundle(), DeploymentService.DEFAULT_MAX_CONCURRENT_BUILDS, clock));

        EventBus eventBus = new EventBus();
        ArtifactCollector artifactCollector = new ArtifactCollector(artifactStore, config.limits().artifacts(), clock);
        RunDispatcher dispatcher = new RunDispatcher(store.runs(), store.deployments(), store.threads(), executor, artifactCollector,
                environments, dataDir, env, eventBus, clock,
                RunDispatcherConfig.withMaxConcurrentRuns(config.maxConcurrentRuns()).withMaxValuesBytes(config.limits().maxBodyBytes()));
        RunService runs = new RunService(store, dispatcher, clock, config.limits().maxBodyBytes());
        ThreadService threads = new ThreadService(store, dispatcher, clock, config.limits().maxBodyBytes(), config.limits().maxBodyBytes());

        // Recovery of what a previous process left unfinished, before anything new is accepted
        // (docs/operations.md: running runs fail as ServerRestarted, pending ones run again; failing a
        // thread's run releases its thread in the same transaction, so no thread stays busy).
        deployments.failInterruptedBuilds();
        RunRecovery.Report recovered = new RunRecovery(store.runs(), artifactCollector, dataDir, clock).recover();
        if (!recovered.failed().isEmpty() || recovered.keptPending() > 0) {
            log.warn("recovered from an unclean stop: {} interrupted run(s) failed as {}, {} pending run(s) kept",
                    recovered.failed().size(), RunRecovery.SERVER_RESTARTED, recovered.keptPending());
        }
        register(resources, dispatcher).start();

        AdminKeyFile.createOnFirstStart(apiKeys, dataDir.adminKeyFile(), out);

        // HTTP: metrics, then the route groups (each feature registers its own routes).
        PrometheusMeterRegistry metrics = metrics(resources);
        JsonBody jsonBody = new JsonBody(ApiJson.mapper(), config.limits().maxBodyBytes());
        List<Routes> routes = new ArrayList<>(List.of(
                new MetaRoutes(version(), executor::describe, metrics),
                new ProjectRoutes(projects, jsonBody),
                new DeploymentRoutes(deployments, jsonBody, config.limits().maxBundleBytes()),
                new EnvRoutes(env, jsonBody),
                new RunRoutes(runs, new RunEvents(runs, store.runs(), eventBus),
                        new RunArtifacts(runs, store.artifacts(), artifactStore), jsonBody),
                new ThreadRoutes(threads, runs, jsonBody),
                new UsageRoutes(new UsageService(store)),
                new ApiKeyRoutes(apiKeys, store.projects(), jsonBody)));
        Javalin http = startHttp(config, new Authentication(apiKeys), metrics, routes);
        resources.push(http::stop);

        // Time since the JVM started, so start-up cost can be told apart from the launcher's (bench/footprint.py reads it).
        log.info("Crewship {} started in {} ms: data in {}, runs in {}, artifacts in {}", version(),
                ManagementFactory.getRuntimeMXBean().getUptime(), dataDir.root(), sandbox, artifactStore);
        CrewshipServer server = new CrewshipServer(config, dataDir, resources, http);
        out.println("Crewship listening on " + server.url());
        out.flush();
        return server;
    }

    /** The port the server listens on (the chosen one when the config said 0). */
    public int port() {
        return http.port();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        return "http://" + config.host() + ":" + port();
    }

    public DataDir dataDir() {
        return dataDir;
    }

    /** Blocks until {@link #close()} has finished (from a shutdown hook, for example). */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /** Stops the server: HTTP first, then builds and runs, then the executor and the store. Safe to call twice. */
    @Override
    public void close() {
        synchronized (resources) {
            closeAll(resources);
        }
        closed.countDown();
    }

    /** "GET /v1/projects" for every route the HTTP server has (before/after handlers left out). */
    List<String> routes() {
        return http.unsafe.internalRouter.allHttpHandlers().stream()
                .map(parsed -> parsed.endpoint)
                .filter(endpoint -> endpoint.method.isHttpMethod())
                .map(endpoint -> endpoint.method.name() + " " + endpoint.path)
                .toList();
    }

    private static Javalin startHttp(ServerConfig config, Authentication authentication, PrometheusMeterRegistry metrics, List<Routes> routes) {
        Javalin http = Javalin.create(javalin -> {
            javalin.concurrency.useVirtualThreads = true;
            javalin.jsonMapper(new JavalinJackson(ApiJson.mapper(), true));
            javalin.http.maxRequestSize = config.limits().maxBodyBytes();
            javalin.http.prefer405over404 = true;
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.jetty.modifyServer(server -> {
                // Requests in progress may finish while the server stops; new ones are refused.
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(HTTP_STOP_WAIT.toMillis());
            });
            javalin.requestLogger.http(new HttpMetrics(metrics));
            javalin.routes.before(new RequestIds());
            javalin.routes.before(Authentication.PROTECTED_PATHS, authentication);
            Problems.register(javalin.routes);
            routes.forEach(group -> group.register(javalin.routes));
        });
        try {
            return http.start();
        } catch (RuntimeException e) {
            throw new ServerStartException("cannot listen on " + config.host() + ":" + config.port()
                    + " (is another server using the port?): " + e.getMessage(), e);
        }
    }

    private static DataDir prepareDataDir(Path root) {
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
            return new DataDir(root);
        } catch (IOException e) {
            throw new ServerStartException("cannot use the data dir " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Each run executes as its own unprivileged uid, which must pass through every folder above the
     * data dir to reach the deployment's code: a data dir under a private folder (a home of mode
     * 0700, say) would fail every run, so the server refuses to start instead.
     */
    private static void requireTraversableAncestors(Path root) {
        for (Path folder = root.getParent(); folder != null; folder = folder.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(folder).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new ServerStartException("the data dir " + root + " is inside " + folder + ", which other users cannot"
                            + " enter (mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)) + "): sandboxed runs"
                            + " execute as unprivileged users and could not reach their code. Choose a data dir elsewhere"
                            + " (e.g. /var/lib/crewship) or run chmod o+x " + folder);
                }
            } catch (IOException e) {
                throw new ServerStartException("cannot check the permissions of " + folder + ": " + e.getMessage(), e);
            }
        }
    }

    /** Describes the sandbox runs get, or refuses to start when bubblewrap does not work here. */
    private static String checkSandbox(ServerConfig config) {
        if (config.unsandboxed()) {
            log.warn("{}: crews run WITHOUT any sandbox, as this server's user, and can read and change everything it can."
                    + " Use this only for development on a machine where every crew is trusted.", ServerConfig.UNSANDBOXED_FLAG);
            return "unsandboxed processes";
        }
        BubblewrapProbe.Result probe = BubblewrapProbe.check();
        if (!probe.works()) {
            throw new ServerStartException("Crewship runs every crew in a bubblewrap sandbox, and sandboxes do not work on this host: "
                    + probe.detail() + ".\nInstall bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and start again."
                    + " For development on a machine where every crew is trusted, " + ServerConfig.UNSANDBOXED_FLAG
                    + " runs crews without a sandbox.");
        }
        return "bubblewrap sandboxes (" + probe.detail() + ")";
    }

    private static FileArtifactStore artifactStore(DataDir dataDir) {
        try {
            return new FileArtifactStore(dataDir.blobs());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the artifact folder " + dataDir.blobs(), e);
        }
    }

    private static PrometheusMeterRegistry metrics(Deque<AutoCloseable> resources) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        resources.push(registry::close);
        new JvmMemoryMetrics().bindTo(registry);
        register(resources, new JvmGcMetrics()).bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return registry;
    }

    /** This build's version, written into the jar by Maven. */
    static String version() {
        try (InputStream in = CrewshipServer.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static <T extends AutoCloseable> T register(Deque<AutoCloseable> resources, T resource) {
        resources.push(resource);
        return resource;
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.error("stopping {} failed", resource, e);
            }
        }
    }
}
