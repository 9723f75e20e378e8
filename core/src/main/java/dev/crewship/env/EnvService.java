package dev.crewship.env;

import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.error.CrewshipException;
import dev.crewship.project.Project;
import dev.crewship.run.RunSecrets;
import dev.crewship.store.Store;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A project's environment variables: set (several at once, atomically), list (names only),
 * unset, and the decrypted values for the runs of the project. Values are encrypted with the
 * {@link SecretBox} before they reach the store and never leave this class except through
 * {@link #decrypted(String)} and {@link #forProject(String)}.
 */
public final class EnvService implements RunSecrets.Source {
    public static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,127}$");
    /** Largest value, in UTF-8 bytes. */
    public static final int MAX_VALUE_BYTES = 32 * 1024;
    /** Names the platform sets itself for every run. */
    private static final List<String> RESERVED_NAMES = List.of("PATH", "HOME", "PYTHONPATH");
    private static final List<String> RESERVED_PREFIXES = List.of("CREWSHIP_", "LD_");

    private final Store store;
    private final VisibleResources visible;
    private final SecretBox box;
    private final Clock clock;

    public EnvService(Store store, SecretBox box, Clock clock) {
        this.store = store;
        this.visible = new VisibleResources(store);
        this.box = box;
        this.clock = clock;
    }

    /** The project's variables, ordered by name; their values stay encrypted. */
    public List<EnvVar> list(Principal principal, String projectName) {
        return store.envVars().list(visible.project(principal, projectName).id());
    }

    /**
     * Sets (adds or replaces) the given variables in one transaction; nothing is stored when one of
     * them is invalid. Returns all variables of the project afterwards.
     */
    public List<EnvVar> set(Principal principal, String projectName, Map<String, String> variables) {
        Project project = visible.project(principal, projectName);
        if (variables == null || variables.isEmpty()) {
            throw CrewshipException.invalid("vars must name at least one variable, e.g. {\"vars\": {\"OPENAI_API_KEY\": \"sk-...\"}}");
        }
        Map<String, String> sorted = new TreeMap<>();
        variables.forEach((name, value) -> {
            validateName(name);
            validateValue(name, value);
            sorted.put(name, value);
        });
        Instant now = clock.instant();
        List<EnvVar> sealed = sorted.entrySet().stream()
                .map(e -> new EnvVar(project.id(), e.getKey(), box.encrypt(e.getValue(), context(project.id(), e.getKey())), now))
                .toList();
        store.envVars().putAll(sealed);
        return store.envVars().list(project.id());
    }

    /** Removes one variable; 404 when the project has no such variable. */
    public void unset(Principal principal, String projectName, String name) {
        Project project = visible.project(principal, projectName);
        if (!store.envVars().delete(project.id(), name)) {
            throw CrewshipException.notFound("environment variable", name + " of project " + projectName);
        }
    }

    /**
     * The project's variables with their values, for injecting into a run's environment and for
     * its {@link SecretRedactor}. Never render the result.
     */
    public Map<String, String> decrypted(String projectId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvVar variable : store.envVars().list(projectId)) {
            values.put(variable.name(), box.decrypt(variable.encryptedValue(), context(projectId, variable.name())));
        }
        return values;
    }

    /** The project's variables for a run, with the redactor that keeps their values out of what the run reports. */
    @Override
    public RunSecrets forProject(String projectId) {
        Map<String, String> values = decrypted(projectId);
        return values.isEmpty() ? RunSecrets.none() : new RunSecrets(values, SecretRedactor.of(values));
    }

    /** Binds a sealed value to its row: a value copied to another project or name does not decrypt. */
    private static String context(String projectId, String name) {
        return "crewship-env-v1\0" + projectId + "\0" + name;
    }

    private static void validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw CrewshipException.invalid("variable name \"" + name + "\" is invalid: use letters, digits and underscores,"
                    + " not starting with a digit, at most 128 characters");
        }
        boolean reserved = RESERVED_NAMES.contains(name) || RESERVED_PREFIXES.stream().anyMatch(name::startsWith);
        if (reserved) {
            throw CrewshipException.invalid("variable name " + name + " is reserved (CREWSHIP_*, PATH, HOME, PYTHONPATH and LD_*"
                    + " are set by the platform)");
        }
    }

    private static void validateValue(String name, String value) {
        if (value == null) {
            throw CrewshipException.invalid("the value of " + name + " must be a string; to remove a variable use DELETE /v1/projects/{name}/env/" + name);
        }
        if (value.indexOf('\0') >= 0) {
            throw CrewshipException.invalid("the value of " + name + " contains a NUL character, which environment variables cannot hold");
        }
        int size = value.getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_VALUE_BYTES) {
            throw CrewshipException.invalid("the value of " + name + " is " + size + " bytes; at most " + MAX_VALUE_BYTES + " are allowed");
        }
    }

}
