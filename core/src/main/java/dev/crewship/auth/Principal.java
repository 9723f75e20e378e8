package dev.crewship.auth;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;

/** Who is calling: the API key used, and the project it is limited to (null for admin keys). */
public record Principal(String keyId, String projectId) {
    public boolean isAdmin() {
        return projectId == null;
    }

    /** Project keys see only their own project; anything else looks missing (404), never forbidden. */
    public boolean canAccess(String resourceProjectId) {
        return isAdmin() || projectId.equals(resourceProjectId);
    }

    public void requireAdmin() {
        if (!isAdmin()) {
            throw new CrewshipException(ProblemType.FORBIDDEN, "this call needs an admin API key");
        }
    }
}
