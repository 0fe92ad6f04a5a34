package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.CuttableProxy;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Docker runtime says when an image or the engine lets it down: an image without a notebook server, an
 * image the engine does not have, and an engine that stops answering and comes back.
 */
class DockerEngineTest {
    @TempDir
    Path dataDir;

    /** An image made from the built-in one with jupyter-server removed. */
    private static String imageWithoutJupyter() throws Exception {
        var docker = TestRuntime.docker();
        String ref = "atelier-test/no-jupyter:1";
        String container = docker.createContainerCmd("atelier/debian-jupyter:12").withUser("0")
                .withCmd("rm", "-f", "/usr/bin/jupyter-server").exec().getId();
        try {
            docker.startContainerCmd(container).exec();
            docker.waitContainerCmd(container).start().awaitStatusCode();
            docker.commitCmd(container).withRepository("atelier-test/no-jupyter").withTag("1").exec();
        } finally {
            docker.removeContainerCmd(container).withForce(true).exec();
        }
        return ref;
    }

    @Test
    void anImageIsRegisteredWithItsOwnPropertiesAndOneWithoutJupyterFailsTheCreateSayingSo() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.DOCKER, dataDir)) {
            SignedClient api = server.client();
            String ref = imageWithoutJupyter();
            Response registered = api.post("/v1/{project_id}/images", "{\"swr_path\":\"" + ref + "\"}");
            assertThat(registered.status()).as(registered.body()).isEqualTo(200);
            JsonNode image = registered.json();
            assertThat(image.get("status").asText()).isEqualTo("ACTIVE");
            var inspected = TestRuntime.docker().inspectImageCmd(ref).exec();
            assertThat(image.get("size").asLong()).as("the image's own size, in KB")
                    .isEqualTo((inspected.getSize() + 1023) / 1024);
            assertThat(image.get("create_at").asLong()).as("the image's own creation time")
                    .isEqualTo(OffsetDateTime.parse(inspected.getCreated()).toInstant().toEpochMilli());
            assertThat(image.get("arch").asText()).isEqualTo("x86_64");

            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("no-jupyter")
                    .replace(TestServer.IMAGE_ID, image.get("id").asText())).json().get("id").asText();
            JsonNode failed = StartStopLeaseTest.awaitStatus(api, id, "CREATE_FAILED");
            assertThat(failed.get("fail_reason").asText()).contains("no jupyter-server");
            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> TestRuntime.DOCKER.traces(server, id).isEmpty());

            Response missing = api.post("/v1/{project_id}/images", "{\"swr_path\":\"atelier-test/not-here:9\"}");
            assertThat(missing.json().get("status").asText()).isEqualTo("ERROR");
            assertThat(missing.json().get("status_message").asText()).contains("not on the Docker engine");
        } finally {
            TestRuntime.docker().removeImageCmd("atelier-test/no-jupyter:1").withForce(true).exec();
        }
    }

    @Test
    void whileTheEngineDoesNotAnswerARunningInstanceSaysSoAndRecoversWhenItAnswersAgain() throws Exception {
        TestRuntime.DOCKER.assumeAvailable();
        try (CuttableProxy engine = new CuttableProxy(Path.of("/var/run/docker.sock"));
             TestServer server = TestServer.onDocker(dataDir, "tcp://127.0.0.1:" + engine.port())) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("weathered")).json().get("id")
                    .asText();
            StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
            List<String> container = TestRuntime.DOCKER.servers(id);

            engine.cut();
            JsonNode down = await().atMost(Duration.ofSeconds(15)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + id).json(), n -> n.path("fail_reason").asText()
                    .contains("does not answer"));
            assertThat(down.get("status").asText()).as("nothing is concluded from silence").isEqualTo("RUNNING");
            String created = api.post("/v1/{project_id}/notebooks", TestServer.createBody("meanwhile")).json()
                    .get("id").asText();

            engine.restore();
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + id).json().path("fail_reason").asText("").isEmpty());
            assertThat(TestRuntime.DOCKER.servers(id)).as("the same container, never a second")
                    .isEqualTo(container);
            JsonNode later = await().atMost(Duration.ofSeconds(60)).until(() ->
                    api.get("/v1/{project_id}/notebooks/" + created).json(), n -> !n.get("status").asText()
                    .equals("CREATING"));
            assertThat(later.get("status").asText() + " " + later.path("fail_reason").asText())
                    .as("a create asked for meanwhile is carried out, or says why not").matches(
                    "RUNNING .*|CREATE_FAILED .*does not answer.*");
        }
    }

    @Test
    void aSecondInstallationOnTheSameEngineNeverTouchesTheFirstsContainers() throws Exception {
        try (TestServer first = TestServer.on(TestRuntime.DOCKER, dataDir.resolve("first"));
             TestServer second = TestServer.on(TestRuntime.DOCKER, dataDir.resolve("second"))) {
            SignedClient one = first.client();
            String ours = one.post("/v1/{project_id}/notebooks", TestServer.createBody("ours")).json().get("id")
                    .asText();
            StartStopLeaseTest.awaitStatus(one, ours, "RUNNING");
            List<String> container = TestRuntime.DOCKER.servers(ours);

            // the second starts again: what it finds of instances it has no record of is not its own to remove
            second.stopServer();
            second.start();
            SignedClient two = second.client();
            String theirs = two.post("/v1/{project_id}/notebooks", TestServer.createBody("theirs")).json()
                    .get("id").asText();
            StartStopLeaseTest.awaitStatus(two, theirs, "RUNNING");
            two.delete("/v1/{project_id}/notebooks/" + theirs);
            await().atMost(Duration.ofSeconds(20)).until(() -> TestRuntime.DOCKER.traces(second, theirs).isEmpty());

            assertThat(TestRuntime.DOCKER.servers(ours)).as("the first's container runs on").isEqualTo(container);
            assertThat(one.get("/v1/{project_id}/notebooks/" + ours).json().get("status").asText())
                    .isEqualTo("RUNNING");
            assertThat(Files.readString(dataDir.resolve("first/installation-id")))
                    .isNotEqualTo(Files.readString(dataDir.resolve("second/installation-id")));
        }
    }
}
