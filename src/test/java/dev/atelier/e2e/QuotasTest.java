package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quotas on what a project and each of its users run at once, with real notebook servers. */
class QuotasTest {
    @TempDir
    Path dataDir;

    /** A quota's use: a count at once, or hours this month. */
    private static double used(JsonNode quotas, String resource) {
        for (JsonNode q : quotas.get("quotas")) {
            if (q.get("resource").asText().equals(resource)) {
                return q.get("used").asDouble();
            }
        }
        throw new AssertionError("no quota " + resource + " in " + quotas);
    }

    @Test
    void aUserWhoseMonthlyVcpuHoursRunOutIsWarnedThenStoppedAndRefusedAStart() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient admin = server.client();
            SignedClient bob = server.addUser("bob");
            String quotas = "/admin/v1/projects/" + server.credentials().get("project_id").asText()
                    + "/users/bob/quotas";
            long now = server.clock().millis(); // a day into a month: no run here crosses into the next
            server.clock().advance(java.time.Duration.ofMillis(dev.atelier.core.model.Months.end(
                    dev.atelier.core.model.Months.of(now)) + java.time.Duration.ofDays(1).toMillis() - now));
            String longLease = TestServer.createBody("b1").replace("3600000", "14400000");
            Response created = bob.post("/v1/{project_id}/notebooks", longLease);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            String id = created.json().get("id").asText();
            StartStopLeaseTest.awaitStatus(bob, id, "RUNNING");
            assertThat(admin.send("PUT", quotas, "{\"quotas\": {\"vcpu_hours\": 2}}").status()).isEqualTo(200);

            server.clock().advance(java.time.Duration.ofMinutes(45)); // a 2-vCPU flavor: 1.5 of 2 used
            JsonNode warned = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> bob.get("/v1/{project_id}/notebooks/" + id).json(),
                            n -> n.path("fail_reason").asText().contains("nearly used up"));
            assertThat(warned.get("status").asText()).isEqualTo("RUNNING");
            assertThat(warned.get("fail_reason").asText()).contains("quota of user ").contains("runs out at about ");
            assertThat(used(bob.get(quotas).json(), "vcpu_hours")).isBetween(1.5, 1.6);

            server.clock().advance(java.time.Duration.ofMinutes(16));
            JsonNode stopped = StartStopLeaseTest.awaitStatus(bob, id, "STOPPED");
            assertThat(stopped.get("fail_reason").asText()).startsWith("stopped: the monthly quota of user ");
            Response start = bob.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            assertThat(start.status()).as(start.body()).isEqualTo(400);
            assertThat(start.errorCode()).isEqualTo("ModelArts.6302");
            assertThat(start.json().get("error_msg").asText()).contains("may use 2 vcpu_hours in");
        }
    }

    @Test
    void aCreateOrStartBeyondAUsersOrTheProjectsQuotaIsRefusedNamingTheQuotaAndTheUse() {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient admin = server.client();
            SignedClient bob = server.addUser("bob");
            String project = "/admin/v1/projects/" + server.credentials().get("project_id").asText();
            assertThat(bob.send("PUT", project + "/users/bob/quotas", "{\"quotas\": {\"vcpus\": 4}}").status())
                    .as("users do not set quotas").isEqualTo(403);
            Response set = admin.send("PUT", project + "/users/bob/quotas", "{\"quotas\": {\"vcpus\": 4}}");
            assertThat(set.status()).as(set.body()).isEqualTo(200);
            assertThat(admin.send("PUT", project + "/quotas", "{\"quotas\": {\"instances\": 3}}").status())
                    .isEqualTo(200);

            String b1 = QueueTest.create(bob, "b1");
            QueueTest.create(bob, "b2");
            Response b3 = bob.post("/v1/{project_id}/notebooks", TestServer.createBody("b3"));
            assertThat(b3.status()).as(b3.body()).isEqualTo(400);
            assertThat(b3.errorCode()).isEqualTo("ModelArts.6302");
            assertThat(b3.json().get("error_msg").asText()).contains("may run 4 vcpus at once; 4 in use");

            QueueTest.create(admin, "a1");
            Response a2 = admin.post("/v1/{project_id}/notebooks", TestServer.createBody("a2"));
            assertThat(a2.status()).isEqualTo(400);
            assertThat(a2.json().get("error_msg").asText()).contains("project").contains("3 instances at once");
            JsonNode projectQuotas = admin.get(project + "/quotas").json();
            assertThat(used(projectQuotas, "instances")).isEqualTo(3);
            assertThat(used(projectQuotas, "vcpus")).isEqualTo(6);
            assertThat(used(bob.get(project + "/users/bob/quotas").json(), "vcpus")).isEqualTo(4);
            assertThat(bob.get(project + "/quotas").status()).as("a member does not read the project's").isEqualTo(403);

            // a stopped instance holds nothing: its room may be used, and starting it again is checked anew
            StartStopLeaseTest.awaitStatus(bob, b1, "RUNNING");
            assertThat(bob.post("/v1/{project_id}/notebooks/" + b1 + "/stop", null).status()).isEqualTo(200);
            StartStopLeaseTest.awaitStatus(bob, b1, "STOPPED");
            QueueTest.create(admin, "a2");
            Response again = bob.post("/v1/{project_id}/notebooks/" + b1 + "/start", null);
            assertThat(again.status()).as(again.body()).isEqualTo(400);
            assertThat(again.json().get("error_msg").asText()).contains("3 instances at once; 3 in use");

            Response lifted = admin.send("PUT", project + "/quotas", "{\"quotas\": {\"instances\": -1}}");
            assertThat(lifted.json().get("quotas").get(0).get("limit").asLong()).isEqualTo(-1);
            assertThat(bob.post("/v1/{project_id}/notebooks/" + b1 + "/start", null).status()).isEqualTo(200);

            Response bad = admin.send("PUT", project + "/quotas", "{\"quotas\": {\"gpu_days\": 10}}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().get("error_msg").asText())
                    .contains("instances, vcpus, memory_mib, gpus, vcpu_hours, gpu_hours");
        }
    }
}
