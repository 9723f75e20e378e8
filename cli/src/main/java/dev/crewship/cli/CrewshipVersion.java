package dev.crewship.cli;

import picocli.CommandLine;

/** {@code crewship --version}: the version the distribution jar's manifest carries. */
final class CrewshipVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = CrewshipVersion.class.getPackage().getImplementationVersion();
        return new String[] {"crewship " + (version == null ? "(development build)" : version)};
    }
}
