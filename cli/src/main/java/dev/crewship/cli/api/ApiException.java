package dev.crewship.cli.api;

import dev.crewship.cli.CliException;

/**
 * The server refused a request: an HTTP error status with its problem+json {@code type} slug
 * (e.g. "not-found") and {@code detail}. The message is already the line the user sees.
 */
public final class ApiException extends CliException {
    private final int status;
    private final String problemType;
    private final String detail;

    ApiException(String message, int status, String problemType, String detail) {
        super(message);
        this.status = status;
        this.problemType = problemType;
        this.detail = detail;
    }

    public int status() {
        return status;
    }

    /** The problem type's slug ({@code https://crewship.dev/problems/<slug>}), or "" when the body had none. */
    public String problemType() {
        return problemType;
    }

    /** The server's own sentence, without the CLI's hints. */
    public String detail() {
        return detail;
    }

    public boolean isNotFound() {
        return status == 404;
    }
}
