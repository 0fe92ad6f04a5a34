package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.SharedServer;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The HTTP conventions of reference §1.2–1.3 that real clients depend on. */
class HttpDetailsTest extends SharedServer {

    @Test
    void literalSegmentsWinOverIds() {
        assertThat(api.get("/v1/{project_id}/notebooks/flavors").json().has("flavors")).isTrue();
        assertThat(api.get("/v1/{project_id}/notebooks/all").json().has("total")).isTrue();
        assertThat(api.get("/v1/{project_id}/notebooks/tags").json().has("tags")).isTrue();
        assertThat(api.get("/v1/{project_id}/images/group").json().has("total")).isTrue();
    }

    @Test
    void aPostWithoutBodyAndOneWithAnEmptyObjectAreTheSame() {
        String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("details")).json().get("id").asText();
        // not running yet (or failed): both forms reach the state check, neither is a body error
        Response noBody = api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
        Response emptyObject = api.post("/v1/{project_id}/notebooks/" + id + "/start", "{}");
        assertThat(noBody.errorCode()).isEqualTo("ModelArts.6357");
        assertThat(emptyObject.errorCode()).isEqualTo("ModelArts.6357");
        Response deleteWithBody = api.send("DELETE", "/v1/{project_id}/notebooks/" + id, "{\"force\":true}");
        assertThat(deleteWithBody.status()).as(deleteWithBody.body()).isEqualTo(200);
    }

    @Test
    void contentTypeWithACharsetAndOnAGetIsAccepted() throws Exception {
        // the SDK signer never signs Content-Type, so any variant may arrive
        for (String type : new String[] {"application/json;charset=UTF-8", "application/json; charset=utf-8"}) {
            Response r = api.sendWithContentType("POST", "/v1/{project_id}/notebooks", "{\"name\":\"x\"}", type);
            assertThat(r.status()).as(type).isEqualTo(400);
            assertThat(r.errorCode()).as(type).isEqualTo("ModelArts.6335"); // parsed: the flavor is missing
        }
        assertThat(api.get("/v1/{project_id}/notebooks").status()).isEqualTo(200); // GET with Content-Type
    }

    @Test
    void noAnswerOfTheApiMayBeStoredByACache() throws Exception {
        String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("no-store")).json().get("id").asText();
        HttpClient http = HttpClient.newHttpClient();
        for (var req : java.util.List.of(
                HttpRequest.newBuilder(URI.create(server.url() + "/v3/auth/tokens"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpRequest.newBuilder(URI.create(server.url() + "/v1/" + api.projectId() + "/notebooks/" + id))
                        .build())) {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("Cache-Control")).as(req.uri().getPath()).contains("no-store");
        }
        // and signed, where an instance's token is in the answer
        assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().has("token")).isTrue();
        api.send("DELETE", "/v1/{project_id}/notebooks/" + id, null);
    }

    @Test
    void everyResponseHasJsonAndARequestIdEvenOutsideTheApi() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.url() + "/nothing")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(r.body()).contains("ModelArts.6404");
    }
}
