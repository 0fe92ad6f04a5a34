package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One store, two views: what one API does, the other sees and can continue. */
public class CrossApiTest {
    public static final String LEGACY_CREATE = "{\"name\":\"legacy-one\",\"profile_id\":\"Python3\","
            + "\"flavor\":\"modelarts.vm.cpu.2u\",\"description\":\"made the old way\","
            + "\"spec\":{\"storage\":{\"type\":\"evs\",\"location\":{\"volume_size\":5}},"
            + "\"auto_stop\":{\"enable\":true,\"duration\":7200,\"prompt\":true}},\"workspace\":{\"id\":\"0\"}}";

    @TempDir
    Path dataDir;

    static String legacyStatus(SignedClient api, String id) {
        return api.get("/v1/{project_id}/demanager/instances/" + id).json().get("status").asText();
    }

    static String v1Status(SignedClient api, String id) {
        return api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText();
    }

    @Test
    void anInstanceCreatedThroughTheLegacyApiLivesInBothViews() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            Response created = api.post("/v1/{project_id}/demanager/instances", LEGACY_CREATE);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            JsonNode legacy = created.json();
            String legacyId = legacy.get("id").asText();
            assertThat(legacyId).matches("DE-[0-9a-f-]{36}");
            assertThat(legacy.get("status").asText()).isEqualTo("CREATING");
            String v1Id = legacyId.substring(3);

            await().atMost(Duration.ofSeconds(30)).until(() -> legacyStatus(api, legacyId).equals("RUNNING"));
            JsonNode v1 = api.get("/v1/{project_id}/notebooks/" + v1Id).json();
            assertThat(v1.get("status").asText()).isEqualTo("RUNNING");
            assertThat(v1.get("description").asText()).isEqualTo("made the old way");
            assertThat(api.get("/v1/{project_id}/notebooks/" + legacyId).json().get("id").asText()).isEqualTo(v1Id);
            assertThat(v1.get("lease").get("enable").asBoolean()).isTrue();
            JsonNode autoStop = api.get("/v1/{project_id}/demanager/instances/" + legacyId).json().get("spec")
                    .get("auto_stop");
            assertThat(autoStop.get("duration").asLong()).isEqualTo(7200);
            assertThat(autoStop.get("remain_time").asLong()).isBetween(7000L, 7200L);
            assertThat(autoStop.get("stop_timestamp").asLong()).isEqualTo(v1.get("lease").get("create_at").asLong()
                    + v1.get("lease").get("duration").asLong());

            JsonNode token = api.get("/v1/{project_id}/demanager/instances/" + legacyId + "/token").json();
            assertThat(token.get("token").asText()).isEqualTo(v1.get("token").asText());
            assertThat(api.get("/v1/{project_id}/notebooks?id=" + legacyId).json().get("total").asInt()).isEqualTo(1);

            Response mustStop = api.delete("/v1/{project_id}/demanager/instances/" + legacyId);
            assertThat(mustStop.errorCode()).isEqualTo("ModelArts.6304");

            JsonNode stop = api.post("/v1/{project_id}/demanager/instances/" + legacyId + "/action",
                    "{\"action\":\"stop\"}").json();
            assertThat(stop.toString()).isEqualTo("{\"current_status\":\"STOPPING\",\"previous_state\":\"RUNNING\"}");
            await().atMost(Duration.ofSeconds(20)).until(() -> v1Status(api, v1Id).equals("STOPPED"));
            assertThat(api.post("/v1/{project_id}/demanager/instances/" + legacyId + "/action",
                    "{\"action\":\"STOP\"}").errorCode()).as("an action in upper case is the same action")
                    .isEqualTo("ModelArts.6307");
            assertThat(api.get("/v1/{project_id}/demanager/instances?de_type=Notebook&status=stopped").json()
                    .get("instances").findValuesAsText("id")).as("a status filter in lower case").contains(legacyId);

            JsonNode v1Start = api.post("/v1/{project_id}/notebooks/" + legacyId + "/start", null).json();
            assertThat(v1Start.get("status").asText()).isEqualTo("STARTING");
            await().atMost(Duration.ofSeconds(30)).until(() -> legacyStatus(api, legacyId).equals("RUNNING"));
            assertThat(api.post("/v1/{project_id}/demanager/instances/" + legacyId + "/action",
                    "{\"action\":\"start\"}").errorCode()).isEqualTo("ModelArts.6305");

            JsonNode modified = api.send("PUT", "/v1/{project_id}/demanager/instances/" + legacyId,
                    "{\"description\":\"changed\",\"spec\":{\"auto_stop\":{\"enable\":false}}}").json();
            assertThat(modified.get("description").asText()).isEqualTo("changed");
            assertThat(modified.get("spec").get("auto_stop").get("enable").asBoolean()).isFalse();
            assertThat(api.get("/v1/{project_id}/notebooks/" + v1Id).json().get("lease").get("enable").asBoolean())
                    .isFalse();

            api.post("/v1/{project_id}/notebooks/" + v1Id + "/stop", null);
            await().atMost(Duration.ofSeconds(20)).until(() -> legacyStatus(api, legacyId).equals("STOPPED"));
            JsonNode deleted = api.delete("/v1/{project_id}/demanager/instances/" + legacyId).json();
            assertThat(deleted.toString()).isEqualTo("{\"instance_id\":\"" + legacyId + "\"}");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + v1Id).status() == 400);
            Response gone = api.get("/v1/{project_id}/demanager/instances/" + legacyId);
            assertThat(gone.status()).isEqualTo(400);
            assertThat(gone.errorCode()).isEqualTo("ModelArts.6309");
            assertThat(gone.json().get("error_message").asText()).isEqualTo(gone.json().get("error_msg").asText());
        }
    }

    @Test
    void anInstanceCreatedThroughV1IsListedStartedAndStoppedThroughTheLegacyApi() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String v1Id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("modern")).json()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> v1Status(api, v1Id).equals("RUNNING"));
            JsonNode list = api.get("/v1/{project_id}/demanager/instances?de_type=Notebook").json();
            assertThat(list.get("total_count").asInt()).isEqualTo(1);
            assertThat(list.get("instances").get(0).get("id").asText()).isEqualTo("DE-" + v1Id);
            assertThat(list.get("instances").get(0).get("status").asText()).isEqualTo("RUNNING");
            assertThat(list.get("instances").get(0).get("spec").get("annotations").get("url").asText())
                    .startsWith("http://127.0.0.1:");
            JsonNode stop = api.post("/v1/{project_id}/demanager/instances/" + v1Id + "/action",
                    "{\"action\":\"stop\"}").json();
            assertThat(stop.get("current_status").asText()).isEqualTo("STOPPING");
            await().atMost(Duration.ofSeconds(20)).until(() -> v1Status(api, v1Id).equals("STOPPED"));
            JsonNode start = api.post("/v1/{project_id}/demanager/instances/DE-" + v1Id + "/action",
                    "{\"action\":\"start\"}").json();
            assertThat(start.toString()).isEqualTo("{\"current_status\":\"STARTING\",\"previous_state\":\"STOPPED\"}");
            await().atMost(Duration.ofSeconds(30)).until(() -> v1Status(api, v1Id).equals("RUNNING"));
            assertThat(api.post("/v1/{project_id}/demanager/instances/DE-" + v1Id + "/action",
                    "{\"action\":\"restart\"}").errorCode()).isEqualTo("ModelArts.0104");
            api.delete("/v1/{project_id}/notebooks/DE-" + v1Id);
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + v1Id).status() == 400);
        }
    }

    @Test
    void legacyCreatesAreValidatedWithTheLegacyCodes() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            String base = "/v1/{project_id}/demanager/instances";
            String ok = LEGACY_CREATE;
            assertThat(api.post(base, ok.replace(",\"spec\":{\"storage\":{\"type\":\"evs\",\"location\":"
                    + "{\"volume_size\":5}},", ",\"spec\":{")).errorCode()).isEqualTo("ModelArts.6316");
            assertThat(api.post(base, ok.replace("{\"type\":\"evs\",\"location\":{\"volume_size\":5}}",
                    "{\"type\":\"obs\"}")).errorCode()).isEqualTo("ModelArts.6317");
            assertThat(api.post(base, ok.replace("{\"type\":\"evs\",\"location\":{\"volume_size\":5}}",
                    "{\"type\":\"obs\",\"location\":{\"path\":\"/bucket/dir\"}}")).errorCode()).isEqualTo("ModelArts.6318");
            assertThat(api.post(base, ok.replace("{\"type\":\"evs\",\"location\":{\"volume_size\":5}}",
                    "{\"type\":\"obs\",\"location\":{\"path\":\"/bucket/\"}}")).errorCode()).isEqualTo("ModelArts.6358");
            assertThat(api.post(base, ok.replace("{\"type\":\"evs\",\"location\":{\"volume_size\":5}}",
                    "{\"type\":\"obs\",\"location\":{\"path\":\"/bucket/dir/\"}}")).errorCode()).isEqualTo("ModelArts.6324");
            assertThat(api.post(base, ok.replace("{\"volume_size\":5}", "{\"volume_size\":99999999999999}")).errorCode())
                    .as("a size past any int is out of range, not of the wrong type").isEqualTo("ModelArts.6331");
            assertThat(api.get(base + "?de_type=Notebook&limit=%D9%A1").errorCode()).as("Arabic-Indic 1")
                    .isEqualTo("ModelArts.0104");
            assertThat(api.post(base, ok.replace("\"duration\":7200,", "")).errorCode()).isEqualTo("ModelArts.6348");
            assertThat(api.post(base, ok.replace("7200", "100")).errorCode()).isEqualTo("ModelArts.6349");
            assertThat(api.post(base, ok.replace("Python3", "Python2-gpu")).errorCode()).isEqualTo("ModelArts.6797");
            assertThat(api.post(base, ok.replace("legacy-one", "bad name!")).errorCode()).isEqualTo("ModelArts.6336");
            Response first = api.post(base, ok);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            assertThat(api.post(base, ok).errorCode()).isEqualTo("ModelArts.6301");
            Response missing = api.get(base + "/DE-7f1d1f2e-0000-4000-8000-000000000000");
            assertThat(missing.errorCode()).isEqualTo("ModelArts.6309");
        }
    }
}
