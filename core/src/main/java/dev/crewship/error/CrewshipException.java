package dev.crewship.error;

/** A failure the caller can act on; rendered as problem+json by the API and as one line by the CLI. */
public final class CrewshipException extends RuntimeException {
    private final ProblemType type;

    public CrewshipException(ProblemType type, String detail) {
        super(detail);
        this.type = type;
    }

    public ProblemType type() {
        return type;
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
