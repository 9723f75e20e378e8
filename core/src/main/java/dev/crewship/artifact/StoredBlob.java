package dev.crewship.artifact;

public record StoredBlob(String sha256, long size) {
}
