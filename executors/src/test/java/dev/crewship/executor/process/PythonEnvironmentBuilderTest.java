package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.EnvironmentBuilder.BuildFailedException;
import dev.crewship.deployment.EnvironmentBuilder.BuiltEnvironment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real builds with the real /usr/bin/python3.11 and packages from PyPI; one environments folder per class. */
class PythonEnvironmentBuilderTest {
    private static Path work;
    private static Path environments;
    private static PythonEnvironmentBuilder builder;

    @BeforeAll
    static void setUp() {
        work = TestFolders.create("envbuilder-");
        environments = work.resolve("environments");
        builder = new PythonEnvironmentBuilder(environments);
    }

    @AfterAll
    static void tearDown() {
        TestFolders.delete(work);
    }

    static DeploymentConfig config(String python) {
        return new DeploymentConfig("crewai", "crew:kickoff", python, List.of(), DeploymentConfig.DEFAULT_TIMEOUT,
                DeploymentConfig.DEFAULT_MEMORY_MB, DeploymentConfig.DEFAULT_MAX_PROCESSES, DeploymentConfig.DEFAULT_CPU_TIME, false);
    }

    static Path source(String name, String file, String content) throws IOException {
        Path dir = Files.createDirectories(work.resolve("sources").resolve(name));
        if (file != null) {
            Files.writeString(dir.resolve(file), content);
        }
        return dir;
    }

    @Test
    void buildsAnEnvironmentWithoutDependenciesOnceAndThenReusesIt() throws Exception {
        Path source = source("empty", null, null);
        List<String> log = Collections.synchronizedList(new ArrayList<>());

        BuiltEnvironment first = builder.build(source, config("3.11"), log::add);
        BuiltEnvironment second = builder.build(source, config("3.11"), line -> { });

        assertThat(first.reused()).isFalse();
        assertThat(first.key()).matches("[0-9a-f]{64}");
        assertThat(first.dir()).isEqualTo(environments.resolve(first.key())).isEqualTo(builder.environmentDir(first.key()));
        assertThat(second).isEqualTo(new BuiltEnvironment(first.key(), first.dir(), true));
        assertThat(python(first.dir(), "import sys; print(sys.version_info[:2], sys.prefix)"))
                .startsWith("(3, 11) " + first.dir());
        assertThat(log).anyMatch(line -> line.startsWith("Building environment")).anyMatch(line -> line.startsWith("$ "));
        assertWorldReadable(first.dir());
        try (Stream<Path> left = Files.list(environments)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith(".build-"));
        }
    }

    @Test
    void installsRequirementsFromPypiStreamsTheOutputAndReusesTheEnvironment() throws Exception {
        Path source = source("six", "requirements.txt", "# the one dependency\nsix   # pure python\n\n");
        List<String> log = Collections.synchronizedList(new ArrayList<>());

        BuiltEnvironment built = builder.build(source, config("3.11"), log::add);

        assertThat(built.reused()).isFalse();
        assertThat(python(built.dir(), "import six; print(six.__name__)")).isEqualTo("six");
        assertThat(log).anyMatch(line -> line.contains("six"));
        assertThat(Files.readAllLines(built.dir().resolve(PythonEnvironmentBuilder.REQUIREMENTS_RECORD))).containsExactly("six");
        assertWorldReadable(built.dir());

        // The same dependency from pyproject.toml is the same environment.
        Path pyproject = source("six-pyproject", "pyproject.toml", "[project]\nname = \"x\"\ndependencies = [\"six\"]\n");
        BuiltEnvironment again = builder.build(pyproject, config("3.11"), line -> { });
        assertThat(again).isEqualTo(new BuiltEnvironment(built.key(), built.dir(), true));
    }

    @Test
    void aRequirementThatDoesNotExistFailsWithTheInstallersReasonAndLeavesNothingBehind() throws Exception {
        Path source = source("missing", "requirements.txt", "crewship-no-such-package-4711\n");
        List<String> log = Collections.synchronizedList(new ArrayList<>());

        assertThatThrownBy(() -> builder.build(source, config("3.11"), log::add))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageStartingWith("installing the dependencies from requirements.txt failed: ")
                .hasMessageContaining("crewship-no-such-package-4711")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(log).anyMatch(line -> line.contains("crewship-no-such-package-4711"));
        try (Stream<Path> left = Files.list(environments)) {
            String key = PythonEnvironmentBuilder.key("3.11", Requirements.read(source));
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(name -> name.contains(key));
        }
    }

    @Test
    void aPythonThatIsNotInstalledIsRefusedWithTheSupportedVersions() throws Exception {
        Path source = source("py312", null, null);

        assertThatThrownBy(() -> builder.build(source, config("3.12"), line -> { }))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("Python 3.12 is not installed on this server; supported: 3.11");
        assertThatThrownBy(() -> builder.build(source, config("3.11/../../bin/sh"), line -> { }))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageStartingWith("Python 3.11/../../bin/sh is not installed on this server");
    }

    @Test
    void localPathsAndIndexOptionsAreRejectedBeforeAnythingIsInstalled() throws Exception {
        Path source = source("editable", "requirements.txt", "six\n-e ../../etc\n");

        assertThatThrownBy(() -> builder.build(source, config("3.11"), line -> { }))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("requirements.txt line 2")
                .hasMessageContaining("'-e'");
    }

    @Test
    void concurrentBuildsOfTheSameDependenciesBuildOnce() throws Exception {
        Path source = source("concurrent", "requirements.txt", "six>=1.10\n");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Callable<BuiltEnvironment>> builds = Collections.nCopies(3, () -> builder.build(source, config("3.11"), line -> { }));
            List<BuiltEnvironment> results = new ArrayList<>();
            for (Future<BuiltEnvironment> future : pool.invokeAll(builds)) {
                results.add(future.get());
            }
            assertThat(results).extracting(BuiltEnvironment::dir).containsOnly(results.getFirst().dir());
            assertThat(results).filteredOn(result -> !result.reused()).hasSize(1);
            assertThat(python(results.getFirst().dir(), "import six; print('ok')")).isEqualTo("ok");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCrashedBuildNeverLooksReadyAndIsCleanedUpByTheNextBuild() throws Exception {
        Path source = source("crashed", "requirements.txt", "six==1.16.0\n");
        String key = PythonEnvironmentBuilder.key("3.11", Requirements.read(source));
        Path leftover = Files.createDirectories(environments.resolve(".build-" + key + "-crashed/bin"));

        BuiltEnvironment built = builder.build(source, config("3.11"), line -> { });

        assertThat(built.reused()).isFalse();
        assertThat(leftover.getParent()).doesNotExist();
        assertThat(python(built.dir(), "import six; print(six.__version__)")).isEqualTo("1.16.0");
    }

    @Test
    void pipIsUsedWhenUvIsMissing() throws Exception {
        PythonEnvironmentBuilder pipBuilder = new PythonEnvironmentBuilder(work.resolve("pip-environments"),
                cache -> new PackageInstaller(null, cache.resolve("pip")));
        Path source = source("pip", "requirements.txt", "six\n");
        List<String> log = Collections.synchronizedList(new ArrayList<>());

        BuiltEnvironment built = pipBuilder.build(source, config("3.11"), log::add);

        assertThat(log).anyMatch(line -> line.contains("-m pip install"));
        assertThat(python(built.dir(), "import six; print('ok')")).isEqualTo("ok");
        assertWorldReadable(built.dir());
    }

    private static String python(Path environment, String code) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(environment.resolve("bin/python").toString(), "-c", code).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }

    private static void assertWorldReadable(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
                assertThat(permissions).as(path.toString()).contains(PosixFilePermission.OTHERS_READ)
                        .doesNotContain(PosixFilePermission.OTHERS_WRITE, PosixFilePermission.GROUP_WRITE);
                if (Files.isDirectory(path)) {
                    assertThat(permissions).as(path.toString()).contains(PosixFilePermission.OTHERS_EXECUTE);
                }
            }
        }
    }
}
