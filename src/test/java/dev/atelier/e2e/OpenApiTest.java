package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document (src/main/resources/openapi/atelier.json) against the server: the same routes, and real
 * answers, successes and errors, valid against the schemas it gives them (JSON Schema 2020-12).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiTest {
    @TempDir
    static Path dataDir;
    TestServer server;
    SignedClient api;
    JsonNode document;
    SchemaRegistry schemas;
    String id;

    @BeforeAll
    void start() throws Exception {
        server = TestServer.sqlite(dataDir);
        api = server.client();
        String text = Files.readString(Path.of("src/main/resources/openapi/atelier.json"));
        document = new ObjectMapper().readTree(text);
        schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("described")).json().get("id").asText();
        StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyRouteServedIsDescribedAndEveryRouteDescribedIsServed() {
        TreeSet<String> served = new TreeSet<>();
        // the console's pages are HTML for people, not API (docs/console.md); so is / for a browser (to the console)
        server.routes().stream().filter(r -> !r.contains(" /console") && !r.equals("GET /")).forEach(r -> served.add(
                r.replace("<rest>", "{path}")));
        TreeSet<String> described = new TreeSet<>();
        document.get("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            if (List.of("get", "put", "post", "delete", "patch", "head", "options").contains(op.getKey())) {
                described.add(op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
            }
        }));
        assertThat(described).as("described, and served").containsExactlyElementsOf(served);
    }

    @Test
    void theDocumentAndABrowsableViewOfItAreServedWithNothingFromElsewhere() throws Exception {
        Response doc = PlainClient.anonymous(server.url()).send("GET", "/openapi.json", null);
        assertThat(doc.status()).isEqualTo(200);
        assertThat(doc.json()).isEqualTo(document);
        Response page = PlainClient.anonymous(server.url()).send("GET", "/api-docs/", null);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("swagger-ui-bundle.js").doesNotContain("http:").doesNotContain("https:");
        Response bundle = PlainClient.anonymous(server.url()).send("GET", "/api-docs/swagger-ui-bundle.js", null);
        assertThat(bundle.status()).isEqualTo(200);
        assertThat(bundle.contentType()).startsWith("text/javascript");
        assertThat(PlainClient.anonymous(server.url()).send("GET", "/api-docs/init.js", null).body())
                .contains("../openapi.json");
        Response other = PlainClient.anonymous(server.url()).send("GET", "/api-docs/index.html", null);
        assertThat(other.status()).as("only the files the page needs").isEqualTo(404);
        assertThat(other.contentType()).startsWith("application/json");
    }

    @Test
    void realAnswersMatchTheSchemasTheDocumentGivesThem() {
        String p = server.credentials().get("project_id").asText();
        String u = server.credentials().get("user_id").asText();
        record Call(String method, String path, String body, String route) {
        }
        List<String> answered = new ArrayList<>();
        List<Call> calls = List.of(
                new Call("GET", "/v1/{project_id}/notebooks", null, "/v1/{project_id}/notebooks"),
                new Call("GET", "/v1/{project_id}/notebooks/all?limit=2", null, "/v1/{project_id}/notebooks/all"),
                new Call("GET", "/v1/{project_id}/notebooks/" + id, null, "/v1/{project_id}/notebooks/{id}"),
                new Call("GET", "/v1/{project_id}/notebooks/" + id + "/lease", null,
                        "/v1/{project_id}/notebooks/{id}/lease"),
                new Call("GET", "/v1/{project_id}/notebooks/" + id + "/events", null,
                        "/v1/{project_id}/notebooks/{id}/events"),
                new Call("GET", "/v1/{project_id}/notebooks/" + id + "/flavors", null,
                        "/v1/{project_id}/notebooks/{id}/flavors"),
                new Call("GET", "/v1/{project_id}/notebooks/" + id + "/storage", null,
                        "/v1/{project_id}/notebooks/{id}/storage"),
                new Call("GET", "/v1/{project_id}/notebooks/flavors", null, "/v1/{project_id}/notebooks/flavors"),
                new Call("GET", "/v1/{project_id}/notebooks/tags", null, "/v1/{project_id}/notebooks/tags"),
                new Call("GET", "/v1/{project_id}/images", null, "/v1/{project_id}/images"),
                new Call("GET", "/v1/{project_id}/images/" + TestServer.IMAGE_ID, null, "/v1/{project_id}/images/{id}"),
                new Call("GET", "/v1/{project_id}/images/group", null, "/v1/{project_id}/images/group"),
                new Call("GET", "/v1/{project_id}/authoring/clusters?type=MANAGED", null,
                        "/v1/{project_id}/authoring/clusters"),
                new Call("GET", "/v1/{project_id}/authoring/clusters/pool-managed", null,
                        "/v1/{project_id}/authoring/clusters/{cluster_id}"),
                new Call("GET", "/v1/{project_id}/authoring/features/NOTEBOOK", null,
                        "/v1/{project_id}/authoring/features/{feature}"),
                new Call("GET", "/v1/{project_id}/workspaces", null, "/v1/{project_id}/workspaces"),
                new Call("GET", "/v3/{project_id}/keypairs", null, "/v3/{project_id}/keypairs"),
                new Call("GET", "/v1/{project_id}/demanager/instances?de_type=Notebook", null,
                        "/v1/{project_id}/demanager/instances"),
                new Call("GET", "/v1/{project_id}/demanager/instances/" + id, null,
                        "/v1/{project_id}/demanager/instances/{id}"),
                new Call("GET", "/admin/v1/whoami", null, "/admin/v1/whoami"),
                new Call("GET", "/admin/v1/users/" + u, null, "/admin/v1/users/{user}"),
                new Call("GET", "/admin/v1/projects/" + p, null, "/admin/v1/projects/{project}"),
                new Call("GET", "/admin/v1/audit?limit=3", null, "/admin/v1/audit"),
                new Call("PATCH", "/v1/{project_id}/notebooks/" + id + "/lease?duration=7200000", "",
                        "/v1/{project_id}/notebooks/{id}/lease"),
                // errors: the schemas of failures are checked too
                new Call("GET", "/v1/{project_id}/notebooks/00000000-0000-4000-8000-000000000000", null,
                        "/v1/{project_id}/notebooks/{id}"),
                new Call("GET", "/v1/{project_id}/notebooks?limit=0", null, "/v1/{project_id}/notebooks"),
                new Call("POST", "/v1/{project_id}/notebooks", "{\"name\": 7}", "/v1/{project_id}/notebooks"),
                new Call("GET", "/v1/{project_id}/demanager/instances/00000000-0000-4000-8000-000000000000", null,
                        "/v1/{project_id}/demanager/instances/{id}"));
        List<String> failures = new ArrayList<>();
        for (Call c : calls) {
            Response r = api.send(c.method(), c.path(), c.body());
            answered.add(r.status() + " " + c.method() + " " + c.path());
            JsonNode op = document.path("paths").path(c.route()).path(c.method().toLowerCase(java.util.Locale.ROOT));
            JsonNode response = op.path("responses").path(Integer.toString(r.status()));
            if (response.isMissingNode()) {
                response = op.path("responses").path(r.status() >= 500 ? "5XX" : r.status() >= 400 ? "4XX" : "2XX");
            }
            if (response.isMissingNode()) {
                response = op.path("responses").path("default");
            }
            if (response.has("$ref")) {
                response = at(response.get("$ref").asText());
            }
            JsonNode schema = response.path("content").path("application/json").path("schema");
            if (schema.isMissingNode()) {
                failures.add(c.method() + " " + c.route() + ": no JSON schema for status " + r.status());
                continue;
            }
            var errors = schemas.getSchema(standalone(schema)).validate(toJackson3(r.json()));
            for (var e : errors) {
                failures.add(c.method() + " " + c.path() + " " + r.status() + ": " + e.getMessage());
            }
        }
        assertThat(failures).isEmpty();
        assertThat(answered.subList(0, calls.size() - 4)).as("the calls before the errors succeed")
                .allMatch(a -> a.startsWith("2"));
    }

    /** The schema with the document's component schemas as its own {@code $defs}: one JSON Schema, whole. */
    private String standalone(JsonNode schema) {
        var root = new ObjectMapper().createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.setAll((com.fasterxml.jackson.databind.node.ObjectNode) schema.deepCopy());
        root.set("$defs", document.path("components").path("schemas"));
        return root.toString().replace("\"#/components/schemas/", "\"#/$defs/");
    }

    private JsonNode at(String ref) {
        JsonNode n = document;
        for (Iterator<String> it = List.of(ref.substring(2).split("/")).iterator(); it.hasNext(); ) {
            n = n.path(it.next().replace("~1", "/").replace("~0", "~"));
        }
        return n;
    }

    private static tools.jackson.databind.JsonNode toJackson3(JsonNode node) {
        return new tools.jackson.databind.ObjectMapper().readTree(node.toString());
    }
}
