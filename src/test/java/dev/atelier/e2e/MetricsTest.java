package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.Jupyter;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} on a real server with real notebook servers: who may read it, and the figures moving as they
 * should across a create, a stop and a delete.
 */
class MetricsTest {
    @TempDir
    Path dataDir;

    @Test
    void onlyTheScrapersTokenAndTheServiceAdministratorMayReadMetrics() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            Response scraped = PlainClient.bearer(server.url(), TestServer.METRICS_TOKEN).send("GET", "/metrics", null);
            assertThat(scraped.status()).isEqualTo(200);
            assertThat(scraped.contentType()).startsWith("text/plain; version=0.0.4");
            assertThat(scraped.body()).contains("jvm_memory_used_bytes").contains("hikaricp_connections_active")
                    .contains("atelier_reconciler_queue_depth");
            assertThat(server.client().get("/metrics").status()).as("the service administrator").isEqualTo(200);

            Response anonymous = PlainClient.anonymous(server.url()).send("GET", "/metrics", null);
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(anonymous.json().get("error_code").asText()).isNotBlank();
            assertThat(PlainClient.bearer(server.url(), TestServer.METRICS_TOKEN + "x").send("GET", "/metrics", null)
                    .status()).as("a wrong token is an unknown user token").isEqualTo(401);
            Response member = server.addUser("member").get("/metrics");
            assertThat(member.status()).isEqualTo(403);
            assertThat(member.body()).contains("only the service administrator");
        }
    }

    @Test
    void figuresFollowACreateAStopAndADeleteWithoutNamingAnyInstanceOrUser() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            PlainClient scraper = PlainClient.bearer(server.url(), TestServer.METRICS_TOKEN);
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("measured")).json().get("id")
                    .asText();
            var running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
            Jupyter jupyter = new Jupyter(running.get("url").asText(), running.get("token").asText());
            assertThat(jupyter.execute("print(1 + 1)")).isEqualTo("2\n");

            Map<String, String> create = Map.of("operation", "create", "runtime", "local",
                    "flavor", TestServer.FLAVOR);
            String text = await().atMost(Duration.ofSeconds(5)).until(() -> scrape(scraper),
                    t -> Prometheus.value(t, "atelier_instances", Map.of("status", "RUNNING")) == 1);
            assertThat(Prometheus.value(text, "atelier_instances", Map.of("status", "RUNNING", "pool",
                    "pool-managed"))).isEqualTo(1);
            assertThat(Prometheus.value(text, "atelier_instance_lifecycle_seconds_count", create)).isEqualTo(1);
            assertThat(Prometheus.value(text, "atelier_instance_lifecycle_seconds_bucket",
                    Map.of("operation", "create", "le", "60.0"))).as("ready within a minute").isEqualTo(1);
            assertThat(Prometheus.value(text, "atelier_http_server_requests_seconds_count", Map.of("method", "POST",
                    "route", "/v1/{project_id}/notebooks", "status", "200"))).isEqualTo(1);
            assertThat(Prometheus.value(text, "atelier_runtime_calls_seconds_count", Map.of("operation", "launch",
                    "outcome", "ok"))).isEqualTo(1);
            assertThat(Prometheus.value(text, "atelier_reconciler_pass_seconds_count", Map.of("outcome", "ok")))
                    .isPositive();
            assertThat(Prometheus.value(text, "atelier_gateway_traffic_bytes_total",
                    Map.of("direction", "from_instance"))).isPositive();
            assertThat(Prometheus.value(text, "atelier_gateway_traffic_bytes_total",
                    Map.of("direction", "to_instance"))).isPositive();
            assertThat(Prometheus.value(text, "atelier_pool_queue_length", Map.of("pool", "pool-managed")))
                    .as("every pool's queue is reported, empty too").isZero();
            assertThat(text).contains("atelier_pool_queue_length{pool=\"pool-managed\"}");
            assertThat(Prometheus.value(text, "atelier_pool_queue_wait_seconds_count", Map.of("pool", "pool-managed")))
                    .as("its wait for a seat, once").isEqualTo(1);
            theDeployedAlertsAndDashboardNameOnlyServedMetrics(text);

            api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
            StartStopLeaseTest.awaitStatus(api, id, "STOPPED");
            text = await().atMost(Duration.ofSeconds(5)).until(() -> scrape(scraper),
                    t -> Prometheus.value(t, "atelier_instances", Map.of("status", "STOPPED")) == 1);
            assertThat(Prometheus.value(text, "atelier_instances", Map.of("status", "RUNNING"))).isZero();
            assertThat(Prometheus.value(text, "atelier_instance_lifecycle_seconds_count",
                    Map.of("operation", "stop"))).isEqualTo(1);

            assertThat(PlainClient.bearer(server.url(), "not-a-token-of-anyone").send("GET",
                    "/v1/" + server.credentials().get("project_id").asText() + "/notebooks", null).status())
                    .isEqualTo(401);
            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/v1/{project_id}/notebooks/" + id).status()
                    == 400);
            text = await().atMost(Duration.ofSeconds(5)).until(() -> scrape(scraper),
                    t -> Prometheus.value(t, "atelier_instances", Map.of()) == 0);
            assertThat(Prometheus.value(text, "atelier_auth_failures_total", Map.of("reason", "token_invalid")))
                    .isEqualTo(1);
            assertThat(text).doesNotContain(id).doesNotContain(server.credentials().get("user_name").asText())
                    .doesNotContain(server.credentials().get("project_id").asText());
        }
    }

    /**
     * deploy/prometheus and deploy/grafana: every rule is complete, and every metric they name is one a server
     * serves (a renamed metric would leave an alert that never fires).
     */
    private static void theDeployedAlertsAndDashboardNameOnlyServedMetrics(String scraped) throws Exception {
        Map<?, ?> file = new org.yaml.snakeyaml.Yaml().load(java.nio.file.Files.readString(
                Path.of("deploy/prometheus/atelier-alerts.yml")));
        List<?> groups = (List<?>) file.get("groups");
        List<?> rules = (List<?>) ((Map<?, ?>) groups.get(0)).get("rules");
        assertThat(rules).hasSizeGreaterThanOrEqualTo(8);
        for (Object o : rules) {
            Map<?, ?> r = (Map<?, ?>) o;
            assertThat(r.keySet().stream().map(String::valueOf).toList()).as(r.toString())
                    .contains("alert", "expr", "for", "labels", "annotations");
            assertThat(((Map<?, ?>) r.get("labels")).get("severity")).as(r.toString()).isNotNull();
        }
        String deployed = java.nio.file.Files.readString(Path.of("deploy/prometheus/atelier-alerts.yml"))
                + java.nio.file.Files.readString(Path.of("deploy/grafana/atelier-dashboard.json"));
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                java.nio.file.Files.readString(Path.of("deploy/grafana/atelier-dashboard.json")));
        var names = java.util.regex.Pattern.compile("\\b(?:atelier|hikaricp|jvm|process)_[a-z_]+")
                .matcher(deployed).results().map(java.util.regex.MatchResult::group)
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        assertThat(names).hasSizeGreaterThan(10);
        for (String name : names) {
            assertThat(scraped.lines().anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " ")
                    || l.startsWith("# TYPE " + name + " ")))
                    .as("served: " + name).isTrue();
        }
    }

    private static String scrape(PlainClient scraper) {
        Response r = scraper.send("GET", "/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    /** Reading Prometheus's text format. */
    static final class Prometheus {
        private Prometheus() {
        }

        /** The sum of the samples of {@code name} whose labels include {@code labels}; 0 when there is none. */
        static double value(String text, String name, Map<String, String> labels) {
            double sum = 0;
            for (String line : text.split("\n")) {
                if (line.startsWith("#") || !line.startsWith(name)) {
                    continue;
                }
                String rest = line.substring(name.length());
                if (!rest.startsWith("{") && !rest.startsWith(" ")) {
                    continue; // another metric whose name starts the same
                }
                String labelText = rest.startsWith("{") ? rest.substring(1, rest.lastIndexOf('}')) : "";
                boolean all = labels.entrySet().stream()
                        .allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
                if (all) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }
    }
}
