package dev.crewship.cli.config;

/**
 * A configuration value and where it came from ({@code --url}, {@code CREWSHIP_URL}, the login file,
 * the default), so messages can tell the user which one to fix.
 */
public record Setting(String value, String source) {
}
