package dev.crewship.run;

/** Why a run failed: the exception type and message from the crew, or a platform reason (type {@code Timeout}, {@code ServerRestarted}, …). */
public record RunError(String type, String message, String traceback) {
    public static RunError of(String type, String message) {
        return new RunError(type, message, null);
    }
}
