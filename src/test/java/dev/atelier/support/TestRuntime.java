package dev.atelier.support;

import dev.atelier.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The runtimes the end-to-end suites run against: local processes and containers on the Docker engine at
 * /var/run/docker.sock, each the real thing, and pods in a {@link dev.atelier.support.kube.TestCluster} (fabric8's
 * mock API server with a node agent that runs pods as containers on that engine, since no real API server runs
 * here). Where no engine answers, the Docker and Kubernetes runs are skipped, unless
 * {@code ATELIER_TEST_DOCKER=required} (as CI sets it), where they fail.
 */
public enum TestRuntime {
    LOCAL, DOCKER, KUBERNETES;

    ServerConfig.Engine engine() {
        return switch (this) {
            case LOCAL -> ServerConfig.Engine.LOCAL;
            case DOCKER -> new ServerConfig.Engine("docker", null, System.getenv("ATELIER_TEST_REGISTRY"), null, null);
            case KUBERNETES -> new ServerConfig.Engine("kubernetes", null, null, null, null,
                    new ServerConfig.Cluster(cluster().kubeconfig(), dev.atelier.support.kube.TestCluster.NAMESPACE,
                            null, null, List.of()));
        };
    }

    /** The test cluster of {@link #KUBERNETES}. */
    public static dev.atelier.support.kube.TestCluster cluster() {
        return dev.atelier.support.kube.TestCluster.shared();
    }

    /** Skips (or, where the engine is required, fails) the test when this runtime cannot run here. */
    public void assumeAvailable() {
        if (this != LOCAL && !dockerAnswers()) {
            if ("required".equals(System.getenv("ATELIER_TEST_DOCKER"))) {
                throw new AssertionError("ATELIER_TEST_DOCKER=required, and no Docker engine answers at "
                        + "/var/run/docker.sock");
            }
            Assumptions.abort("no Docker engine answers at /var/run/docker.sock");
        }
    }

    /**
     * What runs the instance's notebook server on this runtime: the server process's pid (local), the container's
     * id (Docker); empty when nothing runs.
     */
    public List<String> servers(String instanceId) {
        if (this == LOCAL) {
            return Processes.matching("/notebook/" + instanceId + "/").stream().map(p -> Long.toString(p.pid()))
                    .toList();
        }
        if (this == KUBERNETES) {
            return docker().listContainersCmd().withLabelFilter(Map.of("atelier.dev/instance", instanceId)).exec()
                    .stream().map(c -> c.getId()).toList();
        }
        return docker().listContainersCmd().withLabelFilter(Map.of("dev.atelier.instance", instanceId)).exec()
                .stream().map(c -> c.getId()).toList();
    }

    /**
     * The request ids the engine's records of the instance's running server are labelled with: its containers'
     * (Docker), its pods' (Kubernetes); none on the local runtime, which has no engine records.
     */
    public List<String> requestLabels(String instanceId) {
        return switch (this) {
            case LOCAL -> List.of();
            case DOCKER -> docker().listContainersCmd().withLabelFilter(Map.of("dev.atelier.instance", instanceId))
                    .exec().stream().map(c -> c.getLabels().get("dev.atelier.request-id")).toList();
            case KUBERNETES -> cluster().client().pods().inAnyNamespace().withLabel("atelier.dev/instance", instanceId)
                    .list().getItems().stream().map(p -> p.getMetadata().getLabels().get("atelier.dev/request-id"))
                    .toList();
        };
    }

    /** Everything the runtime keeps of an instance: files, and on Docker containers (running or not) and networks. */
    public List<String> traces(TestServer server, String instanceId) {
        return traces(server.dataDir(), instanceId);
    }

    /** As {@link #traces(TestServer, String)}, for the server on {@code dataDir}. */
    public List<String> traces(Path dataDir, String instanceId) {
        List<String> found = new ArrayList<>();
        if (this == KUBERNETES) {
            var c = cluster().client();
            String label = "atelier.dev/instance";
            c.pods().inAnyNamespace().withLabel(label, instanceId).list().getItems()
                    .forEach(p -> found.add("pod " + p.getMetadata().getName()));
            c.persistentVolumeClaims().inAnyNamespace().withLabel(label, instanceId).list().getItems()
                    .forEach(p -> found.add("claim " + p.getMetadata().getName()));
            c.secrets().inAnyNamespace().withLabel(label, instanceId).list().getItems()
                    .forEach(p -> found.add("secret " + p.getMetadata().getName()));
            c.services().inAnyNamespace().withLabel(label, instanceId).list().getItems()
                    .forEach(p -> found.add("service " + p.getMetadata().getName()));
            docker().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(label, instanceId)).exec()
                    .forEach(k -> found.add("container " + k.getNames()[0]));
            Path claim = cluster().node().claimDir(dev.atelier.support.kube.TestCluster.NAMESPACE,
                    "atelier-" + instanceId + "-work");
            if (Files.exists(claim)) {
                found.add(claim.toString());
            }
            return found;
        }
        for (String dir : List.of("instances", "containers", "mounts")) {
            Path p = dataDir.resolve(dir).resolve(instanceId);
            if (Files.exists(p)) {
                found.add(p.toString());
            }
        }
        found.addAll(this == LOCAL ? servers(instanceId) : docker().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("dev.atelier.instance", instanceId)).exec().stream()
                .map(c -> "container " + c.getNames()[0]).toList());
        if (this == DOCKER) {
            docker().listNetworksCmd().exec().stream().filter(n -> n.getName().endsWith(instanceId))
                    .forEach(n -> found.add("network " + n.getName()));
        }
        return found;
    }

    /** Removes the containers and networks of the installation on {@code dataDir}, whatever the test left. */
    public static void removeContainersOf(Path dataDir) {
        Path idFile = dataDir.resolve("installation-id");
        if (!Files.exists(idFile)) {
            return;
        }
        try {
            String label = "dev.atelier.installation=" + Files.readString(idFile).strip();
            for (var c : docker().listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec()) {
                docker().removeContainerCmd(c.getId()).withForce(true).exec();
            }
            for (var n : docker().listNetworksCmd().withFilter("label", List.of(label)).exec()) {
                docker().removeNetworkCmd(n.getId()).exec();
            }
            for (var i : docker().listImagesCmd().withLabelFilter(label).exec()) { // saved by its instances
                docker().removeImageCmd(i.getId()).withForce(true).exec();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Removes the pods, claims and secrets the installation on {@code dataDir} made in the test cluster. */
    public static void removePodsOf(Path dataDir) {
        Path idFile = dataDir.resolve("installation-id");
        if (!Files.exists(idFile) || dev.atelier.support.kube.TestCluster.started() == null) {
            return;
        }
        try {
            String installation = Files.readString(idFile).strip();
            var c = cluster().client();
            String label = "atelier.dev/installation";
            c.pods().inAnyNamespace().withLabel(label, installation).delete();
            c.persistentVolumeClaims().inAnyNamespace().withLabel(label, installation).delete();
            c.secrets().inAnyNamespace().withLabel(label, installation).delete();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static DockerClient docker;

    /** A client of the test host's Docker engine, for looking at what the runtime made. */
    public static synchronized DockerClient docker() {
        if (docker == null) {
            var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                    .withDockerHost("unix:///var/run/docker.sock").build();
            docker = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                    .dockerHost(config.getDockerHost()).build());
        }
        return docker;
    }

    private static Boolean answers;

    private static synchronized boolean dockerAnswers() {
        if (answers == null) {
            answers = false;
            if (Files.exists(Path.of("/var/run/docker.sock"))) {
                try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                    ch.connect(java.net.UnixDomainSocketAddress.of("/var/run/docker.sock"));
                    answers = true;
                } catch (java.io.IOException e) {
                    answers = false;
                }
            }
        }
        return answers;
    }
}
