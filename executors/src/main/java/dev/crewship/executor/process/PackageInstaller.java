package dev.crewship.executor.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How environments get their packages: {@code uv} when it is on the server's PATH (fast, with a
 * persistent cache), else the interpreter's own {@code venv} and {@code pip}.
 *
 * <p>The installer runs on the server, so it gets a new environment: the server's PATH and HOME,
 * what reaching the package index needs (proxies, CA certificates) and the operator's pip/uv settings
 * ({@code PIP_*}, {@code UV_*}), nothing else. Other variables may hold the server's secrets, and
 * installing a package can run its build scripts.
 *
 * @param uv    the uv executable, or null for venv + pip
 * @param cache the package cache folder, kept between builds
 */
record PackageInstaller(Path uv, Path cache) {
    private static final List<String> PASSED_VARIABLES = List.of(
            "PATH", "HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
            "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE");
    private static final List<String> PASSED_PREFIXES = List.of("PIP_", "UV_");

    /** uv from PATH when there is one, else pip; caches live in {@code cacheRoot}. */
    static PackageInstaller detect(Path cacheRoot) {
        Optional<Path> uv = onPath("uv");
        return uv.map(path -> new PackageInstaller(path, cacheRoot.resolve("uv")))
                .orElseGet(() -> new PackageInstaller(null, cacheRoot.resolve("pip")));
    }

    String name() {
        return uv != null ? "uv" : "pip";
    }

    List<String> createEnvironment(Path interpreter, Path dir) {
        if (uv != null) {
            // Relocatable: console scripts find their interpreter relative to themselves, which keeps them
            // working after the rename into place and under /opt/venv in the sandbox.
            return List.of(uv.toString(), "venv", "--relocatable", "--no-project", "--python", interpreter.toString(), dir.toString());
        }
        return List.of(interpreter.toString(), "-m", "venv", dir.toString());
    }

    List<String> install(Path dir, Path requirementsFile) {
        Path python = dir.resolve("bin/python");
        if (uv != null) {
            // Bytecode is compiled now: the environment is read-only in the sandbox, so Python could not cache it there.
            return List.of(uv.toString(), "pip", "install", "--python", python.toString(), "--compile-bytecode",
                    "-r", requirementsFile.toString());
        }
        return List.of(python.toString(), "-m", "pip", "install", "--no-input", "-r", requirementsFile.toString());
    }

    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        System.getenv().forEach((name, value) -> {
            if (PASSED_VARIABLES.contains(name) || PASSED_PREFIXES.stream().anyMatch(name::startsWith)) {
                env.put(name, value);
            }
        });
        env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("UV_CACHE_DIR", cache.toString());
        env.put("UV_PYTHON_DOWNLOADS", "never");
        env.put("PIP_CACHE_DIR", cache.toString());
        env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        return env;
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, command))
                .filter(candidate -> Files.isRegularFile(candidate) && Files.isExecutable(candidate))
                .findFirst();
    }
}
