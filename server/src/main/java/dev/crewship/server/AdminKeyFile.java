package dev.crewship.server;

import dev.crewship.auth.ApiKeyService;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The first admin key. A server without an active admin key (its first start) creates one, writes
 * its secret to {@code <data-dir>/admin-key} (mode 600, written to a private temporary file and
 * renamed, so it is never partial or readable by others) and prints it once. Later starts find the
 * key in the store and print nothing.
 */
final class AdminKeyFile {
    private AdminKeyFile() {
    }

    /** Returns true when a key was created (and printed). */
    static boolean createOnFirstStart(ApiKeyService keys, Path file, PrintStream out) {
        return keys.createFirstAdminKey().map(created -> {
            write(file, created.secret());
            out.println();
            out.println("Created the first admin API key. It is shown only this once and saved in " + file + " (mode 600):");
            out.println();
            out.println("    " + created.secret());
            out.println();
            out.println("Keep it secret: it may do everything. Create project keys for crews and CI with POST /v1/keys.");
            out.println();
            out.flush();
            return true;
        }).orElse(false);
    }

    private static void write(Path file, String secret) {
        try {
            Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".admin-key-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, secret + "\n", StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the admin key to " + file, e);
        }
    }
}
