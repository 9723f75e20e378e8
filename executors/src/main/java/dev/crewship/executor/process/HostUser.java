package dev.crewship.executor.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host account this server process runs as. */
record HostUser(int uid, int gid) {

    static HostUser current() {
        // /proc/self belongs to the process's effective uid and gid: no native call needed.
        Path self = Path.of("/proc/self");
        try {
            return new HostUser((Integer) Files.getAttribute(self, "unix:uid"), (Integer) Files.getAttribute(self, "unix:gid"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell which user this server runs as", e);
        }
    }

    boolean isRoot() {
        return uid == 0;
    }
}
