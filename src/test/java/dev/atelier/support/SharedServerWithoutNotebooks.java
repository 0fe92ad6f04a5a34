package dev.atelier.support;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base for test classes that share one server with no notebook server installed: every launch fails at once,
 * which is all that tests of the API's rules need, and no Jupyter process is started.
 */
public abstract class SharedServerWithoutNotebooks {
    @TempDir
    static Path sharedDataDir;
    protected static TestServer server;
    protected static SignedClient api;

    @BeforeAll
    static void startSharedServer() {
        server = TestServer.of(sharedDataDir, null, "/nonexistent/jupyter-server");
        api = server.client();
    }

    @AfterAll
    static void stopSharedServer() {
        server.close();
    }
}
