package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.Postgres;
import dev.atelier.support.Processes;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one PostgreSQL and one data dir: one is a real `atelier serve` process that is killed with
 * SIGKILL; the other takes its instances over within the claims' lifetime.
 */
class ReplicasTest {
    @TempDir
    Path dataDir;

    @Test
    void aReplicaThatDiesHandsItsInstancesOverWithinTenSeconds() throws Exception {
        String url = Postgres.freshSchemaUrl();
        ServeProcess replica = ServeProcess.start(dataDir, java.util.Map.of(), List.of("--no-sandbox", "--port", "0",
                "--data-dir", dataDir.toString(), "--database-url", url));
        Process first = replica.process();
        try {
            String firstUrl = replica.url();
            var creds = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    dataDir.resolve("credentials.json").toFile());
            SignedClient viaFirst = new SignedClient(firstUrl, creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            // created and started while the first replica is the only one: it holds the claim
            String id = viaFirst.post("/v1/{project_id}/notebooks", TestServer.createBody("handed-over")).json()
                    .get("id").asText();
            StartStopLeaseTest.awaitStatus(viaFirst, id, "RUNNING");
            TestServer second = TestServer.of(dataDir, url, dev.atelier.server.ServerConfig.DEFAULT_JUPYTER);
            try {
                SignedClient viaSecond = second.client();
                assertThat(viaSecond.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText())
                        .isEqualTo("RUNNING"); // either API shows the one store
                assertThat(Processes.matching("/notebook/" + id + "/")).as("driven once, not twice").hasSize(1);

                first.toHandle().destroyForcibly(); // kill -9: its claims are not released, they lapse
                first.waitFor();
                long t0 = System.nanoTime();
                viaSecond.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
                StartStopLeaseTest.awaitStatus(viaSecond, id, "STOPPED");
                assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10.0 + 5.0 /* the stop itself */);
                assertThat(Processes.matching("/notebook/" + id + "/")).isEmpty();
                viaSecond.delete("/v1/{project_id}/notebooks/" + id);
                await().atMost(Duration.ofSeconds(15)).until(() ->
                        viaSecond.get("/v1/{project_id}/notebooks/" + id).status() == 400);
            } finally {
                second.close(); // drops the schema
            }
        } finally {
            first.destroyForcibly();
        }
    }
}
