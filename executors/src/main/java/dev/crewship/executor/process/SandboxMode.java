package dev.crewship.executor.process;

/** How {@link ProcessExecutor} isolates a crew. */
public enum SandboxMode {
    /** The default: every run in its own bubblewrap sandbox (namespaces, read-only system, limits). */
    BUBBLEWRAP,
    /**
     * Development only: the crew runs as a plain child process with the server's privileges and sees
     * the whole filesystem. Every run logs a warning. Never use it where crews are not trusted.
     */
    UNSANDBOXED
}
