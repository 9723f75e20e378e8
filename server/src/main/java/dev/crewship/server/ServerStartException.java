package dev.crewship.server;

/**
 * The server cannot start, for a reason its operator can fix (no sandboxes on this host, the port
 * is taken, the data dir is not writable). The message says what to do; the CLI prints it alone.
 */
public final class ServerStartException extends RuntimeException {
    public ServerStartException(String message) {
        super(message);
    }

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
