package dev.atelier.support;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Base for test classes whose tests share one SQLite-backed server and its administrator's client. */
public abstract class SharedServer {
    @TempDir
    static Path sharedDataDir;
    protected static TestServer server;
    protected static SignedClient api;

    @BeforeAll
    static void startSharedServer() {
        server = TestServer.sqlite(sharedDataDir);
        api = server.client();
    }

    @AfterAll
    static void stopSharedServer() {
        server.close();
    }
}
