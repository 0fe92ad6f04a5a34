package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.CuttableProxy;
import dev.atelier.support.Postgres;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database goes away for a while: the API says so (503, ModelArts-shaped) and everything resumes after. */
class StoreOutageTest {
    @TempDir
    Path dataDir;

    @Test
    void whileTheDatabaseIsUnreachableTheApiAnswers503AndItRecoversByItself() throws Exception {
        String direct = Postgres.freshSchemaUrl();
        URI pg = URI.create(direct.substring("jdbc:".length()));
        try (CuttableProxy proxy = new CuttableProxy(pg.getPort());
             TestServer server = TestServer.of(dataDir, direct.replace(":" + pg.getPort() + "/", ":" + proxy.port() + "/"),
                     "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            assertThat(api.get("/v1/{project_id}/notebooks").status()).isEqualTo(200);

            proxy.cut();
            long t0 = System.nanoTime();
            Response down = api.get("/v1/{project_id}/notebooks");
            assertThat(down.status()).as(down.body()).isEqualTo(503);
            assertThat(down.errorCode()).isEqualTo("ModelArts.6101");
            assertThat(down.contentType()).startsWith("application/json");
            assertThat((System.nanoTime() - t0) / 1e9).as("answered without waiting long").isLessThan(12);
            Response health = await().atMost(Duration.ofSeconds(20)).until(() -> PlainClient.anonymous(server.url())
                    .send("GET", "/health/ready", null), r -> r.status() == 503);
            assertThat(health.json().get("status").asText()).isEqualTo("failing");
            assertThat(health.json().get("checks").get("database").get("ok").asBoolean()).isFalse();
            assertThat(health.json().get("checks").get("disk").get("ok").asBoolean()).isTrue();
            assertThat(health.body()).as("no address of the database to anyone").doesNotContain(
                    Integer.toString(proxy.port()));

            proxy.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks").status() == 200);
            await().atMost(Duration.ofSeconds(10)).until(() -> PlainClient.anonymous(server.url())
                    .send("GET", "/health/ready", null).status() == 200);
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("after")).json().get("id").asText();
            // the reconciler works again too: the create is carried out (and fails, there is no notebook server)
            StartStopLeaseTest.awaitStatus(api, id, "CREATE_FAILED");
        } finally {
            Postgres.dropSchemaOf(direct);
        }
    }
}
