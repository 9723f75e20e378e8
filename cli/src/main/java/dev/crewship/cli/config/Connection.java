package dev.crewship.cli.config;

import dev.crewship.cli.CliException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which server the CLI talks to and with which key. Each comes, first found wins, from its flag
 * ({@code --url}, {@code --api-key}), the environment ({@code CREWSHIP_URL}, {@code CREWSHIP_API_KEY}),
 * or the login file; the URL defaults to {@value #DEFAULT_URL}. A key from the login file is only sent
 * to the server it was stored for, so pointing the CLI elsewhere never leaks it.
 *
 * @param apiKey null when no source has one (commands that need it fail with a hint)
 */
public record Connection(Setting url, Setting apiKey) {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    public static final String URL_ENV = "CREWSHIP_URL";
    public static final String API_KEY_ENV = "CREWSHIP_API_KEY";

    /** The login file is read only when flags and environment leave something open (it costs a TOML parse). */
    public static Connection resolve(String urlFlag, String apiKeyFlag, Map<String, String> env,
                                     Supplier<Optional<LoginFile.StoredLogin>> login, String loginSource) {
        Setting url = first(urlFlag, "--url", env.get(URL_ENV), URL_ENV);
        Setting key = first(apiKeyFlag, "--api-key", env.get(API_KEY_ENV), API_KEY_ENV);
        if (url == null || key == null) {
            Optional<LoginFile.StoredLogin> stored = login.get();
            String storedUrl = stored.map(LoginFile.StoredLogin::url).map(Connection::normalize).orElse(null);
            if (url == null && storedUrl != null) {
                url = new Setting(storedUrl, loginSource);
            }
            if (url == null) {
                url = new Setting(DEFAULT_URL, "the default");
            }
            String storedKey = stored.map(LoginFile.StoredLogin::apiKey).filter(k -> !k.isBlank()).orElse(null);
            if (key == null && storedKey != null && normalize(url.value()).equals(storedUrl)) {
                key = new Setting(storedKey, loginSource);
            }
        }
        return of(url, key);
    }

    /** A connection to {@code url} (checked and without trailing '/') with {@code apiKey} (may be null). */
    public static Connection of(Setting url, Setting apiKey) {
        return new Connection(new Setting(validUrl(url), url.source()), apiKey);
    }

    /** The key, or a one-line error saying how to provide one. */
    public String requireApiKey() {
        if (apiKey == null) {
            throw new CliException("no API key for " + url.value() + ": pass --api-key, set " + API_KEY_ENV
                    + " or run 'crewship login' (a new server writes its admin key to <data-dir>/admin-key)");
        }
        return apiKey.value();
    }

    private static Setting first(String flag, String flagName, String envValue, String envName) {
        if (flag != null && !flag.isBlank()) {
            return new Setting(flag.trim(), flagName);
        }
        if (envValue != null && !envValue.isBlank()) {
            return new Setting(envValue.trim(), envName);
        }
        return null;
    }

    private static String validUrl(Setting url) {
        String value = normalize(url.value());
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return value;
            }
        } catch (URISyntaxException e) {
            // reported below, with the source of the bad value
        }
        throw new CliException("invalid server URL '" + url.value() + "' (from " + url.source()
                + "): expected something like " + DEFAULT_URL);
    }

    private static String normalize(String url) {
        String trimmed = url.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed;
    }
}
