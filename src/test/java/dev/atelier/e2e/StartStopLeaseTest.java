package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.Processes;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stop, start, update and the auto-stop lease, with real notebook servers. */
class StartStopLeaseTest {
    @TempDir
    Path dataDir;

    static JsonNode awaitStatus(SignedClient api, String id, String status) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get("/v1/{project_id}/notebooks/" + id).json(),
                        n -> n.get("status").asText().equals(status));
    }

    @Test
    void aStoppedInstanceKeepsItsFilesAndStartsAgainWithANewToken() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("sleeper")).json()
                    .get("id").asText();
            JsonNode running = awaitStatus(api, id, "RUNNING");
            String oldToken = running.get("token").asText();
            Path work = server.dataDir().resolve("instances").resolve(id).resolve("work");
            new Jupyter(running.get("url").asText(), oldToken).execute(
                    "open('kept.txt', 'w').write('still here')");
            assertThat(work.resolve("kept.txt")).hasContent("still here");

            Response stopped = api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
            assertThat(stopped.status()).as(stopped.body()).isEqualTo(200);
            assertThat(stopped.json().get("status").asText()).isEqualTo("STOPPING");
            awaitStatus(api, id, "STOPPED");
            assertThat(Processes.matching("/notebook/" + id + "/")).isEmpty();
            assertThat(work.resolve("kept.txt")).hasContent("still here");

            Response again = api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
            assertThat(again.status()).isEqualTo(400);
            assertThat(again.errorCode()).isEqualTo("ModelArts.6357");

            Response started = api.post("/v1/{project_id}/notebooks/" + id + "/start?duration=7200000&type=timing", null);
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            assertThat(started.json().get("status").asText()).isEqualTo("STARTING");
            String newToken = started.json().get("token").asText();
            assertThat(newToken).isNotEqualTo(oldToken);
            JsonNode back = awaitStatus(api, id, "RUNNING");
            JsonNode lease = back.get("lease");
            assertThat(lease.get("create_at").asLong() + lease.get("duration").asLong())
                    .isCloseTo(System.currentTimeMillis() + 7_200_000L, within(10_000L));

            Jupyter jupyter = new Jupyter(back.get("url").asText(), newToken);
            assertThat(jupyter.execute("print(open('kept.txt').read())")).isEqualTo("still here\n");
            assertThat(new Jupyter(back.get("url").asText(), oldToken).get("api/status", true).statusCode())
                    .as("the old token opens nothing").isEqualTo(401);

            Response startRunning = api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            assertThat(startRunning.status()).isEqualTo(400);
            assertThat(startRunning.errorCode()).isEqualTo("ModelArts.6357");
            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> !Files.exists(work));
        }
    }

    @Test
    void aStartWritesTheRecordOnlyWhenSomethingCouldBeSeenToChange() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("frugal")).json()
                    .get("id").asText();
            JsonNode running = awaitStatus(api, id, "RUNNING");
            for (JsonNode step : running.get("action_progress")) {
                assertThat(step.get("status").asText()).as(step.toString()).isEqualTo("COMPLETED");
            }
            // created; storage under way; launched (steps 1-3 done, the server's state); RUNNING. Steps that
            // take microseconds are not written one by one (each write is a store round trip, and a change to
            // read by every replica)
            assertThat(server.store().get(id).orElseThrow().version()).as("writes since the create's (version 1)")
                    .isLessThanOrEqualTo(1 + 3);
            api.delete("/v1/{project_id}/notebooks/" + id);
        }
    }

    @Test
    void theLeaseIsShownRenewedAndEnforced() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("leased")).json()
                    .get("id").asText();
            JsonNode running = awaitStatus(api, id, "RUNNING");

            JsonNode lease = api.get("/v1/{project_id}/notebooks/" + id + "/lease").json();
            assertThat(lease).isEqualTo(running.get("lease"));
            assertThat(lease.get("type").asText()).isEqualTo("TIMING");
            assertThat(lease.get("enable").asBoolean()).isTrue();
            long createAt = lease.get("create_at").asLong();

            long before = System.currentTimeMillis();
            Response renewed = api.send("PATCH", "/v1/{project_id}/notebooks/" + id + "/lease?duration=10800000", null);
            assertThat(renewed.status()).as(renewed.body()).isEqualTo(200);
            JsonNode l = renewed.json();
            assertThat(l.get("create_at").asLong()).isEqualTo(createAt);
            assertThat(l.get("duration").asLong()).isBetween(before - createAt + 10_800_000L,
                    System.currentTimeMillis() - createAt + 10_800_000L);
            assertThat(l.get("update_at").asLong()).isBetween(before, System.currentTimeMillis());

            Response byBody = api.send("PATCH", "/v1/{project_id}/notebooks/" + id + "/lease",
                    "{\"duration\":3600000,\"type\":\"timing\"}");
            assertThat(byBody.status()).isEqualTo(200);
            assertThat(byBody.json().get("duration").asLong()).isLessThan(l.get("duration").asLong());
            Response tooLong = api.send("PATCH", "/v1/{project_id}/notebooks/" + id + "/lease?duration=259200001", null);
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.errorCode()).isEqualTo("ModelArts.6349");

            server.clock().advance(Duration.ofMinutes(61));
            JsonNode stopped = awaitStatus(api, id, "STOPPED");
            assertThat(stopped.get("fail_reason").asText()).contains("lease ran out");
            assertThat(Processes.matching("/notebook/" + id + "/")).isEmpty();

            Response renewStopped = api.send("PATCH", "/v1/{project_id}/notebooks/" + id + "/lease", null);
            assertThat(renewStopped.status()).isEqualTo(400);
            assertThat(renewStopped.errorCode()).isEqualTo("ModelArts.6327");

            // started without auto stop, the instance outlives any lease
            Response started = api.post("/v1/{project_id}/notebooks/" + id + "/start?duration=-1", null);
            assertThat(started.json().get("lease").get("enable").asBoolean()).isFalse();
            awaitStatus(api, id, "RUNNING");
            server.clock().advance(Duration.ofHours(80));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText().equals("RUNNING"));
            api.delete("/v1/{project_id}/notebooks/" + id);
        }
    }

    @Test
    void aVolumeThatIsAPlainDirectoryIsMeasuredAndOverCapacityReported() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) { // unsandboxed: the volume is a directory
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("overfull")).json()
                    .get("id").asText();
            JsonNode running = awaitStatus(api, id, "RUNNING");
            new Jupyter(running.get("url").asText(), running.get("token").asText())
                    .execute("open('big', 'wb').truncate(6 * 2**30)");
            JsonNode nb = await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + id).json(),
                    n -> n.path("fail_reason").asText().contains("capacity"));
            assertThat(nb.get("fail_reason").asText()).contains("6.0 GB").contains("5 GB");
            assertThat(nb.get("status").asText()).isEqualTo("RUNNING");
            api.delete("/v1/{project_id}/notebooks/" + id);
        }
    }

    @Test
    void updatesFollowTheStatusRules() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("changing")).json()
                    .get("id").asText();
            awaitStatus(api, id, "RUNNING");
            String path = "/v1/{project_id}/notebooks/" + id;

            Response renamed = api.send("PUT", path, "{\"name\":\"renamed\",\"description\":\"new words\"}");
            assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
            assertThat(renamed.json().get("name").asText()).isEqualTo("renamed");
            assertThat(renamed.json().get("description").asText()).isEqualTo("new words");
            assertThat(renamed.json().get("status").asText()).isEqualTo("RUNNING");

            Response flavorWhileRunning = api.send("PUT", path, "{\"flavor\":\"modelarts.vm.cpu.8u\"}");
            assertThat(flavorWhileRunning.status()).isEqualTo(400);
            assertThat(flavorWhileRunning.errorCode()).isEqualTo("ModelArts.6347");

            Response grown = api.send("PUT", path, "{\"storage_new_size\":10}");
            assertThat(grown.status()).as(grown.body()).isEqualTo(200);
            assertThat(grown.json().get("volume").get("capacity").asInt()).isEqualTo(10);
            Response shrunk = api.send("PUT", path, "{\"storage_new_size\":6}");
            assertThat(shrunk.status()).isEqualTo(400);
            assertThat(shrunk.errorCode()).isEqualTo("ModelArts.6331");

            JsonNode switchable = api.get(path + "/flavors").json();
            assertThat(switchable.get("data")).extracting(f -> f.get("id").asText())
                    .contains("modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u");
            assertThat(switchable.get("flavors")).isEqualTo(switchable.get("data"));

            api.post(path + "/stop", null);
            awaitStatus(api, id, "STOPPED");
            Response switched = api.send("PUT", path, "{\"flavor\":\"modelarts.vm.cpu.8u\"}");
            assertThat(switched.status()).as(switched.body()).isEqualTo(200);
            assertThat(switched.json().get("flavor").asText()).isEqualTo("modelarts.vm.cpu.8u");
            Response unknown = api.send("PUT", path, "{\"flavor\":\"modelarts.vm.cpu.none\"}");
            assertThat(unknown.errorCode()).isEqualTo("ModelArts.6323");
            Response badType = api.send("PUT", path, "{\"name\":[]}");
            assertThat(badType.errorCode()).isEqualTo("ModelArts.6332");
            assertThat(api.get(path).json().get("name").asText()).isEqualTo("renamed");
            api.delete(path);
        }
    }
}
