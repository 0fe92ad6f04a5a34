package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Processes;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue of a pool made small on purpose, with real notebook servers: what does not fit waits its turn, shows
 * its place in both APIs, starts as soon as room is given back, and keeps its place across a restart.
 */
class QueueTest {
    @TempDir
    Path dataDir;

    static TestServer withPublicPool(Path dataDir, String room, int queueLimitPerUser) throws Exception {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("pools.json"), "{\"queue_limit_per_user\": " + queueLimitPerUser
                + ", \"pools\": [{\"id\": \"pool-managed\", \"room\": " + room + "}]}");
        return TestServer.sqlite(dataDir);
    }

    static String create(SignedClient api, String name) {
        Response r = api.post("/v1/{project_id}/notebooks", TestServer.createBody(name));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static JsonNode show(SignedClient api, String id) {
        return api.get("/v1/{project_id}/notebooks/" + id).json();
    }

    static JsonNode legacy(SignedClient api, String id) {
        return api.get("/v1/{project_id}/demanager/instances/DE-" + id).json();
    }

    static boolean queued(SignedClient api, String id) {
        return legacy(api, id).get("status").asText().endsWith("_QUEUING");
    }

    @Test
    void aCreateBeyondThePoolsRoomWaitsShowsItsPlaceInBothApisAndStartsWithinASecondOfADelete() throws Exception {
        try (TestServer server = withPublicPool(dataDir, "{\"instances\": 2}", 3)) {
            SignedClient api = server.client();
            String a = create(api, "first");
            String b = create(api, "second");
            StartStopLeaseTest.awaitStatus(api, a, "RUNNING");
            StartStopLeaseTest.awaitStatus(api, b, "RUNNING");
            String c = create(api, "third");
            await().atMost(Duration.ofSeconds(5)).until(() -> queued(api, c));

            JsonNode v1 = show(api, c);
            assertThat(v1.get("status").asText()).isEqualTo("CREATING");
            // the two ahead stop at the end of their hour's lease at the latest: the estimate says so
            assertThat(v1.get("fail_reason").asText()).matches("queued: 1st of 1 in pool pool-managed, about "
                    + "(59|60|61) min");
            assertThat(v1.get("action_progress").findValuesAsText("status")).containsOnly("WAITING");
            JsonNode old = legacy(api, c);
            assertThat(old.get("status").asText()).isEqualTo("CREATE_QUEUING");
            JsonNode info = old.get("queuing_info");
            assertThat(info.get("rank").asInt()).isEqualTo(1);
            assertThat(info.get("status").asText()).isEqualTo("CREATE_QUEUING");
            assertThat(info.get("id").asText()).isEqualTo("DE-" + c);
            assertThat(info.get("begin_timestamp").asLong()).isCloseTo(System.currentTimeMillis(),
                    org.assertj.core.api.Assertions.within(10_000L));
            assertThat(info.get("remain_time").asLong()).isBetween(3500L, 3700L);
            assertThat(info.get("end_timestamp").asLong() - System.currentTimeMillis())
                    .isBetween(3_500_000L, 3_700_000L);
            assertThat(old.get("flavor_details").get("queuing_num").asInt()).isEqualTo(1);
            assertThat(old.get("flavor_details").get("queue_left_time").asLong()).isBetween(3500L, 3700L);
            assertThat(Processes.matching("/notebook/" + c + "/")).as("nothing runs for it yet").isEmpty();
            String legacyList = "/v1/{project_id}/demanager/instances?de_type=Notebook&status=";
            assertThat(api.get(legacyList + "CREATE_QUEUING").json().get("instances"))
                    .extracting(n -> n.get("id").asText()).containsExactly("DE-" + c);
            assertThat(api.get(legacyList + "CREATING").json().get("instances"))
                    .extracting(n -> n.get("id").asText()).doesNotContain("DE-" + c);
            assertThat(api.get(legacyList + "START_QUEUING").json().get("total_count").asLong()).isZero();
            assertThat(api.get("/v1/{project_id}/demanager/instances/DE-" + a).json().get("queuing_info").isNull())
                    .isTrue();

            api.delete("/v1/{project_id}/notebooks/" + a);
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10))
                    .until(() -> api.get("/v1/{project_id}/notebooks/" + a).status() == 400);
            long gone = System.nanoTime();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> !queued(api, c));
            long tookMs = (System.nanoTime() - gone) / 1_000_000;
            assertThat(tookMs).isLessThan(1000);
            StartStopLeaseTest.awaitStatus(api, c, "RUNNING");
            assertThat(show(api, c).hasNonNull("fail_reason")).isFalse();
        }
    }

    @Test
    void aQueuedInstanceThatIsStoppedOrDeletedLeavesTheQueueAndTheOnesBehindMoveUp() throws Exception {
        try (TestServer server = withPublicPool(dataDir, "{\"instances\": 1}", 3)) {
            SignedClient api = server.client();
            String a = create(api, "runs");
            StartStopLeaseTest.awaitStatus(api, a, "RUNNING");
            String b = create(api, "waits-first");
            String c = create(api, "waits-second");
            await().atMost(Duration.ofSeconds(5)).until(() -> legacy(api, c).path("queuing_info").path("rank")
                    .asInt() == 2);
            assertThat(show(api, c).get("fail_reason").asText()).startsWith("queued: 2nd of 2 in pool pool-managed");

            Response stopped = api.post("/v1/{project_id}/notebooks/" + b + "/stop", null);
            assertThat(stopped.status()).as(stopped.body()).isEqualTo(200);
            StartStopLeaseTest.awaitStatus(api, b, "STOPPED");
            assertThat(show(api, b).hasNonNull("fail_reason")).isFalse();
            await().atMost(Duration.ofSeconds(2)).until(() -> legacy(api, c).path("queuing_info").path("rank")
                    .asInt() == 1);
            api.delete("/v1/{project_id}/notebooks/" + c);
            await().atMost(Duration.ofSeconds(5)).until(() -> api.get("/v1/{project_id}/notebooks/" + c)
                    .status() == 400);
            assertThat(Processes.matching("/notebook/" + b + "/")).isEmpty();
            assertThat(show(api, a).get("status").asText()).isEqualTo("RUNNING");

            // started again, b waits again: behind nobody
            api.post("/v1/{project_id}/notebooks/" + b + "/start", null);
            await().atMost(Duration.ofSeconds(5)).until(() -> queued(api, b));
            assertThat(legacy(api, b).get("status").asText()).isEqualTo("START_QUEUING");
            assertThat(show(api, b).get("status").asText()).isEqualTo("STARTING");
        }
    }

    @Test
    void oneUserCannotFillTheQueueThatOthersShare() throws Exception {
        try (TestServer server = withPublicPool(dataDir, "{\"instances\": 1}", 2)) {
            SignedClient alice = server.client();
            SignedClient bob = server.addUser("bob");
            String a = create(alice, "runs");
            StartStopLeaseTest.awaitStatus(alice, a, "RUNNING");
            create(alice, "waits-1");
            String last = create(alice, "waits-2");
            await().atMost(Duration.ofSeconds(5)).until(() -> queued(alice, last));
            Response refused = alice.post("/v1/{project_id}/notebooks", TestServer.createBody("one-too-many"));
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.errorCode()).isEqualTo("ModelArts.6302");
            assertThat(refused.json().get("error_msg").asText()).contains("2 instances waiting")
                    .contains("pool-managed");
            String bobs = create(bob, "bobs");
            await().atMost(Duration.ofSeconds(5)).until(() -> legacy(bob, bobs).path("queuing_info").path("rank")
                    .asInt() == 3);
        }
    }

    @Test
    void theQueueAndItsOrderSurviveARestartOfAtelier() throws Exception {
        try (TestServer server = withPublicPool(dataDir, "{\"instances\": 1}", 3)) {
            SignedClient api = server.client();
            String a = create(api, "runs");
            StartStopLeaseTest.awaitStatus(api, a, "RUNNING");
            String b = create(api, "waits-first");
            String c = create(api, "waits-second");
            await().atMost(Duration.ofSeconds(5)).until(() -> queued(api, b) && queued(api, c));
            server.stopServer();
            server.start();
            SignedClient again = server.client();
            assertThat(legacy(again, b).get("queuing_info").get("rank").asInt()).isEqualTo(1);
            assertThat(legacy(again, c).get("queuing_info").get("rank").asInt()).isEqualTo(2);
            assertThat(show(again, a).get("status").asText()).isEqualTo("RUNNING");
            assertThat(Processes.matching("/notebook/" + b + "/")).isEmpty();
            again.delete("/v1/{project_id}/notebooks/" + a);
            StartStopLeaseTest.awaitStatus(again, b, "RUNNING");
            assertThat(legacy(again, c).get("queuing_info").get("rank").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aFlavorThePoolCouldNeverHoldIsSoldOutAndRefusedRatherThanQueuedForEver() throws Exception {
        try (TestServer server = withPublicPool(dataDir, "{\"vcpus\": 4}", 3)) {
            SignedClient api = server.client();
            JsonNode flavors = api.get("/v1/{project_id}/notebooks/flavors").json().get("data");
            for (JsonNode f : flavors) {
                assertThat(f.get("sold_out").asBoolean()).as(f.get("id").asText())
                        .isEqualTo(f.get("vcpus").asInt() > 4);
            }
            Response r = api.post("/v1/{project_id}/notebooks", TestServer.createBody("big")
                    .replace(TestServer.FLAVOR, "modelarts.vm.cpu.8u"));
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("ModelArts.6329");
        }
    }
}
