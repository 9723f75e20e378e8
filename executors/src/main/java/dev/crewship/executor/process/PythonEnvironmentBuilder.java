package dev.crewship.executor.process;

import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.EnvironmentBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds one virtualenv per distinct (Python version, dependency list) under a root folder, named
 * by the sha256 of both plus {@link #FORMAT_VERSION}. A deployment whose dependencies did not
 * change gets the existing environment at once.
 *
 * <p>Safety: an environment is built in a {@code .build-<key>-…} folder beside its final place and
 * renamed into place atomically when complete, so a folder named by its key is always complete (a
 * crash leaves only a {@code .build-} folder, removed by the next build of that key). Builds of the
 * same key wait for each other (a lock in this JVM plus a file lock for other servers sharing the
 * folder). Environments are world-readable (0755/0644): the sandboxes read them as other uids.
 *
 * <p>The crewship runtime is not installed into environments: the executor mounts it separately, so a
 * new runtime never requires rebuilding environments.
 */
public final class PythonEnvironmentBuilder implements EnvironmentBuilder {
    /** The longest an environment build may take before it is stopped and fails. */
    public static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    /** Part of every environment key: raise it when the layout of environments changes, so none is reused. */
    static final int FORMAT_VERSION = 1;
    /** Written into every environment: the exact requirements it was built from. */
    static final String REQUIREMENTS_RECORD = "crewship-requirements.txt";

    private static final Path INTERPRETERS = Path.of("/usr/bin");
    private static final Pattern PYTHON_VERSION = Pattern.compile("3\\.\\d{1,2}");
    private static final Pattern INTERPRETER_NAME = Pattern.compile("python(3\\.\\d{1,2})");
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");
    private static final String SANDBOX_PYTHON = SandboxCommand.VENV + "/bin/python";

    private final Path root;
    private final PackageInstaller installer;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** Environments live in {@code environmentsRoot} (created when missing); package caches in its {@code .cache}. */
    public PythonEnvironmentBuilder(Path environmentsRoot) {
        this(environmentsRoot, PackageInstaller::detect);
    }

    /** With the installer chosen by {@code installer} from the cache folder (tests force pip this way). */
    PythonEnvironmentBuilder(Path environmentsRoot, Function<Path, PackageInstaller> installer) {
        this.root = environmentsRoot.toAbsolutePath().normalize();
        try {
            Files.createDirectories(root);
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(root);
            // Sandboxes must traverse the root to reach their environment; they need not list it.
            permissions.add(PosixFilePermission.GROUP_EXECUTE);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(root, permissions);
            createPrivateDirectory(root.resolve(".cache"));
            createPrivateDirectory(root.resolve(".locks"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the environments folder " + root, e);
        }
        this.installer = installer.apply(root.resolve(".cache"));
    }

    @Override
    public BuiltEnvironment build(Path sourceDir, DeploymentConfig config, BuildLog log) throws BuildFailedException, InterruptedException {
        Requirements requirements = Requirements.read(sourceDir);
        Path interpreter = interpreter(config.python());
        String key = key(config.python(), requirements);
        Path dir = root.resolve(key);
        String summary = "Python " + config.python() + ", " + describe(requirements);
        if (Files.isDirectory(dir)) {
            log.line("Reusing environment " + key.substring(0, 12) + " (" + summary + ")");
            return new BuiltEnvironment(key, dir, true);
        }
        ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lockInterruptibly();
        try (FileChannel channel = FileChannel.open(root.resolve(".locks").resolve(key), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (Files.isDirectory(dir)) {
                log.line("Reusing environment " + key.substring(0, 12) + " (" + summary + "), built meanwhile");
                return new BuiltEnvironment(key, dir, true);
            }
            log.line("Building environment " + key.substring(0, 12) + " (" + summary + ") with " + installer.name());
            buildInto(dir, key, interpreter, requirements, log);
            log.line("Environment " + key.substring(0, 12) + " is ready");
            return new BuiltEnvironment(key, dir, false);
        } catch (IOException e) {
            throw new UncheckedIOException("building environment " + key + " failed on the server", e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Path environmentDir(String environmentKey) {
        if (!KEY.matcher(environmentKey).matches()) {
            throw new IllegalArgumentException("not an environment key: " + environmentKey);
        }
        return root.resolve(environmentKey);
    }

    /** sha256 over the builder's format version, the Python version and the normalized requirements. */
    static String key(String python, Requirements requirements) {
        StringBuilder text = new StringBuilder("crewship-environment\nformat ").append(FORMAT_VERSION)
                .append("\npython ").append(python).append('\n');
        requirements.lines().forEach(line -> text.append(line).append('\n'));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private void buildInto(Path dir, String key, Path interpreter, Requirements requirements, BuildLog log)
            throws IOException, BuildFailedException, InterruptedException {
        deleteStaleBuilds(key);
        Path staging = root.resolve(".build-" + key + "-" + UUID.randomUUID());
        long deadline = System.nanoTime() + BUILD_TIMEOUT.toNanos();
        Map<String, String> env = installer.environment();
        try {
            BuildStep.run("creating the virtual environment", installer.createEnvironment(interpreter, staging), env, root, log,
                    deadline, BUILD_TIMEOUT);
            Path record = staging.resolve(REQUIREMENTS_RECORD);
            Files.write(record, requirements.lines(), StandardCharsets.UTF_8);
            if (!requirements.lines().isEmpty()) {
                BuildStep.run("installing the dependencies from " + requirements.source(), installer.install(staging, record), env,
                        root, log, deadline, BUILD_TIMEOUT);
            }
            if (installer.uv() == null) {
                pointScriptsAtSandbox(staging);
            }
            makeWorldReadable(staging);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | BuildFailedException | InterruptedException | RuntimeException e) {
            try {
                deleteTree(staging);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private Path interpreter(String python) throws BuildFailedException {
        Path interpreter = INTERPRETERS.resolve("python" + python);
        if (python == null || !PYTHON_VERSION.matcher(python).matches() || !Files.isExecutable(interpreter)) {
            throw new BuildFailedException("Python " + python + " is not installed on this server; supported: " + supportedVersions());
        }
        return interpreter;
    }

    private static String supportedVersions() {
        try (Stream<Path> files = Files.list(INTERPRETERS)) {
            List<String> versions = files
                    .map(file -> INTERPRETER_NAME.matcher(file.getFileName().toString()))
                    .filter(java.util.regex.Matcher::matches)
                    .map(matcher -> matcher.group(1))
                    .filter(version -> Files.isExecutable(INTERPRETERS.resolve("python" + version)))
                    .sorted(Comparator.comparingInt(version -> Integer.parseInt(version.substring(2))))
                    .toList();
            return versions.isEmpty() ? "none" : String.join(", ", versions);
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String describe(Requirements requirements) {
        int count = requirements.lines().size();
        return count == 0 ? "no dependencies" : count + (count == 1 ? " dependency" : " dependencies") + " from " + requirements.source();
    }

    /**
     * pip writes the build folder's absolute path into console scripts; the environment is used
     * at /opt/venv in the sandbox, so that is where they must look for Python.
     */
    private static void pointScriptsAtSandbox(Path staging) throws IOException {
        byte[] oldShebang = ("#!" + staging.resolve("bin/python")).getBytes(StandardCharsets.UTF_8);
        try (DirectoryStream<Path> scripts = Files.newDirectoryStream(staging.resolve("bin"))) {
            for (Path script : scripts) {
                if (!Files.isRegularFile(script, LinkOption.NOFOLLOW_LINKS) || Files.size(script) > 1024 * 1024) {
                    continue;
                }
                String text = new String(Files.readAllBytes(script), StandardCharsets.ISO_8859_1);
                String prefix = new String(oldShebang, StandardCharsets.ISO_8859_1);
                if (text.startsWith(prefix)) {
                    Files.write(script, ("#!" + SANDBOX_PYTHON + text.substring(prefix.length())).getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        }
    }

    private static void makeWorldReadable(Path dir) throws IOException {
        Set<PosixFilePermission> folder = PosixFilePermissions.fromString("rwxr-xr-x");
        Set<PosixFilePermission> file = PosixFilePermissions.fromString("rw-r--r--");
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path path, BasicFileAttributes attributes) throws IOException {
                Files.setPosixFilePermissions(path, folder);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path path, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile()) {
                    boolean executable = Files.getPosixFilePermissions(path).contains(PosixFilePermission.OWNER_EXECUTE);
                    Files.setPosixFilePermissions(path, executable ? folder : file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void deleteStaleBuilds(String key) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, ".build-" + key + "-*")) {
            for (Path dir : stale) {
                deleteTree(dir);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
