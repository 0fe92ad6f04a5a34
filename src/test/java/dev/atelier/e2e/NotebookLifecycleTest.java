package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton, end to end with real processes: an SDK-signed create becomes a live Jupyter server
 * that runs code, and a delete leaves nothing behind. Runs on SQLite and on PostgreSQL with local processes, and
 * on SQLite with Docker containers.
 */
abstract class NotebookLifecycleTest {

    @TempDir
    Path dataDir;

    abstract TestServer startServer(Path dataDir);

    /** Where the instances run. */
    TestRuntime runtime() {
        return TestRuntime.LOCAL;
    }

    @Test
    void createdInstanceRunsCodeAndDeleteLeavesNothingBehind() throws Exception {
        try (TestServer server = startServer(dataDir)) {
            SignedClient api = server.client();

            Response created = api.post("/v1/{project_id}/notebooks", TestServer.createBody("walking-skeleton"));
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            JsonNode nb = created.json();
            String id = nb.get("id").asText();
            assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            assertThat(nb.get("status").asText()).isEqualTo("CREATING");
            String token = nb.get("token").asText();
            assertThat(token).hasSizeGreaterThanOrEqualTo(32);
            List<Integer> steps = new ArrayList<>();
            nb.get("action_progress").forEach(s -> steps.add(s.get("step").asInt()));
            assertThat(steps).containsExactly(4, 3, 2, 1);

            JsonNode running = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> api.get("/v1/{project_id}/notebooks/" + id).json(),
                            n -> n.get("status").asText().equals("RUNNING"));
            running.get("action_progress").forEach(s -> assertThat(s.get("status").asText()).isEqualTo("COMPLETED"));
            assertThat(running.get("volume").get("mount_path").asText()).isEqualTo("/home/ma-user/work/");
            String url = running.get("url").asText();
            assertThat(url).as("served by Atelier's gateway").isEqualTo(server.url() + "/notebook/" + id + "/tree");

            Jupyter jupyter = new Jupyter(url, token);
            HttpResponse<String> page = jupyter.get("tree", true);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>Home");
            assertThat(page.body()).as("no Quit button: instances stop through the API").doesNotContain("id=\"shutdown\"");
            assertThat(jupyter.get("api/status", true).statusCode()).isEqualTo(200);
            assertThat(jupyter.get("api/status", false).statusCode()).isEqualTo(401);
            assertThat(jupyter.execute("print(6 * 7)")).isEqualTo("42\n");

            assertThat(runtime().servers(id)).hasSize(1);
            assertThat(jupyter.execute("import os; print(os.getcwd())")).as("the kernel runs in the work volume")
                    .endsWith("/work\n");

            Response deleted = api.delete("/v1/{project_id}/notebooks/" + id);
            assertThat(deleted.status()).isEqualTo(200);
            assertThat(deleted.json().get("status").asText()).isEqualTo("DELETING");

            Response gone = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> api.get("/v1/{project_id}/notebooks/" + id), r -> r.status() != 200);
            assertThat(gone.status()).isEqualTo(400);
            assertThat(gone.errorCode()).isEqualTo("ModelArts.6404");
            await().atMost(Duration.ofSeconds(10)).until(() -> runtime().traces(server, id).isEmpty());
            assertThat(api.get("/v1/{project_id}/notebooks").json().get("total").asLong()).isZero();
        }
    }

    @Test
    void aStoppedInstanceStartsAgainWithTheFilesOfItsWorkVolume() throws Exception {
        try (TestServer server = startServer(dataDir)) {
            SignedClient api = server.client();
            Response created = api.post("/v1/{project_id}/notebooks", TestServer.createBody("keeps-files"));
            JsonNode nb = created.json();
            String id = nb.get("id").asText();
            Function<String, JsonNode> get = x -> api.get("/v1/{project_id}/notebooks/" + id).json();
            await().atMost(Duration.ofSeconds(30)).until(() -> get.apply(id).get("status").asText().equals("RUNNING"));
            if (runtime() != TestRuntime.LOCAL) { // an engine's own records name the request that asked for the run
                assertThat(runtime().requestLabels(id)).containsExactly(created.requestId());
            }
            Jupyter jupyter = new Jupyter(get.apply(id).get("url").asText(), nb.get("token").asText());
            jupyter.execute("open('kept.txt', 'w').write('still here')");

            assertThat(api.post("/v1/{project_id}/notebooks/" + id + "/stop", null).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> get.apply(id).get("status").asText().equals("STOPPED"));
            await().atMost(Duration.ofSeconds(10)).until(() -> runtime().servers(id).isEmpty());

            Response started = api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            assertThat(started.status()).isEqualTo(200);
            JsonNode again = await().atMost(Duration.ofSeconds(30)).until(() -> get.apply(id),
                    n -> n.get("status").asText().equals("RUNNING"));
            Jupyter restarted = new Jupyter(again.get("url").asText(), again.get("token").asText());
            assertThat(restarted.execute("print(open('kept.txt').read())")).isEqualTo("still here\n");
            assertThat(runtime().servers(id)).hasSize(1);
            if (runtime() != TestRuntime.LOCAL) {
                assertThat(runtime().requestLabels(id)).as("the start's, not the create's")
                        .containsExactly(started.requestId());
            }

            // what happened, newest first, and who did it
            JsonNode events = api.get("/v1/{project_id}/notebooks/" + id + "/events").json();
            List<String> types = new ArrayList<>();
            events.get("data").forEach(e -> types.add(e.get("type").asText() + " by " + e.get("actor").get("type")
                    .asText()));
            assertThat(types).containsExactly("RUNNING by SYSTEM", "START_REQUESTED by USER", "STOPPED by SYSTEM",
                    "STOP_REQUESTED by USER", "RUNNING by SYSTEM", "CREATED by USER");
            assertThat(events.get("total").asLong()).isEqualTo(6);
            assertThat(events.get("data").get(1).get("actor").get("name").asText())
                    .isEqualTo(server.credentials().get("user_name").asText());
            assertThat(events.get("data").get(1).get("actor").get("request_id").asText())
                    .as("the request that asked for the start").isEqualTo(started.requestId());
            assertThat(events.get("data").get(0).get("actor").has("request_id")).as("Atelier's own: none").isFalse();
            JsonNode page = api.get("/v1/{project_id}/notebooks/" + id + "/events?offset=4&limit=4").json();
            assertThat(page.get("data")).hasSize(2);
            assertThat(page.get("data").get(1).get("type").asText()).isEqualTo("CREATED");
            Response badLimit = api.get("/v1/{project_id}/notebooks/" + id + "/events?limit=0");
            assertThat(badLimit.status()).isEqualTo(400);
            assertThat(badLimit.body()).contains("limit must be an integer between 1 and 500");

            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> runtime().traces(server, id).isEmpty());
            Response gone = await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/v1/{project_id}/notebooks/"
                    + id + "/events"), r -> r.status() != 200);
            assertThat(gone.errorCode()).as("its events went with it").isEqualTo("ModelArts.6404");
        }
    }

    @Test
    void whatIsLeftOfAnInstanceWithoutARecordIsRemovedAtStart() {
        try (TestServer server = startServer(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("orphan")).json()
                    .get("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/" + id).json()
                    .get("status").asText().equals("RUNNING"));
            server.stopServer();
            var store = server.store();
            var record = store.get(id).orElseThrow();
            assertThat(store.delete(id, record.version(), 0)).isTrue(); // as if a crash lost the record
            assertThat(runtime().servers(id)).isNotEmpty();
            assertThat(runtime().traces(server, id)).isNotEmpty();

            server.start();
            // removed at start (on a cluster, the kubelet stops the pod's container a moment after its deletion)
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(runtime().servers(id)).isEmpty();
                assertThat(runtime().traces(server, id)).isEmpty();
            });
        }
    }

    @Test
    void instancesSurviveAServerRestartAndAreAdoptedNotDuplicated() {
        try (TestServer server = startServer(dataDir)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("survivor")).json()
                    .get("id").asText();
            Function<SignedClient, String> status = c -> c.get("/v1/{project_id}/notebooks/" + id).json()
                    .get("status").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> status.apply(api).equals("RUNNING"));
            List<String> before = runtime().servers(id);
            assertThat(before).hasSize(1);

            server.stopServer();
            server.start();
            SignedClient again = server.client();
            // the restarted reconciler polls the surviving server and keeps it
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> status.apply(again).equals("RUNNING"));
            assertThat(runtime().servers(id)).containsExactlyElementsOf(before);

            again.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> runtime().traces(server, id).isEmpty());
        }
    }
}

class NotebookLifecycleOnSqliteTest extends NotebookLifecycleTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.sqlite(dataDir);
    }
}

class NotebookLifecycleOnPostgresTest extends NotebookLifecycleTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.postgres(dataDir);
    }
}

class NotebookLifecycleOnDockerTest extends NotebookLifecycleTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.on(TestRuntime.DOCKER, dataDir);
    }

    @Override
    TestRuntime runtime() {
        return TestRuntime.DOCKER;
    }
}

class NotebookLifecycleOnKubernetesTest extends NotebookLifecycleTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.on(TestRuntime.KUBERNETES, dataDir);
    }

    @Override
    TestRuntime runtime() {
        return TestRuntime.KUBERNETES;
    }
}
