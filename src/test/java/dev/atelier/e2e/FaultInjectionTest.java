package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.support.Processes;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random lifecycle operations, sent to either of two replicas (real processes on one PostgreSQL), while
 * replicas (SIGKILL, then restarted) and notebook servers are killed at random moments; then the invariants: every instance converges, within seconds of the last fault,
 * to a stable state; a running one has exactly one notebook server; nothing is left of deleted ones.
 * Bounded for CI; {@code ATELIER_FAULT_OPS} and {@code ATELIER_FAULT_SEED} make longer or other runs.
 */
class FaultInjectionTest {
    static final Set<String> STABLE = Set.of("RUNNING", "STOPPED", "ERROR", "CREATE_FAILED", "START_FAILED");

    @TempDir
    Path dataDir;
    /** Two replicas on one PostgreSQL and one data dir; a killed one is restarted in its slot. */
    final Process[] replicas = new Process[2];
    final SignedClient[] clients = new SignedClient[2];
    String databaseUrl;

    @Test
    void afterRandomFaultsEveryInstanceConvergesAndNothingLeaks() throws Exception {
        int ops = Integer.parseInt(System.getenv().getOrDefault("ATELIER_FAULT_OPS", "40"));
        long seed = Long.parseLong(System.getenv().getOrDefault("ATELIER_FAULT_SEED", "1"));
        Random random = new Random(seed);
        int serverKills = 0;
        int notebookKills = 0;
        databaseUrl = dev.atelier.support.Postgres.freshSchemaUrl();
        try {
            startReplica(0);
            startReplica(1);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < ops; i++) {
                int dice = random.nextInt(100);
                SignedClient api = clients[random.nextInt(2)]; // any replica answers the API
                try {
                    if (dice < 25 && ids.size() < 4) {
                        ids.add(api.post("/v1/{project_id}/notebooks", TestServer.createBody("f" + i)).json()
                                .get("id").asText());
                    } else if (dice < 40 && !ids.isEmpty()) {
                        api.post("/v1/{project_id}/notebooks/" + pick(random, ids) + "/stop", null);
                    } else if (dice < 55 && !ids.isEmpty()) {
                        api.post("/v1/{project_id}/notebooks/" + pick(random, ids) + "/start", null);
                    } else if (dice < 65 && !ids.isEmpty()) {
                        String id = pick(random, ids);
                        api.delete("/v1/{project_id}/notebooks/" + id);
                        ids.remove(id);
                    } else if (dice < 80 && !ids.isEmpty()) {
                        String id = pick(random, ids);
                        List<ProcessHandle> nb = Processes.matching("/notebook/" + id + "/");
                        nb.forEach(ProcessHandle::destroyForcibly);
                        notebookKills += nb.isEmpty() ? 0 : 1;
                    } else if (dice < 92) {
                        int victim = random.nextInt(2);
                        replicas[victim].toHandle().destroyForcibly(); // kill -9, wherever it is
                        replicas[victim].waitFor();
                        serverKills++;
                        Thread.sleep(random.nextInt(500));
                        startReplica(victim);
                    }
                } catch (RuntimeException | AssertionError expected) {
                    // refused operations (illegal state) and requests cut by a kill are part of the game
                }
                Thread.sleep(random.nextInt(400));
            }
            SignedClient client = clients[0];
            long lastFault = System.nanoTime();
            // converged: no instance in a transitional state any more
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode all = client.get("/v1/{project_id}/notebooks/all?limit=100").json();
                for (JsonNode n : all.get("data")) {
                    if (!STABLE.contains(n.get("status").asText())) {
                        return false;
                    }
                }
                return true;
            });
            double convergeSeconds = (System.nanoTime() - lastFault) / 1e9;

            JsonNode all = client.get("/v1/{project_id}/notebooks/all?limit=100").json();
            Set<String> known = new HashSet<>();
            for (JsonNode n : all.get("data")) {
                String id = n.get("id").asText();
                known.add(id);
                int servers = Processes.matching("/notebook/" + id + "/").size();
                if (n.get("status").asText().equals("RUNNING")) {
                    assertThat(servers).as(id + " is RUNNING: one notebook server").isEqualTo(1);
                } else {
                    assertThat(servers).as(id + " is " + n.get("status").asText() + ": no notebook server").isZero();
                    if (n.get("status").asText().equals("ERROR")) {
                        assertThat(n.get("fail_reason").asText()).isNotBlank();
                    }
                }
            }
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                try (var homes = Files.list(dataDir.resolve("instances"))) {
                    assertThat(homes.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList())
                            .as("no home without an instance").allMatch(known::contains);
                }
            });
            System.out.printf("fault_injection ops=%d seed=%d replica_kills=%d notebook_kills=%d instances=%d "
                    + "converged_s=%.1f%n", ops, seed, serverKills, notebookKills, known.size(), convergeSeconds);
        } finally {
            for (Process p : replicas) {
                if (p != null) {
                    p.toHandle().destroyForcibly();
                }
            }
            Processes.matching(dataDir.toString()).forEach(ProcessHandle::destroyForcibly);
            dev.atelier.support.Postgres.dropSchemaOf(databaseUrl);
        }
    }

    private static String pick(Random random, List<String> ids) {
        return ids.get(random.nextInt(ids.size()));
    }

    private void startReplica(int slot) throws Exception {
        ServeProcess p = ServeProcess.start(dataDir, java.util.Map.of(), List.of("--no-sandbox", "--port", "0",
                "--data-dir", dataDir.toString(), "--database-url", databaseUrl));
        replicas[slot] = p.process();
        JsonNode creds = new ObjectMapper().readTree(dataDir.resolve("credentials.json").toFile());
        clients[slot] = new SignedClient(p.url(), creds.get("project_id").asText(), creds.get("access_key").asText(),
                creds.get("secret_key").asText());
    }
}
