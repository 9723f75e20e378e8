package dev.crewship.error;

import java.util.Map;

/**
 * A failure the caller can act on; rendered as problem+json by the API and as one line by the CLI.
 * {@link #extensions()} are extra members of the problem object (RFC 9457), such as the id of the
 * run a conflict is about.
 */
public class CrewshipException extends RuntimeException {
    private final ProblemType type;
    private final Map<String, String> extensions;

    public CrewshipException(ProblemType type, String detail) {
        this(type, detail, Map.of());
    }

    public CrewshipException(ProblemType type, String detail, Map<String, String> extensions) {
        super(detail);
        this.type = type;
        this.extensions = Map.copyOf(extensions);
    }

    public ProblemType type() {
        return type;
    }

    public Map<String, String> extensions() {
        return extensions;
    }

    public static CrewshipException invalid(String detail) {
        return new CrewshipException(ProblemType.INVALID_REQUEST, detail);
    }

    public static CrewshipException notFound(String what, String id) {
        return new CrewshipException(ProblemType.NOT_FOUND, what + " " + id + " not found");
    }

    public static CrewshipException conflict(String detail) {
        return new CrewshipException(ProblemType.CONFLICT, detail);
    }

    public static CrewshipException tooLarge(String detail) {
        return new CrewshipException(ProblemType.PAYLOAD_TOO_LARGE, detail);
    }
}
