package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resource pools as clients see them: the authoring-cluster API, {@code pool_id} on create, list and show. */
class PoolsApiTest {
    @TempDir
    Path dataDir;

    /** A server with the public pool and a dedicated pool for the administrator's project, of one flavor. */
    private TestServer withDedicatedPool() throws Exception {
        TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server");
        String project = server.credentials().get("project_id").asText();
        server.stopServer();
        Files.writeString(dataDir.resolve("pools.json"), """
                {"pools": [
                  {"id": "pool-managed", "room": {"vcpus": 16}},
                  {"id": "pool-team-a", "name": "Team A", "type": "DEDICATED", "projects": ["%s"],
                   "flavors": ["modelarts.vm.cpu.2u"], "room": {"instances": 4}},
                  {"id": "pool-team-b", "type": "DEDICATED", "projects": ["someone-else"], "room": {"instances": 4}}
                ]}""".formatted(project));
        return server.start();
    }

    @Test
    void clustersAreListedByTypeWithTheReferencesTypesAndOnlyToTheProjectsTheyServe() throws Exception {
        try (TestServer server = withDedicatedPool()) {
            SignedClient api = server.client();
            JsonNode managed = api.get("/v1/{project_id}/authoring/clusters?type=MANAGED").json();
            assertThat(managed.get("total").asLong()).isEqualTo(1);
            JsonNode pub = managed.get("data").get(0);
            assertThat(pub.get("pool_id").asText()).isEqualTo("pool-managed");
            assertThat(pub.get("logic_cluster_id").asText()).isEqualTo("pool-managed");
            assertThat(pub.get("type").asText()).isEqualTo("MANAGED");
            assertThat(pub.get("status").asText()).isEqualTo("ACTIVE");
            assertThat(pub.get("resource_categories").asText()).isEqualTo("CPU");
            assertThat(pub.get("create_at").isTextual()).as("timestamps are strings here").isTrue();
            assertThat(pub.get("update_at").isTextual()).isTrue();
            assertThat(pub.get("workspace_id").asText()).isEqualTo("0");
            assertThat(pub.get("is_allow_root").isBoolean()).isTrue();
            JsonNode flavors = pub.get("flavors");
            assertThat(flavors.findValuesAsText("id")).contains("modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u");
            for (JsonNode f : flavors) {
                assertThat(f.get("memory").isTextual()).as("memory is a string here").isTrue();
                assertThat(f.get("vcpus").isInt()).isTrue();
                assertThat(f.get("sold_out").asBoolean()).as(f.get("id").asText()).isEqualTo(f.get("vcpus").asInt() > 16);
            }

            JsonNode dedicated = api.get("/v1/{project_id}/authoring/clusters?type=DEDICATED").json();
            assertThat(dedicated.get("data").findValuesAsText("pool_id")).containsExactly("pool-team-a");
            JsonNode shown = api.get("/v1/{project_id}/authoring/clusters/pool-team-a").json();
            assertThat(shown.get("flavors").findValuesAsText("id")).containsExactly("modelarts.vm.cpu.2u");
            Response other = api.get("/v1/{project_id}/authoring/clusters/pool-team-b");
            assertThat(other.status()).as("another project's pool is not there").isEqualTo(400);
            assertThat(other.errorCode()).isEqualTo("ModelArts.6404");

            Response noType = api.get("/v1/{project_id}/authoring/clusters");
            assertThat(noType.status()).isEqualTo(400);
            assertThat(noType.json().get("error_msg").asText()).contains("type");
            assertThat(api.get("/v1/{project_id}/authoring/clusters?type=MANAGED&scope=TRAIN").json()
                    .get("total").asLong()).isZero();
            assertThat(api.get("/v1/{project_id}/authoring/clusters?type=MANAGED&limit=-1").status()).isEqualTo(400);
        }
    }

    @Test
    void aFlavorThePublicPoolCannotHoldIsSoldOutThereAndStillToBeHadInADedicatedPoolThatCan() throws Exception {
        TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server");
        try (server) {
            String project = server.credentials().get("project_id").asText();
            server.stopServer();
            Files.writeString(dataDir.resolve("pools.json"), """
                    {"pools": [
                      {"id": "pool-managed", "room": {"vcpus": 4}},
                      {"id": "pool-big", "type": "DEDICATED", "projects": ["%s"], "room": {"instances": 2}}
                    ]}""".formatted(project));
            server.start();
            SignedClient api = server.client();
            JsonNode listed = api.get("/v1/{project_id}/notebooks/flavors").json().get("data");
            assertThat(listed).filteredOn(f -> f.get("id").asText().equals("modelarts.vm.cpu.8u"))
                    .singleElement().satisfies(f -> assertThat(f.get("sold_out").asBoolean()).isTrue());
            String big = TestServer.createBody("big").replace(TestServer.FLAVOR, "modelarts.vm.cpu.8u");
            assertThat(api.post("/v1/{project_id}/notebooks", big).errorCode()).isEqualTo("ModelArts.6329");
            Response inBig = api.post("/v1/{project_id}/notebooks", big.replaceFirst("\\{",
                    "{\"pool_id\":\"pool-big\","));
            assertThat(inBig.status()).as(inBig.body()).isEqualTo(200);
            assertThat(api.get("/v1/{project_id}/demanager/instances/DE-" + inBig.json().get("id").asText()).json()
                    .get("flavor_details").get("status").asText()).as("on sale in its pool").isEqualTo("onSale");
        }
    }

    @Test
    void anInstanceCreatedInADedicatedPoolShowsItInBothApisAndListsFilterByIt() throws Exception {
        try (TestServer server = withDedicatedPool()) {
            SignedClient api = server.client();
            String inPool = api.post("/v1/{project_id}/notebooks", TestServer.createBody("in-pool")
                    .replaceFirst("\\{", "{\"pool_id\":\"pool-team-a\",")).json().get("id").asText();
            String pub = api.post("/v1/{project_id}/notebooks", TestServer.createBody("public")).json()
                    .get("id").asText();
            JsonNode shown = api.get("/v1/{project_id}/notebooks/" + inPool).json();
            assertThat(shown.get("pool").get("id").asText()).isEqualTo("pool-team-a");
            assertThat(shown.get("pool").get("name").asText()).isEqualTo("Team A");
            assertThat(api.get("/v1/{project_id}/notebooks/" + pub).json().has("pool"))
                    .as("the public pool is not named").isFalse();
            assertThat(api.get("/v1/{project_id}/demanager/instances/DE-" + inPool).json().get("pool").get("id")
                    .asText()).isEqualTo("pool-team-a");
            assertThat(api.get("/v1/{project_id}/notebooks?pool_id=pool-team-a").json().get("data"))
                    .extracting(n -> n.get("id").asText()).containsExactly(inPool);
            assertThat(api.get("/v1/{project_id}/demanager/instances?de_type=Notebook&pool_id=pool-team-a").json()
                    .get("instances")).extracting(n -> n.get("id").asText()).containsExactly("DE-" + inPool);

            Response unknown = api.post("/v1/{project_id}/notebooks", TestServer.createBody("x")
                    .replaceFirst("\\{", "{\"pool_id\":\"pool-team-b\","));
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.json().get("error_msg").asText()).contains("pool-team-b does not exist");
            Response notOffered = api.post("/v1/{project_id}/notebooks", TestServer.createBody("y")
                    .replaceFirst("\\{", "{\"pool_id\":\"pool-team-a\",").replace(TestServer.FLAVOR, "modelarts.vm.cpu.8u"));
            assertThat(notOffered.status()).isEqualTo(400);
            assertThat(notOffered.errorCode()).isEqualTo("ModelArts.6323");
        }
    }

    private static long databasePools() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("sqlite")).count();
    }

    @Test
    void aPoolsFileWithAMistakeStopsTheStartWithAMessageThatNamesItAndLeavesNothingOpen() throws Exception {
        TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server");
        server.close();
        long open = databasePools();
        Files.writeString(dataDir.resolve("pools.json"), "{\"pools\": [{\"id\": \"pool-x1\", \"type\": \"DEDICATED\", "
                + "\"room\": {\"instances\": 1}}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.of(dataDir, null, "/x"))
                .hasMessageContaining("pools.json pool 0").hasMessageContaining("names the projects");
        Files.writeString(dataDir.resolve("pools.json"), "{\"pools\": [{\"id\": \"pool-managed\", \"room\": "
                + "{\"cpus\": 1}}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.of(dataDir, null, "/x"))
                .hasMessageContaining("pools.json").hasMessageContaining("cpus");
        Files.writeString(dataDir.resolve("pools.json"), "{\"pools\": [{\"id\": \"pool-x1\", \"type\": "
                + "\"DEDICATED\", \"projects\": [\"p\"]}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.of(dataDir, null, "/x"))
                .hasMessageContaining("pools.json pool 0").hasMessageContaining("needs a room")
                .hasMessageContaining("node_selector");
        Files.writeString(dataDir.resolve("pools.json"), "{\"pools\": [{\"id\": \"pool-x1\", \"type\": "
                + "\"DEDICATED\", \"projects\": [\"p\"], \"node_selector\": {\"pool\": \"x1\"}}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.of(dataDir, null, "/x"))
                .as("the runtime is open by then, and is closed again")
                .hasMessageContaining("pool pool-x1 needs a room").hasMessageContaining("only the Kubernetes runtime");
        // the pool's own threads end just after its close returns
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(databasePools()).as("no database left open").isEqualTo(open));
    }
}
