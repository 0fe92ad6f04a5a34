package dev.atelier.support.kube;

import dev.atelier.runtime.docker.BaseImage;
import dev.atelier.runtime.docker.DockerEngine;
import dev.atelier.support.CuttableProxy;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kubernetes cluster for tests, since no real API server can run here: fabric8's mock API server in CRUD mode
 * (objects are stored, listed, watched and deleted as an API server would), with exec and logs answered from the
 * pods' containers, and one {@link NodeAgent} that plays the scheduler, the storage provisioner and a kubelet: it
 * runs every pod as a container on the host's Docker engine and writes the pod's status as a kubelet would. Atelier
 * reaches the API server through a {@link CuttableProxy}, so a test can make it stop answering.
 */
public final class TestCluster implements AutoCloseable {
    public static final String NAMESPACE = "atelier-instances";
    /** Header of the node agent's own calls, so that Atelier's can be counted apart. */
    static final String AGENT_HEADER = "X-Test-Node-Agent";

    private static TestCluster shared;

    private final Path root;
    private final ClusterDispatcher dispatcher;
    private final KubernetesMockServer server;
    private final CuttableProxy proxy;
    private final KubernetesClient admin;
    private final NodeAgent agent;
    private final Path kubeconfig;

    private TestCluster(Path root) throws IOException {
        this.root = root;
        this.dispatcher = new ClusterDispatcher();
        this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        this.proxy = new CuttableProxy(server.getPort());
        this.admin = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + server.getPort()).withNamespace(NAMESPACE)
                .withCustomHeaders(Map.of(AGENT_HEADER, "1")).withRequestRetryBackoffLimit(2).build()).build();
        this.agent = new NodeAgent(admin, root.resolve("node"));
        dispatcher.serveFrom(agent);
        this.kubeconfig = root.resolve("kubeconfig");
        Files.writeString(kubeconfig, String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: test",
                "  cluster:",
                "    server: http://127.0.0.1:" + proxy.port(),
                "contexts:",
                "- name: test",
                "  context: {cluster: test, user: test, namespace: " + NAMESPACE + "}",
                "current-context: test",
                "users:",
                "- name: test",
                "  user: {token: test}",
                ""));
        offer(Map.of());
    }

    /**
     * The cluster of this test run, started at first use (with the built-in image on the Docker engine, which the
     * node agent runs) and stopped when the tests end.
     */
    public static synchronized TestCluster shared() {
        if (shared == null) {
            try {
                Path root = Files.createTempDirectory("atelier-test-cluster");
                var docker = DockerEngine.connect("unix:///var/run/docker.sock", root, null, null, null);
                BaseImage.ensure(docker, root.resolve("tmp"), line -> { });
                shared = new TestCluster(root);
                Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** The cluster of this test run, or null when no test has started it. */
    public static synchronized TestCluster started() {
        return shared;
    }

    /** A kubeconfig that reaches this cluster's API server (through the proxy). */
    public Path kubeconfig() {
        return kubeconfig;
    }

    /** A client of the cluster, for looking at what Atelier made; its calls are not counted as Atelier's. */
    public KubernetesClient client() {
        return admin;
    }

    public NodeAgent node() {
        return agent;
    }

    /** The extended resources the node offers (e.g. {@code nvidia.com/gpu: 1}); none by default. */
    public void offer(Map<String, Integer> extended) {
        Map<String, Quantity> allocatable = new LinkedHashMap<>();
        allocatable.put("cpu", new Quantity("64"));
        allocatable.put("memory", new Quantity("256Gi"));
        allocatable.put("pods", new Quantity("1000"));
        extended.forEach((name, count) -> allocatable.put(name, new Quantity(Integer.toString(count))));
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(NodeAgent.NODE).endMetadata()
                .withNewStatus().withAllocatable(allocatable).withCapacity(allocatable).endStatus().build())
                .createOr(op -> op.update());
        agent.offer(extended);
    }

    /** Labels the node, until the next {@link #offer}, which writes it anew without. */
    public void labelNode(String key, String value) {
        admin.nodes().withName(NodeAgent.NODE).edit(n -> new NodeBuilder(n).editMetadata().addToLabels(key, value)
                .endMetadata().build());
    }

    /** The API server stops answering Atelier (connections dropped, new ones refused), until {@link #restore}. */
    public void cutApiServer() {
        proxy.cut();
    }

    public void restore() {
        proxy.restore();
    }

    /** How many calls Atelier has made to the API server so far (the node agent's not counted). */
    public long atelierCalls() {
        return dispatcher.atelierCalls();
    }

    @Override
    public void close() {
        agent.close();
        admin.close();
        try {
            proxy.close();
        } catch (IOException e) {
            // closing anyway
        }
        server.destroy();
    }
}
