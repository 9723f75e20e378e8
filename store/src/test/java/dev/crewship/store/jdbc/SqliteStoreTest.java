package dev.crewship.store.jdbc;

import dev.crewship.store.Store;
import dev.crewship.store.StoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract against SQLite in a temporary database file. */
class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store newStore() {
        return JdbcStore.open(url());
    }

    @Override
    protected Store openSameDatabase() {
        return JdbcStore.open(url());
    }

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("crewship.db");
    }
}
