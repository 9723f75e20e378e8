package dev.crewship.executor.process;

import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.run.ExecutionRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The command line and environment that start {@code crewship_runtime} for one run.
 *
 * <p>The crew's environment is passed as the process environment, never as {@code bwrap --setenv}
 * arguments: a command line is readable by every user of the host through {@code /proc/<pid>/cmdline},
 * a process environment only by its owner. bubblewrap hands its own environment on to the crew, and
 * the server builds that environment from scratch (no variable of its own leaks).
 *
 * <p>The sandbox's pid 1 is a shell that waits for the crew ({@code --as-pid-1}, no bubblewrap init):
 * bubblewrap does not reap its own init, so on a host whose init does not reap orphans promptly
 * (containers) every run would leave a zombie behind, while a direct child is reaped by bubblewrap.
 * And as pid 1 the crew itself would ignore signals such as SIGXCPU, so the shell keeps it at pid 2.
 *
 * <p>Limits are applied by {@code prlimit} inside the sandbox, right before Python starts. Since
 * Linux 5.14 RLIMIT_NPROC is counted per user namespace, so applied there it counts only the
 * processes of this sandbox, whichever host uid runs it.
 */
record SandboxCommand(List<String> argv, Map<String, String> env, Path workingDir) {
    static final String BWRAP = "/usr/bin/bwrap";
    static final String SETPRIV = "/usr/bin/setpriv";
    static final String PRLIMIT = "/usr/bin/prlimit";
    /** Seconds of CPU time between SIGXCPU (cpu_seconds reached) and SIGKILL. */
    static final int CPU_KILL_AFTER_SECONDS = 5;
    /** The uid and gid the crew sees inside its sandbox. */
    static final int SANDBOX_UID = 1000;

    static final String APP = "/app";
    static final String ARTIFACTS = "/app/artifacts";
    static final String VENV = "/opt/venv";
    static final String RUNTIME = "/opt/crewship";

    /** System files Python needs (TLS roots, name resolution, time zone), bound read-only when present. */
    private static final List<String> ETC_FILES = List.of(
            "/etc/ssl", "/etc/ca-certificates", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/localtime");

    /**
     * The bubblewrap sandbox of one run. With {@code hostUid} the sandbox runs as that host uid
     * (the server is root and drops to it); without, as the server's own uid.
     */
    static SandboxCommand bubblewrap(ExecutionRequest request, Path runtimeDir, OptionalInt hostUid) {
        DeploymentConfig config = request.config();
        List<String> argv = new ArrayList<>();
        if (hostUid.isPresent()) {
            String uid = Integer.toString(hostUid.getAsInt());
            argv.addAll(List.of(SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
        }
        argv.add(BWRAP);
        argv.addAll(isolation(config.network()));
        String tmpfsBytes = Long.toString(memoryBytes(config));
        argv.addAll(List.of(
                "--size", tmpfsBytes, "--tmpfs", "/dev/shm",
                "--size", tmpfsBytes, "--tmpfs", "/tmp",
                "--ro-bind", request.sourceDir().toString(), APP,
                "--bind", request.artifactsDir().toString(), ARTIFACTS,
                "--ro-bind", request.environmentDir().toString(), VENV,
                "--ro-bind", runtimeDir.toString(), RUNTIME,
                "--remount-ro", "/",
                "--chdir", APP,
                "--", "/bin/sh", "-c", "\"$@\"; exit $?", "crew"));
        argv.addAll(limits(config, true));
        argv.addAll(List.of(VENV + "/bin/python", "-m", "crewship_runtime"));

        // bubblewrap changes into /app itself; on the host it needs no working folder of the run's.
        return new SandboxCommand(List.copyOf(argv), sandboxEnvironment(request), Path.of("/"));
    }

    /** Where a warm parent sees the folder that holds the runs' scratch folders. */
    static final String WARM_RUNS = "/run/crewship/runs";

    /**
     * The sandbox of a warm parent for the deployment of {@code request} (docs/runtime-protocol.md,
     * "Warm starts"): the same isolation, limits and mounts as a run's, except that no run's artifacts
     * are mounted; instead the folder of all runs' scratch folders is bound at {@link #WARM_RUNS}
     * (each child binds its own and hides the rest), and the sandbox keeps its capabilities, inside its
     * own user namespace only, so the children can set up their namespaces (they drop them all).
     */
    static SandboxCommand warmParent(ExecutionRequest request, Path runtimeDir, Path runsRoot, OptionalInt hostUid) {
        DeploymentConfig config = request.config();
        List<String> argv = new ArrayList<>();
        if (hostUid.isPresent()) {
            String uid = Integer.toString(hostUid.getAsInt());
            argv.addAll(List.of(SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
        }
        argv.add(BWRAP);
        argv.addAll(isolation(config.network()));
        argv.addAll(List.of(
                "--cap-add", "ALL",
                "--size", Long.toString(WARM_PARENT_TMP_BYTES), "--tmpfs", "/dev/shm",
                "--size", Long.toString(WARM_PARENT_TMP_BYTES), "--tmpfs", "/tmp",
                "--ro-bind", request.sourceDir().toString(), APP,
                "--ro-bind", request.environmentDir().toString(), VENV,
                "--ro-bind", runtimeDir.toString(), RUNTIME,
                "--bind", runsRoot.toString(), WARM_RUNS,
                "--remount-ro", "/",
                "--chdir", APP,
                "--", "/bin/sh", "-c", "\"$@\"; exit $?", "crew"));
        argv.addAll(limits(config, true));
        argv.addAll(List.of(VENV + "/bin/python", "-m", "crewship_runtime.warm", config.entrypoint(), WARM_RUNS,
                Long.toString(memoryBytes(config))));
        Map<String, String> env = sandboxEnvironment(request);
        env.remove("CREWSHIP_RUN_ID"); // the parent serves every run; each child gets its own environment
        return new SandboxCommand(List.copyOf(argv), env, Path.of("/"));
    }

    /** A warm parent's own /tmp and /dev/shm: it only imports code; each run gets its own, sized like a cold run's. */
    static final long WARM_PARENT_TMP_BYTES = 64L * 1024 * 1024;

    /** Everything a sandboxed run sees in its environment: the project's variables, then the runtime's (which win). */
    static Map<String, String> sandboxEnvironment(ExecutionRequest request) {
        Map<String, String> env = crewEnvironment(request);
        env.put("PYTHONPATH", RUNTIME);
        env.put("HOME", "/tmp");
        env.put("PATH", VENV + "/bin:/usr/bin:/bin");
        env.put("CREWSHIP_ARTIFACTS_DIR", ARTIFACTS);
        return env;
    }

    /** No sandbox: the same runtime as a plain child process, told where things are by variables. */
    static SandboxCommand unsandboxed(ExecutionRequest request, Path runtimeDir, Path home) {
        List<String> argv = new ArrayList<>(limits(request.config(), false));
        argv.addAll(List.of(request.environmentDir().resolve("bin/python").toString(), "-m", "crewship_runtime"));
        Map<String, String> env = crewEnvironment(request);
        env.put("PYTHONPATH", runtimeDir.toString());
        env.put("HOME", home.toString());
        env.put("TMPDIR", home.toString());
        env.put("PATH", request.environmentDir().resolve("bin") + ":/usr/bin:/bin");
        env.put("CREWSHIP_APP_DIR", request.sourceDir().toString());
        env.put("CREWSHIP_ARTIFACTS_DIR", request.artifactsDir().toString());
        return new SandboxCommand(List.copyOf(argv), env, request.sourceDir());
    }

    /**
     * Namespaces and the read-only system every sandbox gets (also what {@link BubblewrapProbe} tries).
     * The crew cannot create further user namespaces: that keeps most of the kernel's namespace code
     * out of its reach.
     */
    static List<String> isolation(boolean network) {
        List<String> args = new ArrayList<>(List.of(
                "--unshare-user", "--uid", Integer.toString(SANDBOX_UID), "--gid", Integer.toString(SANDBOX_UID),
                "--disable-userns",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"));
        if (!network) {
            args.add("--unshare-net");
        }
        args.addAll(List.of(
                "--die-with-parent", "--new-session", "--as-pid-1", "--hostname", "crewship",
                "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/lib", "/lib",
                "--symlink", "usr/lib64", "/lib64",
                "--symlink", "usr/bin", "/bin",
                "--symlink", "usr/sbin", "/sbin"));
        for (String file : ETC_FILES) {
            args.addAll(List.of("--ro-bind-try", file, file));
        }
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        return args;
    }

    /**
     * {@code prlimit} for the crew: address space (memory_mb), CPU seconds, no core dumps, and the
     * process count where it counts only the crew's processes (inside the sandbox's user namespace).
     */
    private static List<String> limits(DeploymentConfig config, boolean processLimit) {
        long cpuSeconds = Math.max(1, config.cpuTime().toSeconds());
        List<String> args = new ArrayList<>(List.of(PRLIMIT,
                "--as=" + memoryBytes(config),
                // SIGXCPU at the limit (reported as such), SIGKILL a little later if the crew ignores it.
                "--cpu=" + cpuSeconds + ":" + (cpuSeconds + CPU_KILL_AFTER_SECONDS),
                "--core=0"));
        if (processLimit) {
            args.add("--nproc=" + config.maxProcesses());
        }
        args.add("--");
        return args;
    }

    private static Map<String, String> crewEnvironment(ExecutionRequest request) {
        // The project's variables first: the runtime's own variables below always win.
        Map<String, String> env = new LinkedHashMap<>(request.env());
        env.put("LANG", "C.UTF-8");
        env.put("PYTHONUNBUFFERED", "1");
        env.put("CREWSHIP_RUN_ID", request.runId());
        env.put("CREWSHIP_DEPLOYMENT_ID", request.deploymentId());
        if (request.config().llmTokens()) {
            env.put("CREWSHIP_LLM_TOKENS", "true"); // read by crewship_runtime's CrewAI event bridge
        }
        return env;
    }

    private static long memoryBytes(DeploymentConfig config) {
        return config.memoryMb() * 1024 * 1024;
    }
}
