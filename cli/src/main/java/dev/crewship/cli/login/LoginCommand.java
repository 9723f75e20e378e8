package dev.crewship.cli.login;

import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.config.Connection;
import dev.crewship.cli.config.LoginFile;
import dev.crewship.cli.config.Setting;
import java.io.Console;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * {@code crewship login}: checks a server URL and API key against the server, then stores them in the
 * login file (mode 600) for later commands. The key comes from {@code --api-key} or
 * {@code CREWSHIP_API_KEY}, else it is asked for without echo on a terminal, else read from stdin
 * ({@code crewship login < admin-key}).
 */
@Command(name = "login", description = {"Store a server URL and API key for later commands (in $XDG_CONFIG_HOME/crewship/config.toml, mode 600).",
        "The key is checked against the server first. Pass --url/--api-key, or answer the questions."})
public final class LoginCommand implements Runnable {
    private static final Set<String> GIVEN_SOURCES = Set.of("--url", "--api-key", Connection.URL_ENV, Connection.API_KEY_ENV);

    private final CrewshipCommand cli;

    LoginCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public void run() {
        Connection current = cli.connection();
        Setting url = GIVEN_SOURCES.contains(current.url().source()) ? current.url() : askUrl(current.url().value());
        Setting key = current.apiKey() != null && GIVEN_SOURCES.contains(current.apiKey().source())
                ? current.apiKey() : new Setting(askKey(url.value()), "your answer");
        Connection candidate = Connection.of(url, key);
        // Any authenticated call proves the key; listing projects is allowed for every key.
        new ApiClient(candidate).get("/v1/projects");
        LoginFile file = cli.loginFile();
        file.write(new LoginFile.StoredLogin(candidate.url().value(), key.value()));
        cli.out().println("Logged in to " + candidate.url().value() + "; saved to " + file.path() + " (readable only by you)");
    }

    private Setting askUrl(String suggestion) {
        if (!cli.context().terminal().stdinTty()) {
            return new Setting(suggestion, "the default");
        }
        String answer = cli.ask("Crewship server URL [" + suggestion + "]: ");
        return answer == null || answer.isBlank() ? new Setting(suggestion, "the default") : new Setting(answer.trim(), "your answer");
    }

    private String askKey(String url) {
        String key;
        Console console = System.console();
        if (cli.context().terminal().stdinTty() && console != null) {
            char[] typed = console.readPassword("API key for %s (input hidden): ", url);
            key = typed == null ? null : new String(typed);
        } else {
            key = cli.ask("");
        }
        if (key == null || key.isBlank()) {
            throw new CliException("no API key given: pass --api-key, set " + Connection.API_KEY_ENV + ", or type it when asked");
        }
        return key.trim();
    }
}
