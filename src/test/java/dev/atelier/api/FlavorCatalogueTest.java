package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's flavor catalogue in {@code <data-dir>/flavors.json}, with the JSON types the SDK expects. */
class FlavorCatalogueTest {
    static final String CATALOGUE = """
            [
              {"id": "team.cpu.4u", "name": "CPU: 4 vCPUs 16 GB", "category": "CPU", "vcpus": 4, "memory_mib": 16384},
              {"id": "team.gpu.v100", "name": "GPU: 1 x V100", "category": "GPU", "vcpus": 8, "memory_mib": 65536,
               "gpu": {"count": 1, "memory": "32GB", "type": "V100"}},
              {"id": "team.npu.910", "name": "Ascend: 1 x 910", "category": "ASCEND", "arch": "AARCH64", "vcpus": 24,
               "memory_mib": 98304, "ascend": {"npu": 1, "npu_memory": "32GB", "type": "ASCEND_SNT9",
               "ai_core": "32", "ai_cpu": "14", "type_alias": "Ascend 910"}}
            ]
            """;

    @TempDir
    Path dataDir;

    @Test
    void theOperatorsFlavorsReplaceTheBuiltInOnesWithExactTypes() throws Exception {
        Files.writeString(dataDir.resolve("flavors.json"), CATALOGUE);
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            JsonNode all = api.get("/v1/{project_id}/notebooks/flavors").json();
            assertThat(all.get("total").asInt()).isEqualTo(3);
            assertThat(all.get("flavors")).isEqualTo(all.get("data"));

            JsonNode gpu = api.get("/v1/{project_id}/notebooks/flavors?category=gpu").json().get("data").get(0);
            assertThat(gpu.get("id").asText()).isEqualTo("team.gpu.v100");
            assertThat(gpu.get("gpu").get("gpu").isInt()).isTrue();
            assertThat(gpu.get("gpu").get("gpu_memory").isTextual()).isTrue();
            assertThat(gpu.get("gpu").get("type").asText()).isEqualTo("V100");
            boolean hostHasGpu = Files.exists(Path.of("/dev/nvidia0"));
            assertThat(gpu.get("sold_out").asBoolean()).isEqualTo(!hostHasGpu);

            JsonNode npu = api.get("/v1/{project_id}/notebooks/flavors?category=ASCEND").json().get("data").get(0);
            assertThat(npu.get("arch").asText()).isEqualTo("aarch64");
            assertThat(npu.get("ascend").get("npu").isInt()).isTrue();
            assertThat(npu.get("ascend").get("npu_memory").isTextual()).isTrue();
            assertThat(npu.get("ascend").get("ai_core").isTextual()).isTrue();

            JsonNode cpu = api.get("/v1/{project_id}/notebooks/flavors?category=CPU").json().get("data").get(0);
            assertThat(cpu.get("memory").asLong()).isEqualTo(16384L * 1024);
            assertThat(cpu.has("gpu")).isFalse();

            if (!hostHasGpu) {
                Response soldOut = api.post("/v1/{project_id}/notebooks",
                        TestServer.createBody("gpu").replace(TestServer.FLAVOR, "team.gpu.v100"));
                assertThat(soldOut.status()).isEqualTo(400);
                assertThat(soldOut.errorCode()).isEqualTo("ModelArts.6329");
                assertThat(soldOut.json().get("error_msg").asText()).contains("sold out");
            }
            Response gone = api.post("/v1/{project_id}/notebooks", TestServer.createBody("old"));
            assertThat(gone.errorCode()).isEqualTo("ModelArts.6323");
        }
    }

    @Test
    void aBrokenCatalogueStopsTheServerFromStartingAndSaysWhere() throws Exception {
        Files.writeString(dataDir.resolve("flavors.json"), "[{\"id\": \"x\", \"category\": \"GPU\", \"vcpus\": 1, "
                + "\"memory_mib\": 1}]");
        assertThatThrownBy(() -> TestServer.of(dataDir, null, "/nonexistent/jupyter-server"))
                .hasMessageContaining("flavors.json entry 0").hasMessageContaining("gpu object");
        Files.writeString(dataDir.resolve("flavors.json"), "[{\"id\": \"x\", \"vcpu\": 1}]");
        assertThatThrownBy(() -> TestServer.of(dataDir, null, "/nonexistent/jupyter-server"))
                .hasMessageContaining("flavors.json").hasMessageContaining("vcpu");
    }
}
