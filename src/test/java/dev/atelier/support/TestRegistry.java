package dev.atelier.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;

/** Debian's docker-registry, a real image registry, on a free port of 127.0.0.1, storing under a test's dir. */
public final class TestRegistry implements AutoCloseable {
    private final Process process;
    private final int port;

    private TestRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts one and waits until it answers; skips the test where docker-registry is not installed. */
    public static TestRegistry start(Path dir) {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-registry")),
                "Debian's docker-registry is not installed");
        try {
            int port;
            try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Files.createDirectories(dir);
            Path config = dir.resolve("registry.yml");
            Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                    + dir.resolve("blobs") + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
            Process process = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
            TestRegistry registry = new TestRegistry(process, port);
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(registry.catalog()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode() == 200);
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:<port>}, as a reference begins with it. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public URI catalog() {
        return URI.create("http://" + address() + "/v2/_catalog");
    }

    @Override
    public void close() {
        process.destroy();
    }
}
