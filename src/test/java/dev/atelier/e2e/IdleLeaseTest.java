package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An idle lease stops an instance nobody uses, and counts SSH traffic through the gateway as use. */
class IdleLeaseTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path keys;

    @Test
    void sshTrafficKeepsAnIdleLeaseFromRunningOutAndSilenceEndsIt() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", keys.resolve("k").toString())
                    .start().waitFor(30, TimeUnit.SECONDS);
            api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"k\",\"public_key\":\""
                    + Files.readString(keys.resolve("k.pub")).trim() + "\"}}");
            String body = TestServer.createBody("idle").replace("\"type\":\"timing\"", "\"type\":\"idle\"")
                    .replaceFirst("\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"k\"]}]}");
            String id = api.post("/v1/{project_id}/notebooks", body).json().get("id").asText();
            StartStopLeaseTest.awaitStatus(api, id, "RUNNING");

            server.clock().advance(Duration.ofMinutes(50));
            Process ssh = new ProcessBuilder(List.of("ssh", "-i", keys.resolve("k").toString(), "-p",
                    Integer.toString(server.sshPort()), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                    id + "@127.0.0.1", "echo busy")).redirectErrorStream(true).start();
            assertThat(new String(ssh.getInputStream().readAllBytes())).contains("busy");
            server.clock().advance(Duration.ofMinutes(20)); // 70 minutes since start, 20 since the SSH command
            Thread.sleep(2_000); // a few health polls
            assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText())
                    .as("used 20 minutes ago over SSH").isEqualTo("RUNNING");

            server.clock().advance(Duration.ofMinutes(45)); // 65 minutes of silence
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of("STOPPING", "STOPPED").contains(
                    api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText()));
            assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                    .contains("idle since");
        }
    }
}
