package dev.atelier.store.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/** A pooled connection to SQLite or PostgreSQL with the schema migrated to the newest version. */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final boolean sqlite;
    private final InstanceChanges changes;

    private Database(HikariDataSource dataSource, boolean sqlite) {
        this.dataSource = dataSource;
        this.sqlite = sqlite;
        this.jdbi = Jdbi.create(dataSource);
        this.changes = new InstanceChanges(jdbi, sqlite, System::nanoTime);
    }

    /** Opens the database at {@code jdbcUrl} ({@code jdbc:sqlite:...} or {@code jdbc:postgresql:...}) and migrates it. */
    public static Database open(String jdbcUrl) {
        boolean sqlite = jdbcUrl.startsWith("jdbc:sqlite:");
        if (!sqlite && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("unsupported database URL (use jdbc:sqlite:<file> or "
                    + "jdbc:postgresql://host:port/db): " + redact(jdbcUrl));
        }
        if (sqlite) {
            privateFile(jdbcUrl.substring("jdbc:sqlite:".length()));
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        cfg.setPoolName(sqlite ? "sqlite" : "postgresql");
        cfg.setMaximumPoolSize(sqlite ? 4 : 10);
        cfg.setInitializationFailTimeout(10_000);
        // a request waits at most this long for a connection: an unreachable database answers 503 soon
        cfg.setConnectionTimeout(5_000);
        cfg.setValidationTimeout(2_000);
        if (sqlite) {
            cfg.setConnectionInitSql("PRAGMA busy_timeout = 10000");
            cfg.addDataSourceProperty("journal_mode", "WAL");
            cfg.addDataSourceProperty("synchronous", "NORMAL");
            cfg.addDataSourceProperty("foreign_keys", "true");
            // LIKE matches case-sensitively, as on PostgreSQL: the same filter gives the same list on both
            cfg.addDataSourceProperty("case_sensitive_like", "true");
        }
        HikariDataSource ds = new HikariDataSource(cfg);
        try {
            // common migrations, plus the few a database needs of its own (db/vendor/postgresql)
            Flyway.configure().dataSource(ds).locations("classpath:db/migration",
                    sqlite ? "classpath:db/vendor/sqlite" : "classpath:db/vendor/postgresql").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds, sqlite);
    }

    /**
     * Creates the database file readable by its owner only, even where its directory must be traversable by
     * others; SQLite gives its WAL and shared-memory files the same mode.
     */
    private static void privateFile(String path) {
        java.nio.file.Path file = java.nio.file.Path.of(path.contains("?") ? path.substring(0, path.indexOf('?')) : path);
        try {
            if (!java.nio.file.Files.exists(file)) {
                java.nio.file.Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            }
        } catch (java.io.IOException | RuntimeException e) {
            // let SQLite report what is wrong with the path
        }
    }

    /**
     * Reports the connection pool's use (connections active, idle, pending; acquire times) to {@code registry}, a
     * Micrometer registry; at most once.
     */
    public void measureWith(Object registry) {
        dataSource.setMetricRegistry(registry);
    }

    /** Asks the database a trivial question; throws when it cannot be reached. Returns what it is. */
    public String ping() {
        jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
        return sqlite ? "SQLite answers" : "PostgreSQL answers";
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** The feed of instance changes, which every store that writes what a view of an instance shows tells. */
    public InstanceChanges changes() {
        return changes;
    }

    public boolean isSqlite() {
        return sqlite;
    }

    /** Whether {@code e} says the database could not be reached (as opposed to a statement that failed). */
    public static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof org.jdbi.v3.core.ConnectionException
                    || t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    @Override
    public void close() {
        changes.close();
        dataSource.close();
    }
}
