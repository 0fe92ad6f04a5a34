package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that never sign in, more than the server has file descriptors for, against a server whose limit is
 * 1,500 (prlimit): they must neither exhaust its descriptors nor make it take its running instance for exited and
 * stop it, which is what such a flood did.
 */
class ConnectionFloodTest {
    private static final int MAX_FILES = 1500;
    private static final Pattern SSH_PORT = Pattern.compile("SSH gateway: port (\\d+)");

    @TempDir
    Path dataDir;
    ServeProcess server;
    final List<Socket> held = Collections.synchronizedList(new ArrayList<>());
    SignedClient api;
    String id;

    @AfterEach
    void stop() throws Exception {
        closeAll();
        if (id != null) { // instances outlive their server: removed with their mounts before the data dir goes
            var deleted = api.delete("/v1/{project_id}/notebooks/" + id);
            try {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> api.get("/v1/{project_id}/notebooks/" + id).status() == 400); // gone
            } catch (RuntimeException e) {
                throw new AssertionError("not deleted (" + deleted.status() + " " + deleted.body() + "); the server "
                        + "said: " + String.join("\n", server.output().subList(Math.max(0, server.output().size() - 40),
                        server.output().size())), e);
            }
        }
        if (server != null) {
            server.process().destroy();
            server.process().waitFor();
        }
    }

    @Test
    void aFloodOfConnectionsThatNeverSignInLeavesDescriptorsSpareAndTheRunningInstanceAlone() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "needs prlimit (util-linux)");
        TestRuntime.LOCAL.assumeAvailable();
        server = ServeProcess.start(dataDir, Map.of(), List.of("/usr/bin/prlimit", "--nofile=" + MAX_FILES + ":"
                + MAX_FILES, "--"), List.of("--port", "0", "--data-dir", dataDir.toString()));
        api = client();
        id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("flooded")).json().get("id").asText();
        await().atMost(Duration.ofSeconds(90)).until(() -> show(api, id).get("status").asText().equals("RUNNING"));
        URI url = URI.create(server.url());
        int ssh = sshPort();
        long pid = server.process().pid();

        AtomicLong mostOpen = new AtomicLong();
        try (var connecting = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 1400; i++) { // SSH: more than its descriptors from one address
                connecting.submit(() -> connect(ssh));
            }
            for (int i = 0; i < 400; i++) { // HTTP: more than its share of them
                connecting.submit(() -> connect(url.getPort()));
            }
            // held over three health looks at the instance (every 2 s)
            long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (System.nanoTime() < until) {
                mostOpen.accumulateAndGet(openFiles(pid), Math::max);
                Thread.sleep(100);
            }
        }
        assertThat(held).as("the flood reached the server").hasSizeGreaterThan(500);
        assertThat(mostOpen.get()).as("descriptors the server held at most").isLessThan(MAX_FILES - 200);
        closeAll();

        // the server answers, its instance still runs, and nothing was failed or stopped
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> api.get("/v1/{project_id}/notebooks/" + id).status() == 200);
        Thread.sleep(3000); // one more health look
        JsonNode after = show(api, id);
        assertThat(after.get("status").asText()).isEqualTo("RUNNING");
        assertThat(server.output()).noneMatch(l -> l.contains("Too many open files"));
        String events = api.get("/v1/{project_id}/notebooks/" + id + "/events?limit=50").body();
        assertThat(events).doesNotContain("ERROR").doesNotContain("exited");
    }

    private void connect(int port) {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            held.add(s);
        } catch (IOException e) {
            // queued past the server's backlog, or refused: the flood is what matters
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void closeAll() {
        synchronized (held) {
            for (Socket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            held.clear();
        }
    }

    private static long openFiles(long pid) {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return 0;
        }
    }

    private int sshPort() {
        synchronized (server.output()) {
            for (String line : server.output()) {
                Matcher m = SSH_PORT.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
        }
        throw new AssertionError("no SSH port in " + server.output());
    }

    private static JsonNode show(SignedClient api, String id) {
        return api.get("/v1/{project_id}/notebooks/" + id).json();
    }

    private SignedClient client() throws Exception {
        JsonNode creds = new ObjectMapper().readTree(dataDir.resolve("credentials.json").toFile());
        return new SignedClient(server.url(), creds.get("project_id").asText(), creds.get("access_key").asText(),
                creds.get("secret_key").asText());
    }
}
