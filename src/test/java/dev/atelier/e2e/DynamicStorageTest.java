package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OBS storage attached to a running instance (reference §2.12), on the local object store. */
class DynamicStorageTest {
    @TempDir
    Path dataDir;

    static JsonNode awaitMount(SignedClient api, String path, String status) {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get(path).json(), m -> m.path("status").asText().equals(status));
    }

    @Test
    void attachedStorageIsSeenByTheNotebookAndOutlivesDetachAndDeletion() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            Path bucket = Files.createDirectories(server.dataDir().resolve("obs/team-data/datasets"));
            Files.writeString(bucket.resolve("hello.txt"), "from the object store");
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("mounter")).json()
                    .get("id").asText();
            JsonNode running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
            String base = "/v1/{project_id}/notebooks/" + id + "/storage";

            Response attached = api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/ds/\","
                    + "\"uri\":\"obs://team-data/datasets/\"}");
            assertThat(attached.status()).as(attached.body()).isEqualTo(200);
            assertThat(attached.json().get("status").asText()).isEqualTo("MOUNTING");
            assertThat(attached.json().get("mount_type").asText()).isEqualTo("DYNAMIC");
            String mountId = attached.json().get("id").asText();
            awaitMount(api, base + "/" + mountId, "MOUNTED");

            Jupyter jupyter = new Jupyter(running.get("url").asText(), running.get("token").asText());
            assertThat(jupyter.execute("print(open('data/ds/hello.txt').read())")).isEqualTo("from the object store\n");
            jupyter.execute("open('data/ds/result.txt', 'w').write('written in the notebook')");
            assertThat(bucket.resolve("result.txt")).hasContent("written in the notebook");

            JsonNode instance = api.get("/v1/{project_id}/notebooks/" + id).json();
            JsonNode dv = instance.get("data_volumes").get(0);
            assertThat(dv.get("url").asText()).isEqualTo("obs://team-data/datasets/");
            assertThat(dv.get("mount_path").asText()).isEqualTo("/data/ds/");
            assertThat(dv.get("mount_type").asText()).isEqualTo("DYNAMIC");
            JsonNode listed = api.get(base).json();
            assertThat(listed.get("total").asInt()).isEqualTo(1);
            assertThat(listed.get("data").get(0).get("uri").asText()).isEqualTo("obs://team-data/datasets/");

            assertThat(api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/ds/\",\"uri\":\"obs://team-data/x/\"}")
                    .errorCode()).isEqualTo("ModelArts.6336");
            assertThat(api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/tmp/x/\",\"uri\":\"obs://team-data/x/\"}")
                    .errorCode()).isEqualTo("ModelArts.6336");
            assertThat(api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/y/\",\"uri\":\"s3://team-data/x/\"}")
                    .errorCode()).isEqualTo("ModelArts.6336");
            assertThat(api.post(base, "{\"category\":\"EFS\",\"mount_path\":\"/data/y/\",\"uri\":\"obs://team-data/x/\"}")
                    .errorCode()).isEqualTo("ModelArts.6336");
            assertThat(api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/y/\",\"uri\":\"obs://team-data/../../x/\"}")
                    .errorCode()).isEqualTo("ModelArts.6336");
            String noBucket = api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/nb/\","
                    + "\"uri\":\"obs://no-such-bucket/x/\"}").json().get("id").asText();
            JsonNode failed = awaitMount(api, base + "/" + noBucket, "MOUNT_FAILED");
            assertThat(failed.get("failure_reason").asText()).contains("no-such-bucket");

            Response detached = api.delete(base + "/" + mountId);
            assertThat(detached.json().get("status").asText()).isEqualTo("UNMOUNTING");
            await().atMost(Duration.ofSeconds(15)).until(() -> api.get(base + "/" + mountId).status() == 400);
            assertThat(api.get(base + "/" + mountId).errorCode()).isEqualTo("ModelArts.6404");
            Path link = server.dataDir().resolve("instances").resolve(id).resolve("work/data/ds");
            assertThat(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(bucket.resolve("result.txt")).exists();

            String again = api.post(base, "{\"category\":\"OBSFS\",\"mount_path\":\"/data/ds/\","
                    + "\"uri\":\"obs://team-data/datasets/\"}").json().get("id").asText();
            awaitMount(api, base + "/" + again, "MOUNTED");
            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    !Files.exists(server.dataDir().resolve("instances").resolve(id)));
            assertThat(bucket.resolve("hello.txt")).hasContent("from the object store");
            assertThat(bucket.resolve("result.txt")).exists();
        }
    }

    @Test
    void storageAttachesOnlyToRunningInstances() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("broken")).json()
                    .get("id").asText();
            StartStopLeaseTest.awaitStatus(api, id, "CREATE_FAILED");
            Response r = api.post("/v1/{project_id}/notebooks/" + id + "/storage",
                    "{\"category\":\"OBS\",\"mount_path\":\"/data/ds/\",\"uri\":\"obs://bucket/d/\"}");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("ModelArts.6327");
        }
    }
}
