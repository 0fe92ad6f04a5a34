package dev.atelier.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server tests run against: {@code ATELIER_TEST_POSTGRES_URL}, else the local one that
 * {@code .ci/run} starts. Each user gets a schema of its own. Under CI a missing server fails the tests; on a
 * developer machine they are skipped with the reason.
 */
public final class Postgres {
    public static final String URL = System.getenv().getOrDefault("ATELIER_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=postgres");

    private Postgres() {
    }

    /** Creates a fresh schema and returns a JDBC URL whose current schema it is. */
    public static String freshSchemaUrl() {
        String schema = "atelier_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(URL); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String reason = "PostgreSQL is not reachable at " + URL + ": " + e.getMessage();
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(reason, e);
            }
            Assumptions.abort(reason);
        }
        return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public static void dropSchemaOf(String url) {
        String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
        try (Connection c = DriverManager.getConnection(URL); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
