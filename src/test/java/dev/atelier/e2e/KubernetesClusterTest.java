package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestServer;
import dev.atelier.support.kube.TestCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes runtime against the test cluster (fabric8's mock API server and a node agent that runs pods as
 * containers): what it asks the cluster for, and how it shows what the cluster says, the failures of a cluster
 * included: no node with the resource, an image that cannot be pulled, an eviction, a lost node, an API server
 * that does not answer.
 */
class KubernetesClusterTest {
    @TempDir
    Path dataDir;

    private TestCluster cluster;

    @BeforeEach
    void cluster() {
        TestRuntime.KUBERNETES.assumeAvailable();
        cluster = TestRuntime.cluster();
    }

    @AfterEach
    void healCluster() {
        if (cluster != null) {
            cluster.restore();
            cluster.node().failPulls(null);
            cluster.offer(Map.of());
        }
    }

    private static JsonNode get(SignedClient api, String id) {
        return api.get("/v1/{project_id}/notebooks/" + id).json();
    }

    private static JsonNode awaitStatus(SignedClient api, String id, String status) {
        return await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(api, id), n -> n.get("status").asText().equals(status));
    }

    private String create(SignedClient api, String name) {
        Response created = api.post("/v1/{project_id}/notebooks", TestServer.createBody(name));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().get("id").asText();
    }

    @Test
    void aDedicatedPoolWithoutARoomHoldsWhatTheNodesItsSelectorPicksHold() throws Exception {
        TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir);
        try (server) {
            String project = server.credentials().get("project_id").asText();
            server.stopServer();
            cluster.labelNode("atelier.dev/test-pool", "big");
            Files.writeString(dataDir.resolve("pools.json"), """
                    {"pools": [
                      {"id": "pool-managed", "room": {}},
                      {"id": "pool-big", "type": "DEDICATED", "projects": ["%1$s"],
                       "node_selector": {"atelier.dev/test-pool": "big"}},
                      {"id": "pool-none", "type": "DEDICATED", "projects": ["%1$s"],
                       "node_selector": {"atelier.dev/test-pool": "none"}}
                    ]}""".formatted(project));
            server.start();
            SignedClient api = server.client();
            String big = TestServer.createBody("big").replace(TestServer.FLAVOR, "modelarts.vm.cpu.8u");
            Response inNone = api.post("/v1/{project_id}/notebooks", big.replaceFirst("\\{",
                    "{\"pool_id\":\"pool-none\","));
            assertThat(inNone.status()).as("no node is picked: the pool holds nothing").isEqualTo(400);
            assertThat(inNone.errorCode()).isEqualTo("ModelArts.6329");
            Response inBig = api.post("/v1/{project_id}/notebooks", big.replaceFirst("\\{",
                    "{\"pool_id\":\"pool-big\","));
            assertThat(inBig.status()).as("the labelled node's 64 CPUs: " + inBig.body()).isEqualTo(200);
        }
    }

    @Test
    void thePodRunsUnprivilegedWithItsFlavorAndItsTokenOnlyInASecret() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "inspected");
            JsonNode running = awaitStatus(api, id, "RUNNING");
            String token = running.get("token").asText();

            List<Pod> pods = cluster.node().podsOf(id);
            assertThat(pods).hasSize(1);
            Pod pod = pods.get(0);
            assertThat(Serialization.asJson(pod)).as("the token is in no pod spec").doesNotContain(token);
            var labels = pod.getMetadata().getLabels();
            assertThat(labels).containsEntry("atelier.dev/instance", id)
                    .containsKeys("atelier.dev/installation", "atelier.dev/project", "atelier.dev/owner");
            var spec = pod.getSpec();
            assertThat(spec.getAutomountServiceAccountToken()).isFalse();
            assertThat(spec.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(spec.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
            var container = spec.getContainers().get(0);
            assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            // modelarts.vm.cpu.2u: 2 vCPUs, 8 GiB
            assertThat(container.getResources().getLimits().get("cpu").toString()).isEqualTo("2");
            assertThat(container.getResources().getLimits()).isEqualTo(container.getResources().getRequests());

            var secret = cluster.client().secrets().inNamespace(TestCluster.NAMESPACE).withName("atelier-" + id).get();
            assertThat(secret).isNotNull();
            var claim = cluster.client().persistentVolumeClaims().inNamespace(TestCluster.NAMESPACE)
                    .withName("atelier-" + id + "-work").get();
            assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("5Gi");
            assertThat(running.get("url").asText()).as("served by Atelier's gateway, not at the pod's address")
                    .startsWith(server.url());
        }
    }

    @Test
    void aFlavorNoNodeOffersIsSoldOutAndAPodThatFindsNoRoomSaysWhichResourceIsShortUntilThereIsRoom()
            throws Exception {
        Files.writeString(dataDir.resolve("flavors.json"), """
                [{"id": "cpu.2u", "category": "CPU", "vcpus": 2, "memory_mib": 4096},
                 {"id": "gpu.1", "category": "GPU", "vcpus": 2, "memory_mib": 4096,
                  "gpu": {"count": 1, "memory": "16GB", "type": "T4"}},
                 {"id": "npu.1", "category": "ASCEND", "vcpus": 2, "memory_mib": 4096,
                  "ascend": {"npu": 1, "npu_memory": "32GB", "type": "Ascend910"},
                  "extended_resources": {"huawei.com/Ascend910": 1}}]
                """);
        cluster.offer(Map.of("nvidia.com/gpu", 1));
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            JsonNode flavors = api.get("/v1/{project_id}/notebooks/flavors").json().get("flavors");
            Map<String, Boolean> soldOut = new java.util.HashMap<>();
            flavors.forEach(f -> soldOut.put(f.get("id").asText(), f.get("sold_out").asBoolean()));
            assertThat(soldOut).containsEntry("cpu.2u", false).containsEntry("gpu.1", false)
                    .containsEntry("npu.1", true);

            cluster.offer(Map.of()); // the GPU node is busy now
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("wants-gpu")
                    .replace(TestServer.FLAVOR, "gpu.1")).json().get("id").asText();
            JsonNode waiting = await().atMost(Duration.ofSeconds(20)).until(() -> get(api, id),
                    n -> n.path("fail_reason").asText().contains("Insufficient nvidia.com/gpu"));
            assertThat(waiting.get("status").asText()).isEqualTo("CREATING");
            assertThat(waiting.get("fail_reason").asText()).startsWith("waiting for a node with room");
            assertThat(stepStatus(waiting, 2)).isEqualTo("PROCESSING");
            assertThat(stepStatus(waiting, 1)).isEqualTo("COMPLETED");

            cluster.offer(Map.of("nvidia.com/gpu", 1));
            JsonNode running = awaitStatus(api, id, "RUNNING");
            assertThat(running.path("fail_reason").isMissingNode() || running.get("fail_reason").isNull()).isTrue();
            var requests = cluster.node().podsOf(id).get(0).getSpec().getContainers().get(0).getResources()
                    .getRequests();
            assertThat(requests.get("nvidia.com/gpu").toString()).isEqualTo("1");
        }
    }

    private static String stepStatus(JsonNode nb, int step) {
        for (JsonNode s : nb.get("action_progress")) {
            if (s.get("step").asInt() == step) {
                return s.get("status").asText();
            }
        }
        throw new AssertionError("no step " + step + " in " + nb);
    }

    @Test
    void aLargerVolumeAfterAnUpdateIsAnExpansionOfTheClaimAtTheNextStart() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "growing");
            awaitStatus(api, id, "RUNNING");
            var claims = cluster.client().persistentVolumeClaims().inNamespace(TestCluster.NAMESPACE)
                    .withName("atelier-" + id + "-work");
            String uid = claims.get().getMetadata().getUid();
            Response updated = api.send("PUT", "/v1/{project_id}/notebooks/" + id, "{\"storage_new_size\": 8}");
            assertThat(updated.status()).as(updated.body()).isEqualTo(200);

            api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
            awaitStatus(api, id, "STOPPED");
            assertThat(claims.get()).as("a stop keeps the claim").isNotNull();
            api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            awaitStatus(api, id, "RUNNING");
            assertThat(claims.get().getSpec().getResources().getRequests().get("storage").toString())
                    .isEqualTo("8Gi");
            assertThat(claims.get().getMetadata().getUid()).as("the same claim, grown").isEqualTo(uid);
        }
    }

    @Test
    void anImageTheClusterCannotPullFailsTheCreateWithWhatTheClusterSaid() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            Response image = api.post("/v1/{project_id}/images",
                    "{\"swr_path\":\"registry.example.com/team/missing:1\"}");
            assertThat(image.status()).as(image.body()).isEqualTo(200);
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("unpullable")
                    .replace(TestServer.IMAGE_ID, image.json().get("id").asText())).json().get("id").asText();
            JsonNode failed = awaitStatus(api, id, "CREATE_FAILED");
            assertThat(failed.get("fail_reason").asText()).contains("cannot pull the image "
                    + "registry.example.com/team/missing:1").contains("ErrImagePull").contains("not found");

            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(20)).until(() -> TestRuntime.KUBERNETES.traces(server, id).isEmpty());
        }
    }

    @Test
    void anImageWhoseJupyterRuntimeDirectoryIsRootsStillRunsItsServerWhichKeepsThoseFilesInMemory() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            // as an image saved on the Docker runtime has it: the directory was a root-owned mount point there
            String reference = "registry.example.com/team/root-runtime:1";
            Path context = Files.createDirectories(dataDir.resolve("build"));
            Files.writeString(context.resolve("Dockerfile"), "FROM " + dev.atelier.runtime.docker.BaseImage.REFERENCE
                    + "\nUSER root\nRUN mkdir -p /tmp/.jupyter-runtime && chmod 700 /tmp/.jupyter-runtime\n"
                    + "USER 1000\n");
            TestRuntime.docker().buildImageCmd(context.toFile()).withTags(java.util.Set.of(reference))
                    .exec(new com.github.dockerjava.api.command.BuildImageResultCallback()).awaitImageId();
            try {
                SignedClient api = server.client();
                Response image = api.post("/v1/{project_id}/images", "{\"swr_path\":\"" + reference + "\"}");
                assertThat(image.status()).as(image.body()).isEqualTo(200);
                String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("root-runtime")
                        .replace(TestServer.IMAGE_ID, image.json().get("id").asText())).json().get("id").asText();
                JsonNode running = awaitStatus(api, id, "RUNNING");
                assertThat(new Jupyter(running.get("url").asText(), running.get("token").asText())
                        .execute("import os; print(os.access('/tmp/.jupyter-runtime', os.W_OK))"))
                        .isEqualTo("True\n");
            } finally {
                TestRuntime.docker().removeImageCmd(reference).withForce(true).exec();
            }
        }
    }

    @Test
    void anEvictedPodIsReportedWithTheClustersReasonAndTheInstanceStartsAgainWithItsFiles() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "evicted");
            JsonNode running = awaitStatus(api, id, "RUNNING");
            new Jupyter(running.get("url").asText(), running.get("token").asText())
                    .execute("open('kept.txt', 'w').write('kept')");

            cluster.node().evict(id);
            JsonNode error = awaitStatus(api, id, "ERROR");
            assertThat(error.get("fail_reason").asText()).contains("evicted").contains("low on resource: memory");

            api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            JsonNode again = awaitStatus(api, id, "RUNNING");
            assertThat(new Jupyter(again.get("url").asText(), again.get("token").asText())
                    .execute("print(open('kept.txt').read())")).isEqualTo("kept\n");
            assertThat(cluster.node().podsOf(id)).as("the evicted pod is gone, one runs").hasSize(1);
        }
    }

    @Test
    void aCrashedServerIsReportedWithTheLastLinesOfItsLog() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "crashing");
            awaitStatus(api, id, "RUNNING");
            TestRuntime.docker().killContainerCmd(TestRuntime.KUBERNETES.servers(id).get(0)).exec();
            JsonNode error = awaitStatus(api, id, "ERROR");
            assertThat(error.get("fail_reason").asText()).contains("exited with status 137")
                    .contains("Last lines of its log").contains("Jupyter Server");
        }
    }

    @Test
    void aLostNodeIsShownWhileTheClusterWaitsAndTheInstanceStartsElsewhereWhenItGivesUp() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "stranded");
            JsonNode running = awaitStatus(api, id, "RUNNING");
            new Jupyter(running.get("url").asText(), running.get("token").asText())
                    .execute("open('kept.txt', 'w').write('on the volume')");

            cluster.node().loseNode();
            JsonNode lost = await().atMost(Duration.ofSeconds(20)).until(() -> get(api, id),
                    n -> n.path("fail_reason").asText().contains("does not answer"));
            assertThat(lost.get("status").asText()).as("nothing is concluded while the cluster waits")
                    .isEqualTo("RUNNING");

            cluster.node().giveUpOnLostNode();
            JsonNode error = awaitStatus(api, id, "ERROR");
            assertThat(error.get("fail_reason").asText()).containsAnyOf("is gone", "is being deleted");
            api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            JsonNode again = awaitStatus(api, id, "RUNNING");
            assertThat(new Jupyter(again.get("url").asText(), again.get("token").asText())
                    .execute("print(open('kept.txt').read())")).isEqualTo("on the volume\n");
        }
    }

    @Test
    void whileTheApiServerDoesNotAnswerARunningInstanceSaysSoAndRecoversWhenItAnswersAgain() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "weathered");
            awaitStatus(api, id, "RUNNING");
            List<Pod> before = cluster.node().podsOf(id);

            cluster.cutApiServer();
            JsonNode down = await().atMost(Duration.ofSeconds(20)).until(() -> get(api, id),
                    n -> n.path("fail_reason").asText().contains("does not answer"));
            assertThat(down.get("status").asText()).isEqualTo("RUNNING");
            assertThat(down.get("fail_reason").asText()).contains("API server");

            cluster.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(api, id).path("fail_reason").asText("").isEmpty());
            assertThat(get(api, id).get("status").asText()).isEqualTo("RUNNING");
            assertThat(cluster.node().podsOf(id)).extracting(p -> p.getMetadata().getName())
                    .as("the same pod, never a second").isEqualTo(before.stream()
                            .map(p -> p.getMetadata().getName()).toList());
        }
    }

    @Test
    void aServerStartedWhileTheApiServerDoesNotAnswerWatchesPodsOnceItDoes() throws Exception {
        cluster.cutApiServer();
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            var http = java.net.http.HttpClient.newHttpClient();
            var health = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/health/ready"))
                    .build();
            assertThat(http.send(health, java.net.http.HttpResponse.BodyHandlers.ofString()).body())
                    .contains("\"watching\":false");
            cluster.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.send(health,
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains("\"watching\":true"));
            SignedClient api = server.client();
            String id = create(api, "after-the-outage");
            awaitStatus(api, id, "RUNNING");
        }
    }

    @Test
    void withANamespacePerProjectEachProjectsInstancesAreInItsOwnNamespaceWithTheSourcesPoliciesAndPullSecrets()
            throws Exception {
        var client = cluster.client();
        var policy = client.resource(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
                .withNewMetadata().withName("instances").withNamespace(TestCluster.NAMESPACE).endMetadata()
                .withNewSpec().withNewPodSelector().addToMatchLabels("atelier.dev/installation", "any").endPodSelector()
                .withPolicyTypes("Ingress", "Egress").endSpec().build());
        var pullSecret = client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                .withName("regcred").withNamespace(TestCluster.NAMESPACE).endMetadata()
                .withType("kubernetes.io/dockerconfigjson").addToData(".dockerconfigjson", "e30=").build());
        policy.create();
        pullSecret.create();
        try (TestServer server = TestServer.onCluster(dataDir, new dev.atelier.server.ServerConfig.Cluster(
                cluster.kubeconfig(), "atelier-{project}", null, null, List.of("regcred"), "pod-ip",
                TestCluster.NAMESPACE))) {
            SignedClient a = server.client();
            String b = a.send("POST", "/admin/v1/projects", "{\"name\":\"second\"}").json().get("id").asText();
            a.send("PUT", "/admin/v1/projects/" + b + "/members/" + server.credentials().get("user_name").asText(),
                    "{\"role\":\"admin\"}");
            SignedClient inB = new SignedClient(server.url(), b, a.accessKey(),
                    server.credentials().get("secret_key").asText());
            String first = create(a, "in-a");
            String second = create(inB, "in-b");
            awaitStatus(a, first, "RUNNING");
            JsonNode running = awaitStatus(inB, second, "RUNNING");

            assertThat(cluster.node().podsOf(first)).singleElement().extracting(p -> p.getMetadata().getNamespace())
                    .isEqualTo("atelier-" + a.projectId());
            assertThat(cluster.node().podsOf(second)).singleElement().extracting(p -> p.getMetadata().getNamespace())
                    .isEqualTo("atelier-" + b);
            assertThat(cluster.node().podsOf(second).get(0).getSpec().getImagePullSecrets())
                    .extracting(r -> r.getName()).containsExactly("regcred");
            for (String project : List.of(a.projectId(), b)) {
                String ns = "atelier-" + project;
                assertThat(client.namespaces().withName(ns).get().getMetadata().getLabels())
                        .containsEntry("atelier.dev/project", project).containsKey("atelier.dev/installation");
                assertThat(client.network().v1().networkPolicies().inNamespace(ns).withName("instances").get())
                        .as("the source's policy, copied").isNotNull().extracting(n -> n.getSpec().getPolicyTypes())
                        .isEqualTo(List.of("Ingress", "Egress"));
                assertThat(client.secrets().inNamespace(ns).withName("regcred").get().getData())
                        .containsEntry(".dockerconfigjson", "e30=");
                assertThat(client.persistentVolumeClaims().inNamespace(ns).list().getItems()).hasSize(1);
            }
            assertThat(new Jupyter(running.get("url").asText(), running.get("token").asText())
                    .execute("print(6 * 7)")).as("through the gateway, in the other namespace").isEqualTo("42\n");

            inB.post("/v1/{project_id}/notebooks/" + second + "/stop", null);
            awaitStatus(inB, second, "STOPPED");
            inB.post("/v1/{project_id}/notebooks/" + second + "/start", null);
            awaitStatus(inB, second, "RUNNING");
            assertThat(cluster.node().podsOf(second)).singleElement().extracting(p -> p.getMetadata().getNamespace())
                    .isEqualTo("atelier-" + b);

            a.delete("/v1/{project_id}/notebooks/" + first);
            inB.delete("/v1/{project_id}/notebooks/" + second);
            await().atMost(Duration.ofSeconds(20)).until(() -> TestRuntime.KUBERNETES.traces(server, first).isEmpty()
                    && TestRuntime.KUBERNETES.traces(server, second).isEmpty());
        } finally {
            policy.delete();
            pullSecret.delete();
        }
    }

    @Test
    void instancesFromBeforeANamespacePerProjectStayInTheirNamespaceWithTheirFiles() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "older");
            JsonNode running = awaitStatus(api, id, "RUNNING");
            new Jupyter(running.get("url").asText(), running.get("token").asText())
                    .execute("open('kept.txt', 'w').write('kept')");

            server.stopServer();
            // as a state recorded before namespaces per project: it names no namespace
            var store = server.store();
            var before = store.get(id).orElseThrow();
            var state = new java.util.HashMap<>(before.runtimeState());
            assertThat(state.remove("namespace")).isEqualTo(TestCluster.NAMESPACE);
            store.update(before.withRuntime(state, before.url()), System.currentTimeMillis()).orElseThrow();
            server.startOnCluster(new dev.atelier.server.ServerConfig.Cluster(cluster.kubeconfig(),
                    "atelier-{project}", null, null, List.of(), "pod-ip", TestCluster.NAMESPACE));
            SignedClient after = server.client();
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> get(after, id).get("status").asText(), "RUNNING"::equals); // its pod is found
            api = after;
            api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
            awaitStatus(api, id, "STOPPED");
            api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
            JsonNode again = awaitStatus(api, id, "RUNNING");
            assertThat(cluster.node().podsOf(id)).singleElement().extracting(p -> p.getMetadata().getNamespace())
                    .as("where its volume is").isEqualTo(TestCluster.NAMESPACE);
            assertThat(new Jupyter(again.get("url").asText(), again.get("token").asText())
                    .execute("print(open('kept.txt').read())")).isEqualTo("kept\n");
        }
    }

    @Test
    void fromOutsideTheClusterNotebooksAreReachedThroughPortForwards() throws Exception {
        try (TestServer server = TestServer.onCluster(dataDir, new dev.atelier.server.ServerConfig.Cluster(
                cluster.kubeconfig(), TestCluster.NAMESPACE, null, null, List.of(), "port-forward"))) {
            SignedClient api = server.client();
            long before = cluster.node().portForwards();
            String id = create(api, "from-outside");
            JsonNode running = awaitStatus(api, id, "RUNNING");
            Jupyter jupyter = new Jupyter(running.get("url").asText(), running.get("token").asText());
            assertThat(jupyter.get("tree", true).statusCode()).isEqualTo(200);
            assertThat(jupyter.execute("print(6 * 7)")).as("a kernel over a WebSocket, through the forward")
                    .isEqualTo("42\n");
            assertThat(cluster.node().portForwards()).as("the notebook was reached through the API server")
                    .isGreaterThan(before);
        }
    }

    @Test
    void savingAnImageIsRefusedSayingTheRuntimeCannot() {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            SignedClient api = server.client();
            String id = create(api, "unsaved");
            awaitStatus(api, id, "RUNNING");
            Response refused = api.post("/v1/{project_id}/notebooks/" + id + "/create-image",
                    "{\"name\":\"mine\",\"namespace\":\"team\",\"tag\":\"v1\"}");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.errorCode()).isEqualTo("ModelArts.6336");
            assertThat(refused.json().get("error_msg").asText()).contains("cannot save instances as images");
        }
    }

    @Test
    void anInstanceOfADedicatedPoolRunsOnThePoolsLabelledNodesToleratingItsTaint() throws Exception {
        try (TestServer server = TestServer.on(TestRuntime.KUBERNETES, dataDir)) {
            String project = server.credentials().get("project_id").asText();
            server.stopServer();
            Files.writeString(dataDir.resolve("pools.json"), """
                    {"pools": [{"id": "pool-managed", "room": {}},
                      {"id": "pool-gpu-a", "type": "DEDICATED", "projects": ["%s"], "room": {"instances": 2},
                       "node_selector": {"atelier.dev/pool": "gpu-a"},
                       "tolerations": [{"key": "dedicated", "value": "gpu-a", "effect": "NoSchedule"}]}]}
                    """.formatted(project));
            server.start();
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("on-its-nodes")
                    .replaceFirst("\\{", "{\"pool_id\":\"pool-gpu-a\",")).json().get("id").asText();
            awaitStatus(api, id, "RUNNING");
            var spec = cluster.node().podsOf(id).get(0).getSpec();
            assertThat(spec.getNodeSelector()).containsEntry("atelier.dev/pool", "gpu-a");
            assertThat(spec.getTolerations()).singleElement().satisfies(t -> {
                assertThat(t.getKey()).isEqualTo("dedicated");
                assertThat(t.getOperator()).isEqualTo("Equal");
                assertThat(t.getValue()).isEqualTo("gpu-a");
                assertThat(t.getEffect()).isEqualTo("NoSchedule");
            });
            api.delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node().podsOf(id).isEmpty());
        }
    }
}
