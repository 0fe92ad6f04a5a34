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
 * The runtimes the end-to-end suites run against, each the real thing: local processes, and containers on the
 * Docker engine at /var/run/docker.sock. Where no engine answers, the Docker runs are skipped, unless
 * {@code ATELIER_TEST_DOCKER=required} (as CI sets it), where they fail.
 */
public enum TestRuntime {
    LOCAL, DOCKER;

    ServerConfig.Engine engine() {
        return this == LOCAL ? ServerConfig.Engine.LOCAL
                : new ServerConfig.Engine("docker", null, System.getenv("ATELIER_TEST_REGISTRY"), null, null);
    }

    /** Skips (or, where the engine is required, fails) the test when this runtime cannot run here. */
    public void assumeAvailable() {
        if (this == DOCKER && !dockerAnswers()) {
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
        return docker().listContainersCmd().withLabelFilter(Map.of("dev.atelier.instance", instanceId)).exec()
                .stream().map(c -> c.getId()).toList();
    }

    /** Everything the runtime keeps of an instance: files, and on Docker containers (running or not) and networks. */
    public List<String> traces(TestServer server, String instanceId) {
        return traces(server.dataDir(), instanceId);
    }

    /** As {@link #traces(TestServer, String)}, for the server on {@code dataDir}. */
    public List<String> traces(Path dataDir, String instanceId) {
        List<String> found = new ArrayList<>();
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
