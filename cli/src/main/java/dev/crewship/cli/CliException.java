package dev.crewship.cli;

/**
 * A failure the CLI reports as one line ({@code error: <message>}) and an exit code, never as a
 * stack trace. The message is written for the user: what went wrong and, where it helps, what to do.
 */
public class CliException extends RuntimeException {
    /** The exit code of every ordinary failure; usage errors use picocli's 2. */
    public static final int FAILURE = 1;

    private final int exitCode;

    public CliException(String message) {
        this(message, FAILURE, null);
    }

    public CliException(String message, Throwable cause) {
        this(message, FAILURE, cause);
    }

    public CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
