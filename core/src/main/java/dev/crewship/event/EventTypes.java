package dev.crewship.event;

/** Event type names; the first eight are the seed's public contract. */
public final class EventTypes {
    public static final String RUN_STARTED = "run.started";
    public static final String RUN_COMPLETED = "run.completed";
    public static final String RUN_FAILED = "run.failed";
    public static final String RUN_CANCELED = "run.canceled";
    public static final String LOG = "log";
    public static final String ARTIFACT = "artifact";
    public static final String AGENT_STARTED = "agent.started";
    public static final String AGENT_COMPLETED = "agent.completed";
    public static final String TOOL_CALLED = "tool.called";

    private EventTypes() {
    }

    public static boolean isTerminal(String type) {
        return RUN_COMPLETED.equals(type) || RUN_FAILED.equals(type) || RUN_CANCELED.equals(type);
    }
}
