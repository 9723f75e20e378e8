package dev.crewship.deployment;

public enum DeploymentStatus {
    BUILDING, READY, FAILED;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
