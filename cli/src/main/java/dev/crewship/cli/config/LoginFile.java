package dev.crewship.cli.config;

import dev.crewship.cli.CliException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

/**
 * The file {@code crewship login} writes: {@code $XDG_CONFIG_HOME/crewship/config.toml}, else
 * {@code ~/.config/crewship/config.toml}. It holds an API key, so it is created with mode 600 (its
 * folder 700) and replaced atomically: no moment exists where another user could read it.
 */
public final class LoginFile {
    private final Path path;

    public LoginFile(Path path) {
        this.path = path;
    }

    /** The login file for this environment (XDG base directory rules). */
    public static LoginFile locate(Map<String, String> env, Path home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg) : home.resolve(".config");
        return new LoginFile(base.resolve("crewship").resolve("config.toml"));
    }

    public Path path() {
        return path;
    }

    /** What a previous login stored; empty when nobody logged in here. */
    public Optional<StoredLogin> read() {
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        TomlParseResult toml;
        try {
            toml = Toml.parse(path);
        } catch (IOException e) {
            throw new CliException("cannot read " + path + ": " + e.getMessage(), e);
        }
        if (toml.hasErrors()) {
            throw new CliException(path + " is not valid TOML (" + toml.errors().getFirst().toString()
                    + "); run 'crewship login' again to rewrite it");
        }
        return Optional.of(new StoredLogin(toml.getString("url"), toml.getString("api_key")));
    }

    public void write(StoredLogin login) {
        String text = "# Written by 'crewship login'. It holds an API key: keep this file private (mode 600).\n"
                + "url = " + tomlString(login.url()) + "\n"
                + "api_key = " + tomlString(login.apiKey()) + "\n";
        try {
            Path folder = path.getParent();
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = Files.createTempFile(folder, ".config", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, text);
                moveIntoPlace(temp);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new CliException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private void moveIntoPlace(Path temp) throws IOException {
        try {
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A TOML basic string: quotes, backslashes and control characters escaped. */
    static String tomlString(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04X", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** The server and key a login stored; either may be missing in a hand-edited file. */
    public record StoredLogin(String url, String apiKey) {
    }
}
