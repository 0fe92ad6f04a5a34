package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestRegistry;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker runtime with a real image registry (Debian's docker-registry, on 127.0.0.1): a saved image is
 * pushed there, and another installation that has never seen it registers it by reference and runs it.
 */
class RegistryTest {
    @TempDir
    Path dir;

    @Test
    void aSavedImageIsPushedAndAnotherInstallationPullsItWhenItIsRegistered() throws Exception {
        TestRuntime.DOCKER.assumeAvailable();
        TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
        String reference = registry.address() + "/team/pushed:v1";
        String sourceToken;
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI catalog = registry.catalog();

            try (TestServer saver = TestServer.onDocker(dir.resolve("one"), null, registry.address())) {
                SignedClient api = saver.client();
                String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("source")).json()
                        .get("id").asText();
                JsonNode running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
                sourceToken = running.get("token").asText();
                new Jupyter(running.get("url").asText(), running.get("token").asText()).execute(
                        "open('/home/ma-user/.pushed-marker', 'w').write('from the registry')");
                String image = api.post("/v1/{project_id}/notebooks/" + id + "/create-image",
                        "{\"name\":\"pushed\",\"namespace\":\"team\",\"tag\":\"v1\"}").json().get("id").asText();
                JsonNode saved = await().atMost(Duration.ofSeconds(60)).until(() ->
                        api.get("/v1/{project_id}/images/" + image).json(), i -> !i.get("status").asText()
                        .matches("INIT|CREATING"));
                assertThat(saved.get("status").asText()).as(saved.toString()).isEqualTo("ACTIVE");
                assertThat(http.send(HttpRequest.newBuilder(catalog).build(), HttpResponse.BodyHandlers.ofString())
                        .body()).as("pushed to the registry").contains("team/pushed");
            }
            // gone from the engine (the test server removes what its installation made): the next installation
            // can only have it from the registry
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestRuntime.docker().inspectImageCmd(reference)
                    .exec()).isInstanceOf(com.github.dockerjava.api.exception.NotFoundException.class);

            try (TestServer other = TestServer.onDocker(dir.resolve("two"), null, null)) {
                SignedClient api = other.client();
                JsonNode registered = api.post("/v1/{project_id}/images", "{\"swr_path\":\"" + reference + "\"}")
                        .json();
                assertThat(registered.get("status").asText()).as(registered.toString()).isEqualTo("ACTIVE");
                String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("puller")
                        .replace(TestServer.IMAGE_ID, registered.get("id").asText())).json().get("id").asText();
                JsonNode running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
                assertThat(new Jupyter(running.get("url").asText(), running.get("token").asText())
                        .execute("print(open('/home/ma-user/.pushed-marker').read())"))
                        .isEqualTo("from the registry\n");
                assertThat(new Jupyter(running.get("url").asText(), running.get("token").asText()).execute(
                        String.join("\n", "import os",
                                // reversed in the code, which the kernel's history keeps
                                "token = " + pyString(new StringBuilder(sourceToken).reverse().toString())
                                        + "[::-1].encode()",
                                "def has(p):",
                                "    try:",
                                "        return token in open(p, 'rb').read()",
                                "    except OSError:",
                                "        return False",
                                "hits = [os.path.join(r, f) for top in ('/tmp', '/home/ma-user', '/etc')",
                                "        for r, _, fs in os.walk(top) for f in fs if has(os.path.join(r, f))]",
                                "print(hits)")))
                        .as("the source's token (in its server's runtime files) is nowhere in the image")
                        .isEqualTo("[]\n");
            }
        } finally {
            registry.close();
            try {
                TestRuntime.docker().removeImageCmd(reference).withForce(true).exec();
            } catch (RuntimeException e) {
                // not there
            }
        }
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
