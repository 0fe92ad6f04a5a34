package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.CrashPoints;
import dev.atelier.support.Processes;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestRuntime;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server is killed (halted, as by kill -9) at each named point inside the steps of a create, a stop and a
 * delete, with every instance isolated; a fresh server on the same data dir must then bring each accepted request
 * to the state it asked for, with exactly one notebook server for a running instance and nothing left of a
 * deleted one. Each point is reached deterministically ({@link CrashPoints}), not by a kill at a random moment.
 * Runs with sandboxed local processes and with Docker containers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CrashPointsTest {
    @TempDir
    Path dataDir;
    ServeProcess server;

    abstract TestRuntime runtime();

    /** The serve command's options that choose the runtime. */
    abstract List<String> runtimeOptions();

    /** The points the runtime has besides the common ones. */
    abstract Stream<Arguments> ownPoints();

    @BeforeEach
    void isolationCanRunHere() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "isolated instances need root");
        runtime().assumeAvailable();
    }

    /** Points of the runtimes that keep instances' volumes on the host. */
    static Stream<Arguments> hostVolumePoints() {
        return Stream.of(
                Arguments.of("volume.allocated", "create"), // the volume image exists, its file system does not
                Arguments.of("launch.storage", "create")); // storage ready, nothing started
    }

    Stream<Arguments> points() {
        return Stream.concat(ownPoints(), Stream.of(
                Arguments.of("launch.spawned", "create"), // a server runs that no record names
                Arguments.of("launch.recorded", "create"), // recorded, not yet ready
                Arguments.of("stop.begin", "stop"),
                Arguments.of("stop.stopped", "stop"), // the server is gone, the record says STOPPING
                Arguments.of("delete.stopped", "delete"),
                Arguments.of("delete.released", "delete"))); // the files are gone, the record is not
    }

    @ParameterizedTest(name = "killed at {0} during a {1}")
    @MethodSource("points")
    void aKillAtAnyStepLosesNothingAndDuplicatesNothing(String point, String operation) throws Exception {
        if (point.equals("volume.allocated")) { // a volume made at launch, half-made: not the spare made ahead
            try (var spares = Files.list(Files.createDirectories(dataDir.resolve("volumes")))) {
                for (Path spare : spares.filter(p -> p.getFileName().toString().startsWith(".spare-")).toList()) {
                    Files.delete(spare);
                }
            }
        }
        server = serve(Map.of(CrashPoints.VARIABLE, point));
        SignedClient api = client(server);
        String id = null;
        try {
            id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("crash")).json().get("id").asText();
        } catch (IllegalStateException cutOff) {
            // the server may die before its answer to the create is written: the create was accepted all the same
            assertThat(operation).isEqualTo("create");
        }
        if (!operation.equals("create")) {
            String running = id;
            await().atMost(Duration.ofSeconds(60)).until(() -> status(api, running).equals("RUNNING"));
            String path = "/v1/{project_id}/notebooks/" + running;
            try {
                assertThat(operation.equals("stop") ? api.post(path + "/stop", null).status()
                        : api.delete(path).status()).isEqualTo(200);
            } catch (IllegalStateException cutOff) {
                // the server died before it could answer; the request was recorded all the same (checked below)
            }
        }
        assertThat(server.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("halted at " + point)
                .isTrue();
        assertThat(server.process().exitValue()).isEqualTo(137);
        assertThat(server.output()).anyMatch(l -> l.contains("crash point " + point + " reached"));

        server = serve(Map.of());
        SignedClient after = client(server);
        if (id == null) {
            JsonNode listed = after.get("/v1/{project_id}/notebooks?name=crash").json().get("data");
            assertThat(listed).as("the create was recorded before the server died").hasSize(1);
            id = listed.get(0).get("id").asText();
        }
        String created = id;
        switch (operation) {
            case "create" -> {
                await().atMost(Duration.ofSeconds(60)).until(() -> status(after, created).equals("RUNNING"));
                assertThat(servers(created)).as("one notebook server for " + created).isEqualTo(1);
                JsonNode nb = after.get("/v1/{project_id}/notebooks/" + created).json();
                assertThat(after.get("/notebook/" + created + "/api/contents").status()).as("it serves its volume")
                        .isEqualTo(200);
                assertThat(nb.get("fail_reason")).isNull();
            }
            case "stop" -> {
                await().atMost(Duration.ofSeconds(60)).until(() -> status(after, created).equals("STOPPED"));
                assertThat(servers(created)).isZero();
            }
            default -> {
                await().atMost(Duration.ofSeconds(60)).until(() -> after.get("/v1/{project_id}/notebooks/" + created)
                        .status() == 400);
                assertThat(servers(created)).isZero();
                assertThat(Processes.matching("/notebook/" + created + "/")).isEmpty();
                assertThat(runtime().traces(dataDir, created)).as("nothing left of a deleted instance").isEmpty();
                for (Path left : List.of(dataDir.resolve("instances").resolve(created),
                        dataDir.resolve("volumes").resolve(created + ".ext4"), dataDir.resolve("mounts").resolve(created),
                        dataDir.resolve("instance-logs").resolve(created + ".log"),
                        dataDir.resolve("net").resolve(created + ".sock"), dataDir.resolve("net").resolve(created + ".log"))) {
                    assertThat(left).as("nothing left of a deleted instance").doesNotExist();
                }
            }
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (server != null) {
                if (server.process().waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
                    server = serve(Map.of()); // it died (as the test meant it to): a live one clears up
                }
                SignedClient api = client(server);
                for (JsonNode n : api.get("/v1/{project_id}/notebooks/all?limit=100").json().get("data")) {
                    api.delete("/v1/{project_id}/notebooks/" + n.get("id").asText());
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/all?limit=100")
                        .json().get("data").isEmpty());
                server.process().destroy();
                server.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            Processes.matching(dataDir.toString()).forEach(ProcessHandle::destroyForcibly);
            TestRuntime.removeContainersOf(dataDir);
            TestRuntime.removePodsOf(dataDir);
            TestServer.unmountUnder(dataDir);
        }
    }

    /**
     * Notebook servers of the instance: the jupyter-server processes themselves (not the sandbox around them), or
     * its running containers.
     */
    private long servers(String id) {
        if (runtime() != TestRuntime.LOCAL) {
            return runtime().servers(id).size();
        }
        return Processes.matching("/notebook/" + id + "/").stream().filter(p -> comm(p.pid()).startsWith("jupyter-serv"))
                .count();
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String status(SignedClient api, String id) {
        return api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText();
    }

    private ServeProcess serve(Map<String, String> env) throws Exception {
        List<String> args = new java.util.ArrayList<>(runtimeOptions());
        args.addAll(List.of("--port", "0", "--data-dir", dataDir.toString()));
        return ServeProcess.start(dataDir, env, args);
    }

    private SignedClient client(ServeProcess p) throws Exception {
        JsonNode creds = new ObjectMapper().readTree(dataDir.resolve("credentials.json").toFile());
        return new SignedClient(p.url(), creds.get("project_id").asText(), creds.get("access_key").asText(),
                creds.get("secret_key").asText());
    }
}

class SandboxCrashPointsTest extends CrashPointsTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.LOCAL;
    }

    @Override
    List<String> runtimeOptions() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        return List.of("--sandbox");
    }

    @Override
    Stream<Arguments> ownPoints() {
        return hostVolumePoints();
    }
}

class ContainerCrashPointsTest extends CrashPointsTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.DOCKER;
    }

    @Override
    List<String> runtimeOptions() {
        return List.of("--runtime", "docker");
    }

    @Override
    Stream<Arguments> ownPoints() {
        return Stream.concat(hostVolumePoints(),
                Stream.of(Arguments.of("launch.created", "create"))); // a container exists, not started, unrecorded
    }
}

class PodCrashPointsTest extends CrashPointsTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.KUBERNETES;
    }

    @Override
    List<String> runtimeOptions() {
        return List.of("--runtime", "kubernetes", "--kubeconfig", TestRuntime.cluster().kubeconfig().toString(),
                "--namespace", dev.atelier.support.kube.TestCluster.NAMESPACE);
    }

    @Override
    Stream<Arguments> ownPoints() {
        return Stream.of(Arguments.of("launch.claimed", "create")); // a secret and a claim exist, no pod, unrecorded
    }
}
