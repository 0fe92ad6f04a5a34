package dev.atelier.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Shape;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per v1 operation: the response carries exactly the field names of the reference (§2.24 and the
 * operation's section), each with the JSON type the official SDK parses. Runs in order on one live instance.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContractTest {
    static final Shape IMAGE = Shape.of("Image", "id", "s", "name", "s", "namespace", "s", "tag", "s", "swr_path", "s",
            "description", "s", "arch", "s", "dev_services", "a", "origin", "s", "resource_categories", "a",
            "support_res_categories", "a", "service_type", "s", "size", "l", "status", "s", "status_message", "s?",
            "type", "s", "visibility", "s", "workspace_id", "s", "tags", "a", "create_at", "l", "update_at", "l");
    static final Shape LEASE = Shape.of("Lease", "create_at", "l", "duration", "l", "enable", "b", "type", "s",
            "update_at", "l");
    static final Shape VOLUME = Shape.of("VolumeRes", "category", "s", "ownership", "s", "capacity", "i",
            "mount_path", "s", "status", "s");
    static final Shape PROGRESS = Shape.of("JobProgress", "notebook_id", "s", "step", "i", "status", "s",
            "description", "s", "step_description", "s");
    static final Shape DATA_VOLUME = Shape.of("VolumeResponse", "category", "s", "mount_path", "s", "url", "s",
            "status", "s", "mount_type", "s");
    static final Shape TAG = Shape.of("Tag", "key", "s", "value", "s");
    static final Shape NOTEBOOK = Shape.of("NotebookResp", "id", "s", "name", "s", "description", "s", "status", "s",
            "feature", "s", "flavor", "s", "image", "o", "lease", "o", "volume", "o", "data_volumes", "a",
            "endpoints", "a", "url", "s?", "token", "s", "action_progress", "a", "fail_reason", "s?",
            "workspace_id", "s", "billing_items", "a", "user_id", "s", "tags", "a", "create_at", "l", "update_at", "l")
            .with("image", IMAGE).with("lease", LEASE).with("volume", VOLUME).with("action_progress", PROGRESS)
            .with("data_volumes", DATA_VOLUME).with("tags", TAG);
    static final Shape FLAVOR = Shape.of("NotebookFlavor", "id", "s", "name", "s", "arch", "s", "category", "s",
            "description", "s", "feature", "s", "free", "b", "sold_out", "b", "vcpus", "i", "memory", "l",
            "storages", "a", "billing", "o", "evs_max_size", "s", "gpu", "o?", "ascend", "o?")
            .with("billing", Shape.of("billing", "code", "s", "unit_num", "i"));
    static final Shape MOUNT = Shape.of("DataVolumesRes", "id", "s", "category", "s", "mount_path", "s", "uri", "s",
            "status", "s", "failure_reason", "s?", "mount_type", "s");
    static final Shape GROUP = Shape.of("ImageGroup", "id", "s", "name", "s", "namespace", "s", "create_at", "l",
            "update_at", "l", "version_count", "i", "description", "s", "read_me", "s?");
    static final Shape FEATURE = Shape.of("Feature", "id", "s", "name", "s", "enabled", "b", "quota", "i", "used", "l",
            "user_id", "s");
    static final Shape ERROR = Shape.of("Error", "error_code", "s", "error_msg", "s", "request_id", "s");

    static Shape page(Shape item) {
        return Shape.of("Page", "current", "i", "data", "a", "pages", "i", "size", "i", "total", "l")
                .with("data", item);
    }

    static Shape flavorPage() {
        return Shape.of("FlavorPage", "current", "i", "data", "a", "flavors", "a", "pages", "i", "size", "i",
                "total", "l").with("data", FLAVOR).with("flavors", FLAVOR);
    }

    @TempDir
    static Path dataDir;
    static TestServer server;
    static SignedClient api;
    static String id;
    static String mountId;
    static String imageId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.sqlite(dataDir);
        api = server.client();
        Files.createDirectories(server.dataDir().resolve("obs/bucket/dir"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonNode ok(Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.requestId()).isNotBlank();
        return r.json();
    }

    static String nb(String suffix) {
        return "/v1/{project_id}/notebooks/" + id + suffix;
    }

    @Test
    @Order(1)
    void createNotebook() {
        JsonNode body = ok(api.post("/v1/{project_id}/notebooks", TestServer.createBody("contract")));
        NOTEBOOK.check(body);
        id = body.get("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                api.get(nb("")).json().get("status").asText().equals("RUNNING"));
    }

    @Test
    @Order(2)
    void showNotebook() {
        JsonNode body = ok(api.get(nb("")));
        NOTEBOOK.check(body);
        assertThat(body.get("url").isTextual()).isTrue();
    }

    @Test
    @Order(3)
    void listNotebooks() {
        JsonNode list = ok(api.get("/v1/{project_id}/notebooks?limit=10&offset=0"));
        page(NOTEBOOK.optional("token")).check(list);
        list.get("data").forEach(i -> assertThat(i.has("token")).as("lists never show instance tokens").isFalse());
    }

    @Test
    @Order(4)
    void listAllNotebooks() {
        page(NOTEBOOK.optional("token")).check(ok(api.get("/v1/{project_id}/notebooks/all")));
    }

    @Test
    @Order(5)
    void updateNotebook() {
        NOTEBOOK.check(ok(api.send("PUT", nb(""), "{\"description\":\"contract checked\"}")));
    }

    @Test
    @Order(6)
    void showAndRenewLease() {
        LEASE.check(ok(api.get(nb("/lease"))));
        LEASE.check(ok(api.send("PATCH", nb("/lease"), "{\"duration\":7200000,\"type\":\"timing\"}")));
        LEASE.check(ok(api.send("PATCH", nb("/lease?duration=3600000"), null)));
    }

    @Test
    @Order(7)
    void listFlavorsAndSwitchableFlavors() {
        flavorPage().check(ok(api.get("/v1/{project_id}/notebooks/flavors")));
        flavorPage().check(ok(api.get("/v1/{project_id}/notebooks/flavors?category=CPU")));
        flavorPage().check(ok(api.get(nb("/flavors"))));
    }

    @Test
    @Order(8)
    void tags() {
        Response created = api.post(nb("/tags/create"), "{\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
        assertThat(created.status()).isEqualTo(204);
        Shape.of("Tags", "tags", "a").with("tags", Shape.of("TagValues", "key", "s", "values", "a"))
                .check(ok(api.get("/v1/{project_id}/notebooks/tags")));
        NOTEBOOK.check(ok(api.get(nb(""))));
        assertThat(api.send("DELETE", nb("/tags/delete"), "{\"tags\":[{\"key\":\"k\"}]}").status()).isEqualTo(204);
    }

    @Test
    @Order(9)
    void dynamicStorage() {
        JsonNode attached = ok(api.post(nb("/storage"), "{\"category\":\"OBS\",\"mount_path\":\"/data/c/\","
                + "\"uri\":\"obs://bucket/dir/\"}"));
        MOUNT.check(attached);
        mountId = attached.get("id").asText();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                api.get(nb("/storage/" + mountId)).json().get("status").asText().equals("MOUNTED"));
        MOUNT.check(ok(api.get(nb("/storage/" + mountId))));
        page(MOUNT).check(ok(api.get(nb("/storage"))));
        NOTEBOOK.check(ok(api.get(nb(""))));
        MOUNT.check(ok(api.delete(nb("/storage/" + mountId))));
    }

    @Test
    @Order(10)
    void createImage() {
        JsonNode image = ok(api.post(nb("/create-image"), "{\"name\":\"contract\",\"namespace\":\"team\",\"tag\":\"v1\"}"));
        IMAGE.check(image);
        imageId = image.get("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() ->
                api.get("/v1/{project_id}/images/" + imageId).json().get("status").asText().equals("ACTIVE"));
    }

    @Test
    @Order(11)
    void images() {
        page(IMAGE).check(ok(api.get("/v1/{project_id}/images")));
        IMAGE.check(ok(api.get("/v1/{project_id}/images/" + imageId)));
        IMAGE.check(ok(api.post("/v1/{project_id}/images/" + imageId + "/sync", null)));
        JsonNode registered = ok(api.post("/v1/{project_id}/images", "{\"swr_path\":\"swr.example.com/team/env:1\"}"));
        IMAGE.check(registered);
        JsonNode groups = ok(api.get("/v1/{project_id}/images/group"));
        page(GROUP).check(groups);
        String groupId = groups.get("data").get(0).get("id").asText();
        JsonNode updated = ok(api.send("PUT", "/v1/{project_id}/images/group/" + groupId, "{\"read_me\":\"# hello\"}"));
        GROUP.check(updated);
        assertThat(updated.get("read_me").asText()).isEqualTo("# hello");
        IMAGE.check(ok(api.send("DELETE", "/v1/{project_id}/images/" + registered.get("id").asText(),
                "{\"is_force\":false}")));
    }

    @Test
    @Order(12)
    void features() {
        FEATURE.check(ok(api.get("/v1/{project_id}/authoring/features/NOTEBOOK")));
    }

    @Test
    @Order(13)
    void stopAndStart() {
        JsonNode stopping = ok(api.post(nb("/stop"), "{}"));
        NOTEBOOK.check(stopping);
        await().atMost(Duration.ofSeconds(20)).until(() ->
                api.get(nb("")).json().get("status").asText().equals("STOPPED"));
        NOTEBOOK.check(ok(api.post(nb("/start?duration=3600000&type=timing"), null)));
    }

    @Test
    @Order(14)
    void errors() {
        Response r = api.post(nb("/start"), null);
        assertThat(r.status()).isEqualTo(400);
        ERROR.check(r.json());
        ERROR.check(api.get("/v1/{project_id}/notebooks/none").json());
    }

    @Test
    @Order(15)
    void deleteNotebook() {
        JsonNode deleting = ok(api.delete(nb("")));
        NOTEBOOK.check(deleting);
        assertThat(deleting.get("status").asText()).isEqualTo("DELETING");
    }
}
