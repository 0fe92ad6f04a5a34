package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.runtime.docker.BaseImage;
import dev.atelier.server.ServerConfig;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestRegistry;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestServer;
import dev.atelier.support.kube.TestCluster;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving an instance on the Kubernetes runtime as an image, with a real registry (Debian's docker-registry): what
 * the user changed in the pod becomes a layer on the pod's image, pushed by Atelier, and a new instance of the
 * saved image, pulled by the node from the registry, has it: files, links, dates, ownership; not the work volume.
 */
class ClusterImageSavingTest {
    @TempDir
    Path dir;

    /** The last layer of {@code repository:tag} in the registry, as stored (compressed). */
    private static byte[] lastLayer(TestRegistry registry, String repository, String tag) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://" + registry.address() + "/v2/" + repository;
        var manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(http.send(HttpRequest.newBuilder(
                java.net.URI.create(base + "/manifests/" + tag)).header("Accept",
                "application/vnd.docker.distribution.manifest.v2+json").build(), HttpResponse.BodyHandlers.ofString())
                .body());
        JsonNode layers = manifest.get("layers");
        return http.send(HttpRequest.newBuilder(java.net.URI.create(base + "/blobs/"
                + layers.get(layers.size() - 1).get("digest").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
    }

    @Test
    void whatTheUserChangedInThePodIsPushedAsALayerAndANewInstanceOfTheSavedImageHasIt() throws Exception {
        TestRuntime.KUBERNETES.assumeAvailable();
        TestCluster cluster = TestRuntime.cluster();
        var docker = TestRuntime.docker();
        List<String> made = new java.util.ArrayList<>(); // tags this test puts on the engine
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            // the base, in the registry, as a cluster's images are
            String repository = registry.address() + "/base/jupyter";
            docker.tagImageCmd(BaseImage.REFERENCE, repository, "12").exec();
            made.add(repository + ":12");
            docker.pushImageCmd(repository).withTag("12")
                    .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>()).awaitCompletion();
            try (TestServer server = TestServer.onCluster(dir.resolve("data"), new ServerConfig.Cluster(
                    cluster.kubeconfig(), TestCluster.NAMESPACE, null, null, List.of()), registry.address())) {
                SignedClient api = server.client();
                var registered = api.post("/v1/{project_id}/images", "{\"swr_path\":\"" + repository + ":12\"}");
                assertThat(registered.status()).as(registered.body()).isEqualTo(200);
                String base = registered.json().get("id").asText();
                String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("source")
                        .replace(TestServer.IMAGE_ID, base)).json().get("id").asText();
                JsonNode running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
                new Jupyter(running.get("url").asText(), running.get("token").asText()).execute(String.join("\n",
                        "import os",
                        "os.makedirs('/home/ma-user/.local/tools', exist_ok=True)",
                        "open('/home/ma-user/.local/tools/tool.py', 'w').write('print(42)')",
                        "os.symlink('tools/tool.py', '/home/ma-user/.local/link.py')",
                        "open('/home/ma-user/.local/tools/old.txt', 'w').write('unpacked with its date')",
                        "os.utime('/home/ma-user/.local/tools/old.txt', (978307200, 978307200))",
                        "open('/home/ma-user/work/mine.txt', 'w').write('in the work volume')"));

                var asked = api.post("/v1/{project_id}/notebooks/" + id + "/create-image",
                        "{\"name\":\"with-tools\",\"namespace\":\"team\",\"tag\":\"v1\"}");
                assertThat(asked.status()).as(asked.body()).isEqualTo(200);
                String image = asked.json().get("id").asText();
                JsonNode done = await().atMost(Duration.ofSeconds(120)).until(() ->
                        api.get("/v1/{project_id}/images/" + image).json(), i -> !i.get("status").asText()
                        .matches("INIT|CREATING"));
                assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("ACTIVE");
                assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(registry.catalog()).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).contains("team/with-tools");

                // the layer: what changed, and nothing of the cluster's or of the running server's own
                List<String> entries = new java.util.ArrayList<>();
                byte[] layer = lastLayer(registry, "team/with-tools", "v1");
                try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(layer)))) {
                    for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                        entries.add(e.getName());
                        if (!e.isDirectory() && !e.isSymbolicLink()) {
                            assertThat(new String(tar.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
                                    .as("the source's token, in " + e.getName())
                                    .doesNotContain(running.get("token").asText());
                        }
                    }
                }
                assertThat(entries).contains("home/ma-user/.local/tools/tool.py", "home/ma-user/.local/link.py")
                        .noneMatch(e -> e.startsWith("tmp/.jupyter-runtime") || e.startsWith("etc/host")
                                || e.startsWith("etc/resolv") || e.startsWith("etc/atelier/")
                                || e.startsWith("home/ma-user/work/") || e.startsWith("proc/"));

                String copy = api.post("/v1/{project_id}/notebooks", TestServer.createBody("copy")
                        .replace(TestServer.IMAGE_ID, image)).json().get("id").asText();
                JsonNode again = StartStopLeaseTest.awaitStatus(api, copy, "RUNNING");
                String pulled = cluster.node().podsOf(copy).get(0).getSpec().getContainers().get(0).getImage();
                made.add(pulled);
                assertThat(pulled).as("by digest: the tag may be pushed again")
                        .startsWith(registry.address() + "/team/with-tools@sha256:");
                assertThat(new Jupyter(again.get("url").asText(), again.get("token").asText()).execute(String.join(
                        "\n",
                        "import os",
                        "t = '/home/ma-user/.local/tools/'",
                        "print(open(t + 'tool.py').read(), os.readlink('/home/ma-user/.local/link.py'),",
                        "      open(t + 'old.txt').read(), int(os.stat(t + 'old.txt').st_mtime),",
                        "      os.stat(t + 'tool.py').st_uid, os.path.exists('/home/ma-user/work/mine.txt'))")))
                        .isEqualTo("print(42) tools/tool.py unpacked with its date 978307200 1000 False\n");
            }
        } finally {
            for (String ref : made) {
                try {
                    docker.removeImageCmd(ref).withForce(true).exec();
                } catch (RuntimeException e) {
                    // not there
                }
            }
        }
    }
}
