package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.server.ServerConfig;
import dev.atelier.support.Postgres;
import dev.atelier.support.Processes;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two replicas on one PostgreSQL database share one queue: each queued instance is started once, by one of them. */
class QueueReplicasTest {
    @TempDir
    Path dataDir;

    @Test
    void twoReplicasNeverRunMoreThanThePoolHoldsAndStartEachQueuedInstanceExactlyOnce() throws Exception {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("pools.json"), "{\"queue_limit_per_user\": 10, \"pools\": [{\"id\": "
                + "\"pool-managed\", \"room\": {\"instances\": 2}}]}");
        String url = Postgres.freshSchemaUrl();
        // every launch of a notebook server is logged once, by the replica that launched it
        var launches = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        launches.start();
        var runtimeLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                dev.atelier.runtime.local.LocalProcessRuntime.class);
        runtimeLog.addAppender(launches);
        TestServer first = TestServer.of(dataDir, url, ServerConfig.DEFAULT_JUPYTER);
        TestServer second = TestServer.of(dataDir, url, ServerConfig.DEFAULT_JUPYTER);
        try {
            List<SignedClient> apis = List.of(first.client(), second.client());
            List<String> ids = new ArrayList<>();
            for (int n = 0; n < 6; n++) {
                ids.add(QueueTest.create(apis.get(n % 2), "nb-" + n));
            }
            Set<String> ranOnce = new HashSet<>();
            Set<String> deleted = new HashSet<>();
            int mostAtOnce = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (ranOnce.size() < ids.size() && System.nanoTime() < deadline) {
                int running = 0;
                for (String id : ids) {
                    running += Processes.matching("/notebook/" + id + "/").isEmpty() ? 0 : 1;
                }
                mostAtOnce = Math.max(mostAtOnce, running);
                assertThat(running).as("instances with a server at once").isLessThanOrEqualTo(2);
                for (String id : ids) {
                    SignedClient api = apis.get(ids.indexOf(id) % 2 == 0 ? 1 : 0); // through the other replica
                    if (!deleted.contains(id) && QueueTest.show(api, id).path("status").asText().equals("RUNNING")) {
                        ranOnce.add(id);
                        deleted.add(id);
                        api.delete("/v1/{project_id}/notebooks/" + id);
                    }
                }
                Thread.sleep(50);
            }
            assertThat(ranOnce).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(mostAtOnce).isEqualTo(2);
            for (String id : ids) {
                assertThat(launches.list.stream().filter(e -> e.getFormattedMessage()
                        .contains(id + ": started jupyter-server"))).as("launches of " + id).hasSize(1);
            }
        } finally {
            runtimeLog.detachAppender(launches);
            first.stopServer();
            second.close(); // drops the schema
        }
    }
}
