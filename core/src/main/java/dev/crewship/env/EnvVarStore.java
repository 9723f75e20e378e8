package dev.crewship.env;

import java.util.Collection;
import java.util.List;

public interface EnvVarStore {
    /** Inserts or replaces all given variables of one project in one transaction. */
    void putAll(Collection<EnvVar> vars);

    /** Ordered by name. */
    List<EnvVar> list(String projectId);

    /** Returns false when the variable did not exist. */
    boolean delete(String projectId, String name);
}
