package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SharedServerWithoutNotebooks;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Notebook tags (reference §2.14) and the per-user feature quota (§2.21). */
class TagsAndQuotaTest extends SharedServerWithoutNotebooks {
    static String create(String name) {
        Response r = api.post("/v1/{project_id}/notebooks", TestServer.createBody(name));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    @Test
    void tagsAreUpsertedByKeyShownOnTheInstanceAggregatedAndDeleted() {
        String a = create("tagged-a");
        String b = create("tagged-b");
        Response created = api.post("/v1/{project_id}/notebooks/" + a + "/tags/create",
                "{\"tags\":[{\"key\":\"team\",\"value\":\"vision\"},{\"key\":\"cost centre\",\"value\":\"42/7\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(204);
        assertThat(created.body()).isEmpty();
        api.post("/v1/{project_id}/notebooks/" + a + "/tags/create", "{\"tags\":[{\"key\":\"team\",\"value\":\"nlp\"}]}");
        api.post("/v1/{project_id}/notebooks/" + b + "/tags/create", "{\"tags\":[{\"key\":\"team\",\"value\":\"vision\"}]}");

        JsonNode shown = api.get("/v1/{project_id}/notebooks/" + a).json().get("tags");
        assertThat(shown.toString()).isEqualTo("[{\"key\":\"cost centre\",\"value\":\"42/7\"},{\"key\":\"team\",\"value\":\"nlp\"}]");
        JsonNode listed = api.get("/v1/{project_id}/notebooks?id=" + a).json().get("data").get(0).get("tags");
        assertThat(listed).isEqualTo(shown);

        JsonNode all = api.get("/v1/{project_id}/notebooks/tags").json();
        assertThat(all.toString()).isEqualTo("{\"tags\":[{\"key\":\"cost centre\",\"values\":[\"42/7\"]},"
                + "{\"key\":\"team\",\"values\":[\"nlp\",\"vision\"]}]}");

        Response deleted = api.send("DELETE", "/v1/{project_id}/notebooks/" + a + "/tags/delete",
                "{\"tags\":[{\"key\":\"team\"},{\"key\":\"nope\"},{\"key\":\"cost centre\",\"value\":\"other\"}]}");
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(api.get("/v1/{project_id}/notebooks/" + a).json().get("tags").toString())
                .isEqualTo("[{\"key\":\"cost centre\",\"value\":\"42/7\"}]");

        for (String bad : new String[] {"{\"tags\":[{\"key\":\" lead\",\"value\":\"x\"}]}",
                "{\"tags\":[{\"key\":\"_sys_x\",\"value\":\"x\"}]}", "{\"tags\":[{\"key\":\"k\",\"value\":\"<x>\"}]}",
                "{\"tags\":[{\"value\":\"x\"}]}", "{\"tags\":\"team\"}"}) {
            Response r = api.post("/v1/{project_id}/notebooks/" + a + "/tags/create", bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
        }
        assertThat(api.post("/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000/tags/create",
                "{\"tags\":[]}").errorCode()).isEqualTo("ModelArts.6404");
    }

    @Test
    void freeCreatesSentAtOnceGetExactlyOneInstance() throws Exception {
        SignedClient carol = server.addUser("carol-quota");
        String free = "{\"name\":\"free\",\"feature\":\"DEFAULT\",\"flavor\":\"modelarts.vm.cpu.free\",\"image_id\":\""
                + TestServer.IMAGE_ID + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}";
        List<Response> answers = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 12; i++) {
                pool.submit(() -> answers.add(carol.post("/v1/{project_id}/notebooks", free)));
            }
        }
        assertThat(answers).filteredOn(r -> r.status() == 200).hasSize(1);
        assertThat(answers).filteredOn(r -> "ModelArts.6302".equals(r.errorCode())).hasSize(11);
        assertThat(carol.get("/v1/{project_id}/authoring/features/DEFAULT").json().get("used").asInt()).isEqualTo(1);
        String id = answers.stream().filter(r -> r.status() == 200).findFirst().orElseThrow().json().get("id").asText();
        carol.delete("/v1/{project_id}/notebooks/" + id);
    }

    @Test
    void legacyCreatesOfOneNameSentAtOnceGetExactlyOneInstance() throws Exception {
        String body = dev.atelier.e2e.CrossApiTest.LEGACY_CREATE.replace("legacy-one", "same-name");
        List<Response> answers = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 12; i++) {
                pool.submit(() -> answers.add(api.post("/v1/{project_id}/demanager/instances", body)));
            }
        }
        assertThat(answers).as(answers.toString()).filteredOn(r -> r.status() == 200).hasSize(1);
        assertThat(answers).filteredOn(r -> "ModelArts.6301".equals(r.errorCode())).hasSize(11);
        String id = answers.stream().filter(r -> r.status() == 200).findFirst().orElseThrow().json().get("id").asText();
        api.delete("/v1/{project_id}/demanager/instances/" + id);
    }

    @Test
    void aUserMayHaveOneFreeInstanceAndTheFeatureApiReportsIt() {
        String free = "{\"name\":\"free\",\"feature\":\"DEFAULT\",\"flavor\":\"modelarts.vm.cpu.free\",\"image_id\":\""
                + TestServer.IMAGE_ID + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}";
        JsonNode before = api.get("/v1/{project_id}/authoring/features/DEFAULT").json();
        assertThat(before.get("quota").asInt()).isEqualTo(1);
        assertThat(before.get("used").asInt()).isZero();

        Response first = api.post("/v1/{project_id}/notebooks", free);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        Response second = api.post("/v1/{project_id}/notebooks", free);
        assertThat(second.status()).isEqualTo(400);
        assertThat(second.errorCode()).isEqualTo("ModelArts.6302");
        assertThat(api.get("/v1/{project_id}/authoring/features/DEFAULT").json().get("used").asInt()).isEqualTo(1);

        Response wrongFlavor = api.post("/v1/{project_id}/notebooks", free.replace("modelarts.vm.cpu.free",
                "modelarts.vm.cpu.2u"));
        assertThat(wrongFlavor.errorCode()).isEqualTo("ModelArts.6870");

        String id = first.json().get("id").asText();
        api.delete("/v1/{project_id}/notebooks/" + id);
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/v1/{project_id}/notebooks/" + id).status() == 400);
        assertThat(api.post("/v1/{project_id}/notebooks", free).status()).isEqualTo(200);

        JsonNode notebook = api.get("/v1/{project_id}/authoring/features/NOTEBOOK").json();
        assertThat(notebook.get("name").asText()).isEqualTo("NOTEBOOK");
        assertThat(notebook.get("enabled").asBoolean()).isTrue();
        assertThat(notebook.get("quota").isInt()).isTrue();
        assertThat(notebook.get("user_id").asText()).isEqualTo(server.credentials().get("user_id").asText());
        assertThat(api.get("/v1/{project_id}/authoring/features/GOLD").errorCode()).isEqualTo("ModelArts.0107");
    }
}
