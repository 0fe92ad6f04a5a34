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

/** Registering, listing, syncing and deleting images, and saving a running instance as an image. */
class ImagesTest {
    @TempDir
    Path dataDir;

    static JsonNode awaitStatus(SignedClient api, String id, String status) {
        return StartStopLeaseTest.awaitStatus(api, id, status);
    }

    static String createFrom(SignedClient api, String name, String imageId) {
        Response r = api.post("/v1/{project_id}/notebooks", TestServer.createBody(name)
                .replace(TestServer.IMAGE_ID, imageId));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    @Test
    void aRegisteredImageIsTheEnvironmentOnTheHostThatItsPathNames() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            Response missing = api.post("/v1/{project_id}/images", "{\"description\":\"x\"}");
            assertThat(missing.errorCode()).isEqualTo("ModelArts.6335");
            assertThat(api.post("/v1/{project_id}/images", "{\"swr_path\":\"a/b:c\"}").errorCode())
                    .isEqualTo("ModelArts.6336");
            for (String odd : java.util.List.of("../../etc/passwd:1", "http://evil.com/a/b:1", "aaa/bbb/ccc/ddd/eee:1",
                    "not_a_host/team/pyenv:1.0")) {
                assertThat(api.post("/v1/{project_id}/images", "{\"swr_path\":\"" + odd + "\"}").errorCode())
                        .as(odd).isEqualTo("ModelArts.6336");
            }
            assertThat(api.post("/v1/{project_id}/images", "{\"swr_path\":\"swr.example.com/team/pyenv:1.0\","
                    + "\"visibility\":\"SECRET\"}").errorCode()).isEqualTo("ModelArts.6336");

            Response registered = api.post("/v1/{project_id}/images",
                    "{\"swr_path\":\"swr.example.com/team/pyenv:1.0\",\"arch\":\"X86_64\",\"description\":\"mine\"}");
            assertThat(registered.status()).as(registered.body()).isEqualTo(200);
            JsonNode image = registered.json();
            String first = image.get("id").asText();
            String id = first;
            assertThat(image.get("name").asText()).isEqualTo("pyenv");
            assertThat(image.get("namespace").asText()).isEqualTo("team");
            assertThat(image.get("tag").asText()).isEqualTo("1.0");
            assertThat(image.get("type").asText()).isEqualTo("DEDICATED");
            assertThat(image.get("visibility").asText()).isEqualTo("PRIVATE");
            assertThat(image.get("arch").asText()).isEqualTo("x86_64");
            assertThat(image.get("dev_services")).hasSize(2);
            assertThat(image.get("status").asText()).isEqualTo("ERROR");
            assertThat(image.get("status_message").asText()).contains("<data-dir>/images/team/pyenv/1.0")
                    .as("where the data dir is on the host is not the project's to know")
                    .doesNotContain(server.dataDir().toAbsolutePath().toString());
            assertThat(api.post("/v1/{project_id}/images", "{\"swr_path\":\"swr.example.com/team/pyenv:1.0\"}")
                    .errorCode()).isEqualTo("ModelArts.6737");
            Response unusable = api.post("/v1/{project_id}/notebooks", TestServer.createBody("x")
                    .replace(TestServer.IMAGE_ID, id));
            assertThat(unusable.errorCode()).isEqualTo("ModelArts.6797");

            // the operator puts an environment there; sync notices
            Path bin = Files.createDirectories(server.dataDir().resolve("images/team/pyenv/1.0/bin"));
            Files.createSymbolicLink(bin.resolve("jupyter-server"), Path.of("/usr/bin/jupyter-server"));
            JsonNode synced = api.post("/v1/{project_id}/images/" + id + "/sync", null).json();
            assertThat(synced.get("status").asText()).isEqualTo("ACTIVE");
            assertThat(api.get("/v1/{project_id}/images/" + id).json().get("status").asText()).isEqualTo("ACTIVE");

            String nb = createFrom(api, "on-pyenv", id);
            JsonNode running = awaitStatus(api, nb, "RUNNING");
            assertThat(running.get("image").get("id").asText()).isEqualTo(id);

            assertThat(api.get("/v1/{project_id}/images?type=DEDICATED").json().get("total").asInt()).isEqualTo(1);
            assertThat(api.get("/v1/{project_id}/images?type=BUILD_IN").json().get("total").asInt()).isEqualTo(1);
            assertThat(api.get("/v1/{project_id}/images?name=pye").json().get("total").asInt()).isEqualTo(1);
            assertThat(api.get("/v1/{project_id}/images?name=pye&name_fuzzy_match=false").json().get("total")
                    .asInt()).isZero();
            JsonNode groups = api.get("/v1/{project_id}/images/group").json();
            assertThat(groups.get("total").asInt()).isEqualTo(2);
            JsonNode pyenvGroup = api.get("/v1/{project_id}/images/group?name=pyenv").json().get("data").get(0);
            assertThat(pyenvGroup.get("version_count").asInt()).isEqualTo(1);
            Response inUse = api.delete("/v1/{project_id}/images/group/" + pyenvGroup.get("id").asText());
            assertThat(inUse.errorCode()).as("its image is in use").isEqualTo("ModelArts.6357");
            assertThat(api.get("/v1/{project_id}/images/" + id).status()).isEqualTo(200);
            api.delete("/v1/{project_id}/notebooks/" + nb);
            Response groupDeleted = api.delete("/v1/{project_id}/images/group/" + pyenvGroup.get("id").asText());
            assertThat(groupDeleted.status()).as(groupDeleted.body()).isEqualTo(200);
            assertThat(api.get("/v1/{project_id}/images/group").json().get("total").asInt()).isEqualTo(1);
            assertThat(api.delete("/v1/{project_id}/images/group/" + pyenvGroup.get("id").asText()).errorCode())
                    .isEqualTo("ModelArts.6404");
            // registering again after the group is gone works, and a group with a built-in image cannot be deleted
            String again = api.post("/v1/{project_id}/images", "{\"swr_path\":\"swr.example.com/team/pyenv:1.0\"}")
                    .json().get("id").asText();
            String builtInGroup = api.get("/v1/{project_id}/images/group?type=BUILD_IN").json().get("data").get(0)
                    .get("id").asText();
            assertThat(api.delete("/v1/{project_id}/images/group/" + builtInGroup).errorCode())
                    .isEqualTo("ModelArts.0108");
            id = again;

            Response builtIn = api.delete("/v1/{project_id}/images/" + TestServer.IMAGE_ID);
            assertThat(builtIn.status()).isEqualTo(403);
            assertThat(builtIn.errorCode()).isEqualTo("ModelArts.0108");
            Response deleted = api.delete("/v1/{project_id}/images/" + id);
            assertThat(deleted.json().get("status").asText()).isEqualTo("DELETED");
            assertThat(api.get("/v1/{project_id}/images/" + id).errorCode()).isEqualTo("ModelArts.6404");
            api.delete("/v1/{project_id}/notebooks/" + nb);
        }
    }

    @Test
    void aSaveCutShortByACrashIsFinishedAfterTheRestart() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String id = createFrom(api, "crashy", TestServer.IMAGE_ID);
            awaitStatus(api, id, "RUNNING");
            server.stopServer();
            // what a crash right after the create-image call leaves: the instance SNAPSHOTTING, the image INIT
            var store = server.store();
            var inst = store.get(id).orElseThrow();
            store.update(inst.withStatus(dev.atelier.core.model.InstanceStatus.SNAPSHOTTING, inst.progress(), null),
                    System.currentTimeMillis()).orElseThrow();
            var builtIn = dev.atelier.core.service.Catalog.builtInImages("/usr/bin/jupyter-server").get(0);
            String imageId = java.util.UUID.randomUUID().toString();
            long now = System.currentTimeMillis();
            server.images().insert(new dev.atelier.core.model.Image(imageId, api.projectId(), "0", "crashy", "team",
                    "v1", "atelier/team/crashy:v1", "", "x86_64", "DEDICATED", "PRIVATE", "IMAGE_SAVE",
                    builtIn.devServices(), builtIn.resourceCategories(), "DEV", dev.atelier.core.model.ImageStatus.INIT, null, 0,
                    builtIn.runnable(), null, id, now, now));

            server.start();
            SignedClient again = server.client();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    again.get("/v1/{project_id}/images/" + imageId).json(), i -> i.get("status").asText().equals("ACTIVE"));
            Path saved = server.dataDir().resolve("images/saved").resolve(imageId).resolve("home");
            assertThat(saved).isDirectory();
            awaitStatus(again, id, "RUNNING");

            dev.atelier.runtime.host.Trees.delete(saved); // the operator removed it
            JsonNode gone = again.post("/v1/{project_id}/images/" + imageId + "/sync", null).json();
            assertThat(gone.get("status").asText()).isEqualTo("ERROR");
            assertThat(gone.get("status_message").asText()).contains("the saved contents are gone")
                    .doesNotContain(server.dataDir().toAbsolutePath().toString());
            again.delete("/v1/{project_id}/notebooks/" + id);
        }
    }

    @Test
    void aSavedImageCarriesWhatTheUserInstalledButNotTheirWorkVolume() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            String source = createFrom(api, "source", TestServer.IMAGE_ID);
            JsonNode running = awaitStatus(api, source, "RUNNING");
            Jupyter jupyter = new Jupyter(running.get("url").asText(), running.get("token").asText());
            // what `pip install --user` does, without a network: a package in the user's site-packages
            jupyter.execute("import os, site\n"
                    + "d = os.path.join(site.getusersitepackages(), 'atelier_probe')\n"
                    + "os.makedirs(d, exist_ok=True)\n"
                    + "open(os.path.join(d, '__init__.py'), 'w').write('VALUE = 42\\n')\n"
                    + "open('data.csv', 'w').write('private to the source volume')");

            Response saving = api.post("/v1/{project_id}/notebooks/" + source + "/create-image",
                    "{\"name\":\"with-probe\",\"namespace\":\"team\",\"tag\":\"v1\",\"description\":\"probe\"}");
            assertThat(saving.status()).as(saving.body()).isEqualTo(200);
            JsonNode image = saving.json();
            assertThat(image.get("status").asText()).isEqualTo("INIT");
            assertThat(image.get("origin").asText()).isEqualTo("IMAGE_SAVE");
            assertThat(image.get("type").asText()).isEqualTo("DEDICATED");
            String imageId = image.get("id").asText();
            JsonNode active = await().atMost(Duration.ofSeconds(30)).until(() ->
                    api.get("/v1/{project_id}/images/" + imageId).json(), i -> !i.get("status").asText().matches(
                    "INIT|CREATING"));
            assertThat(active.get("status").asText()).as(active.toString()).isEqualTo("ACTIVE");
            assertThat(active.get("size").asLong()).isPositive();
            awaitStatus(api, source, "RUNNING");
            assertThat(api.post("/v1/{project_id}/notebooks/" + source + "/create-image",
                    "{\"name\":\"with-probe\",\"namespace\":\"team\",\"tag\":\"v1\"}").errorCode())
                    .isEqualTo("ModelArts.6737");

            String copy = createFrom(api, "copy", imageId);
            JsonNode copyRunning = awaitStatus(api, copy, "RUNNING");
            Jupyter copyJupyter = new Jupyter(copyRunning.get("url").asText(), copyRunning.get("token").asText());
            assertThat(copyJupyter.execute("import atelier_probe, os\nprint(atelier_probe.VALUE, "
                    + "os.path.exists('data.csv'))")).isEqualTo("42 False\n");

            api.post("/v1/{project_id}/notebooks/" + source + "/stop", null);
            awaitStatus(api, source, "STOPPED");
            assertThat(api.post("/v1/{project_id}/notebooks/" + source + "/create-image", "{\"name\":\"late\"}")
                    .errorCode()).isEqualTo("ModelArts.6327");
            Response inUse = api.delete("/v1/{project_id}/images/" + imageId);
            assertThat(inUse.errorCode()).as("an image that instances use is kept").isEqualTo("ModelArts.6357");
            assertThat(inUse.body()).contains("used by 1 instance");
            api.delete("/v1/{project_id}/notebooks/" + source);
            api.delete("/v1/{project_id}/notebooks/" + copy);
            api.delete("/v1/{project_id}/images/" + imageId);
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    !Files.exists(server.dataDir().resolve("images/saved/" + imageId)));
        }
    }
}
