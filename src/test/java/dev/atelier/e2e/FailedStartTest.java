package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A notebook server that cannot start ends the create in CREATE_FAILED with a reason that says why. */
class FailedStartTest {
    @TempDir
    Path dataDir;

    @Test
    void aServerThatExitsAtStartFailsTheCreateWithTheLastLinesOfItsLog() throws Exception {
        Path script = dataDir.resolve("broken-jupyter");
        Files.writeString(script, "#!/bin/sh\necho 'starting up'\necho 'fatal: the kernel of truth is missing' >&2\n"
                + "exit 3\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (TestServer server = TestServer.of(dataDir.resolve("data"), null, script.toString())) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("doomed")).json().get("id").asText();
            JsonNode nb = await().atMost(Duration.ofSeconds(20))
                    .until(() -> api.get("/v1/{project_id}/notebooks/" + id).json(),
                            n -> !n.get("status").asText().equals("CREATING"));
            assertThat(nb.get("status").asText()).isEqualTo("CREATE_FAILED");
            assertThat(nb.get("fail_reason").asText()).contains("exited").contains("the kernel of truth is missing");
            Map<Integer, String> steps = new HashMap<>();
            nb.get("action_progress").forEach(s -> steps.put(s.get("step").asInt(), s.get("status").asText()));
            assertThat(steps).containsEntry(1, "COMPLETED").containsEntry(3, "COMPLETED").containsEntry(4, "FAILED");
            JsonNode events = api.get("/v1/{project_id}/notebooks/" + id + "/events").json().get("data");
            assertThat(events.get(0).get("type").asText()).isEqualTo("FAILED");
            assertThat(events.get(0).get("level").asText()).isEqualTo("ERROR");
            assertThat(events.get(0).get("status").asText()).isEqualTo("CREATE_FAILED");
            assertThat(events.get(0).get("message").asText()).contains("the kernel of truth is missing");
            assertThat(events.get(events.size() - 1).get("type").asText()).isEqualTo("CREATED");

            // a failed instance can be deleted, and then nothing of it remains
            assertThat(api.delete("/v1/{project_id}/notebooks/" + id).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/v1/{project_id}/notebooks/" + id).status() == 400);
            assertThat(server.dataDir().resolve("instances").resolve(id)).doesNotExist();
        }
    }

    @Test
    void aRunningServerThatDiesOrHangsIsFoundWithinSecondsAndTheInstanceGoesToError() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String dies = api.post("/v1/{project_id}/notebooks", TestServer.createBody("dies")).json().get("id").asText();
            String hangs = api.post("/v1/{project_id}/notebooks", TestServer.createBody("hangs")).json().get("id").asText();
            StartStopLeaseTest.awaitStatus(api, dies, "RUNNING");
            StartStopLeaseTest.awaitStatus(api, hangs, "RUNNING");

            dev.atelier.support.Processes.matching("/notebook/" + dies + "/").forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle p : dev.atelier.support.Processes.matching("/notebook/" + hangs + "/")) {
                new ProcessBuilder("kill", "-STOP", Long.toString(p.pid())).start().waitFor();
            }
            long t0 = System.nanoTime();
            JsonNode dead = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + dies).json(), n -> n.get("status").asText().equals("ERROR"));
            assertThat(dead.get("fail_reason").asText()).contains("exited");
            JsonNode hung = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + hangs).json(), n -> n.get("status").asText().equals("ERROR"));
            assertThat(hung.get("fail_reason").asText()).contains("stopped answering");
            // found within the 3 s a server may stay silent plus a poll or two (the test server polls every 0.5 s)
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(6);
            // then the hung server is stopped (forcibly, once the grace period is out)
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    dev.atelier.support.Processes.matching("/notebook/" + hangs + "/").isEmpty());
        }
    }

    @Test
    void aMissingNotebookServerFailsAtTheComputeStepAndSaysWhatToInstall() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("nothing")).json().get("id").asText();
            JsonNode nb = await().atMost(Duration.ofSeconds(20))
                    .until(() -> api.get("/v1/{project_id}/notebooks/" + id).json(),
                            n -> n.get("status").asText().equals("CREATE_FAILED"));
            assertThat(nb.get("fail_reason").asText()).contains("/nonexistent/jupyter-server").contains("apt-get install");
            Map<Integer, String> steps = new HashMap<>();
            nb.get("action_progress").forEach(s -> steps.put(s.get("step").asInt(), s.get("status").asText()));
            assertThat(steps).containsEntry(1, "COMPLETED").containsEntry(2, "FAILED").containsEntry(4, "WAITING");
        }
    }
}
