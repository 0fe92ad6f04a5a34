package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import dev.atelier.support.TestRuntime;
import org.junit.jupiter.api.io.TempDir;

/**
 * Isolated instances, tried from inside their kernels: what one instance can see of the host and of another
 * instance, and whether its flavor's memory, CPU, process and storage limits hold. Runs on each runtime that
 * isolates: sandboxed local processes and Docker containers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class IsolationTest {
    /** One small flavor for the limits, one large for the instance that must not see the other's files. */
    static final String FLAVORS = """
            [
              {"id": "tiny", "vcpus": 1, "memory_mib": 256, "max_processes": 120},
              {"id": "roomy", "vcpus": 2, "memory_mib": 4096}
            ]
            """;

    @TempDir
    static Path dataDir;
    TestServer server;
    SignedClient api;
    String tiny;
    String roomy;
    Jupyter tinyJupyter;
    Jupyter roomyJupyter;

    /** Starts the server on the runtime under test, or skips the suite where the host cannot isolate. */
    abstract TestServer startServer(Path dataDir);

    abstract TestRuntime runtime();

    /** What the server reports it enforces, in its readiness answer. */
    abstract List<String> reportedEnforcement();

    /** The host's address as an instance sees it (its network's gateway). */
    abstract String hostAddressSeenFrom(String instanceId);

    /** Addresses of another instance's notebook server that this runtime makes reachable to nobody else. */
    abstract List<String> otherInstanceAddresses(String instanceId);

    /** What keeps instances apart on the host, beyond what their kernels see. */
    abstract void assertSeparateOnTheHost(String one, String other) throws Exception;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "isolated instances with limits need the server to run as root");
        Files.writeString(dataDir.resolve("flavors.json"), FLAVORS);
        server = startServer(dataDir);
        api = server.client();
        tiny = create("tiny");
        roomy = create("roomy");
        tinyJupyter = running(tiny);
        roomyJupyter = running(roomy);
    }

    String create(String flavor) {
        return api.post("/v1/{project_id}/notebooks", TestServer.createBody(flavor).replace(TestServer.FLAVOR, flavor))
                .json().get("id").asText();
    }

    Jupyter running(String id) {
        JsonNode nb = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
        return new Jupyter(nb.get("url").asText(), nb.get("token").asText());
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theServerReportsWhatItEnforces() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.url() + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).contains(reportedEnforcement());
    }

    @Test
    void codeInAnInstanceReachesNeitherTheHostsLoopbackNorAnotherInstanceButDoesReachOut() throws Exception {
        int apiPort = URI.create(server.url()).getPort();
        int roomyPort = Integer.parseInt(server.store().get(roomy).orElseThrow().url()
                .replaceAll("^http://127.0.0.1:(\\d+)/.*", "$1"));
        String host = hostAddressSeenFrom(tiny);
        // a listener on one of the host's own outside addresses stands for the world outside
        java.net.InetAddress outside = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())
                // not another Docker network's bridge: Docker keeps its networks from reaching each other
                .stream().filter(i -> !i.getName().equals("lo") && !i.getName().matches("(br-|docker|veth).*")).flatMap(i -> java.util.Collections.list(
                        i.getInetAddresses()).stream()).filter(a -> a instanceof java.net.Inet4Address
                        && !a.isLoopbackAddress()).findFirst().orElse(null);
        try (java.net.ServerSocket world = outside == null ? null : new java.net.ServerSocket(0, 50, outside)) {
            List<String> targets = new java.util.ArrayList<>(List.of(
                    "127.0.0.1:5432", host + ":5432", // a PostgreSQL on the host's loopback (CI runs one)
                    "127.0.0.1:" + apiPort, host + ":" + apiPort, // Atelier's API
                    "127.0.0.1:" + roomyPort, host + ":" + roomyPort)); // another instance's notebook port
            targets.addAll(otherInstanceAddresses(roomy));
            int unreachable = targets.size();
            if (world != null) {
                targets.add(outside.getHostAddress() + ":" + world.getLocalPort());
            }
            String out = tinyJupyter.execute(String.join("\n",
                    "import socket",
                    "for t in " + targets.stream().map(t -> "'" + t + "'").toList() + ":",
                    "    h, p = t.split(':')",
                    "    try:",
                    "        socket.create_connection((h, int(p)), timeout=3).close()",
                    "        print(t, 'reached')",
                    "    except OSError:",
                    "        print(t, 'unreachable')"));
            for (String t : targets.subList(0, unreachable)) {
                assertThat(out).as(out).contains(t + " unreachable");
            }
            if (world != null) {
                assertThat(out).as("outbound access, through the instance's own link").contains(targets.get(unreachable)
                        + " reached");
            }
        }
        // the gateway still reaches the notebook, kernels run (this test ran its code in one), and so do terminals,
        // in the same network
        assertThat(api.get("/notebook/" + tiny + "/api/status").status()).isEqualTo(200);
        // the markers are computed by the shell, so that the terminal's echo of what was typed never matches them
        String shown = tinyJupyter.terminal("echo term-$((6*7)); python3 -c \"import socket; "
                + "socket.create_connection(('" + host + "', " + apiPort + "), timeout=3)\" || echo api-$((2+3))-unreachable",
                "api-5-unreachable");
        assertThat(shown).contains("term-42").contains("api-5-unreachable");
    }

    @Test
    void anInstanceSeesNeitherTheHostsFilesNorAnotherInstance() throws Exception {
        Path otherHome = server.dataDir().resolve("instances").resolve(roomy);
        String out = tinyJupyter.execute(String.join("\n",
                "import os",
                "print(os.getuid(), os.getcwd())",
                "print(os.path.exists(" + py(otherHome.toString()) + ") or os.path.exists(" + py(server.dataDir()
                        .resolve("containers").resolve(roomy).toString()) + "), os.path.exists(" + py(server.dataDir().toString())
                        + "), os.path.exists(" + py(server.dataDir().resolve("atelier.db").toString()) + "))",
                "comms = [open(f'/proc/{p}/comm').read().strip() for p in os.listdir('/proc') if p.isdigit()]",
                "print(len(comms) < 50, 'java' in comms)",
                "try:",
                "    open('/usr/lib/intruder', 'w')",
                "    print('wrote /usr')",
                "except OSError:",
                "    print('read-only')",
                "open('/tmp/tiny-secret', 'w').write('x')",
                "print(sorted(os.listdir('/home')))"));
        // its own pid namespace: a handful of processes, none of them the server's
        assertThat(out).isEqualTo("1000 /home/ma-user/work\nFalse False False\nTrue False\nread-only\n['ma-user']\n");
        assertThat(roomyJupyter.execute("import os\nprint(os.path.exists('/tmp/tiny-secret'))")).isEqualTo("False\n");

        assertSeparateOnTheHost(tiny, roomy);
        assertThat(Files.getPosixFilePermissions(server.dataDir().resolve("atelier.db")).toString())
                .doesNotContain("OTHERS").doesNotContain("GROUP");
    }

    @Test
    void aKernelOverItsMemoryLimitIsKilledAndTheInstanceSaysSo() throws Exception {
        assertThatThrownBy(() -> tinyJupyter.execute("hog = bytearray(600 * 1024 * 1024)\nhog[::4096] = b'x' * "
                + "len(hog[::4096])\nprint('survived')")).isInstanceOf(Jupyter.KernelDied.class);
        JsonNode nb = await().atMost(Duration.ofSeconds(15)).until(() ->
                api.get("/v1/{project_id}/notebooks/" + tiny).json(), n -> n.path("fail_reason").asText()
                .contains("memory"));
        assertThat(nb.get("status").asText()).isEqualTo("RUNNING");
        JsonNode latest = api.get("/v1/{project_id}/notebooks/" + tiny + "/events?limit=1").json().get("data").get(0);
        assertThat(latest.get("type").asText()).isEqualTo("WARNING");
        assertThat(latest.get("level").asText()).isEqualTo("WARNING");
        assertThat(latest.get("actor").get("type").asText()).isEqualTo("HEALTH_CHECK");
        assertThat(latest.get("message").asText()).isEqualTo(nb.get("fail_reason").asText());
    }

    @Test
    void theCpuQuotaHoldsABusyLoopToOneCore() throws Exception {
        String out = roomyJupyter.execute("print('unused')"); // warm up the other instance's kernel
        assertThat(out).isEqualTo("unused\n");
        String ratio = tinyJupyter.execute(String.join("\n",
                "import multiprocessing, os, time",
                "def spin(seconds):",
                "    end = time.time() + seconds",
                "    while time.time() < end: pass",
                "t = time.time()",
                "ps = [multiprocessing.Process(target=spin, args=(2,)) for _ in range(2)]",
                "[p.start() for p in ps]; [p.join() for p in ps]",
                "wall = time.time() - t",
                "c = os.times()",
                "print(round((c.children_user + c.children_system) / wall, 2))"));
        // two busy processes get about one core between them, not two
        assertThat(Double.parseDouble(ratio.trim())).isLessThan(1.3);
    }

    @Test
    void theProcessLimitHolds() throws Exception {
        String out = tinyJupyter.execute(String.join("\n",
                "import subprocess",
                "procs = []",
                "try:",
                "    for _ in range(200):",
                "        procs.append(subprocess.Popen(['sleep', '30']))",
                "    print('started all 200')",
                "except OSError as e:",
                "    print('refused after', len(procs))",
                "finally:",
                "    [p.kill() for p in procs]"));
        assertThat(out).startsWith("refused after ");
        // the notebook server's and the kernel's own threads count too
        assertThat(Integer.parseInt(out.trim().substring("refused after ".length()))).isLessThan(120);
    }

    @Test
    void theVolumeHasAHardCapacity() throws Exception {
        String out = roomyJupyter.execute(String.join("\n",
                "import os, shutil",
                "print(round(shutil.disk_usage('.').total / 2**30))",
                "fd = os.open('big', os.O_CREAT | os.O_WRONLY)",
                "try:",
                "    os.posix_fallocate(fd, 0, 6 * 2**30)",
                "    print('allocated 6 GB')",
                "except OSError as e:",
                "    print(e.strerror)",
                "finally:",
                "    os.close(fd); os.remove('big')"));
        assertThat(out).isEqualTo("5\nNo space left on device\n");
    }

    @Test
    void attachedStorageWorksInsideTheSandboxAndSurvivesTheInstance() throws Exception {
        Path bucket = Files.createDirectories(server.dataDir().resolve("obs/shared/in"));
        Files.writeString(bucket.resolve("hello.txt"), "from the object store");
        String id = create("roomy");
        Jupyter jupyter = running(id);
        String base = "/v1/{project_id}/notebooks/" + id + "/storage";
        String mount = api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/in/\","
                + "\"uri\":\"obs://shared/in/\"}").json().get("id").asText();
        DynamicStorageTest.awaitMount(api, base + "/" + mount, "MOUNTED");
        assertThat(jupyter.execute("print(open('data/in/hello.txt').read())\nopen('data/in/out.txt', 'w').write('x')"))
                .isEqualTo("from the object store\n");
        assertThat(bucket.resolve("out.txt")).hasContent("x");

        // across a stop and start the storage comes back
        api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
        StartStopLeaseTest.awaitStatus(api, id, "STOPPED");
        api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
        Jupyter again = running(id);
        DynamicStorageTest.awaitMount(api, base + "/" + mount, "MOUNTED");
        assertThat(again.execute("print(open('data/in/out.txt').read())")).isEqualTo("x\n");

        api.delete("/v1/{project_id}/notebooks/" + id);
        await().atMost(Duration.ofSeconds(20)).until(() -> runtime().traces(server, id).isEmpty());
        assertThat(bucket.resolve("hello.txt")).hasContent("from the object store");
        assertThat(bucket.resolve("out.txt")).hasContent("x");
        assertThat(server.dataDir().resolve("volumes").resolve(id + ".ext4")).doesNotExist();
    }

    @Test
    void aStoppedInstancesVolumeGrowsAtItsNextStart() throws Exception {
        String id = create("roomy");
        running(id);
        api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
        StartStopLeaseTest.awaitStatus(api, id, "STOPPED");
        var grown = api.send("PUT", "/v1/{project_id}/notebooks/" + id, "{\"storage_new_size\":7}");
        assertThat(grown.status()).as(grown.body()).isEqualTo(200);
        api.post("/v1/{project_id}/notebooks/" + id + "/start", null);
        Jupyter jupyter = running(id);
        assertThat(jupyter.execute("import shutil\nprint(round(shutil.disk_usage('.').total / 2**30))"))
                .isEqualTo("7\n");
        api.delete("/v1/{project_id}/notebooks/" + id);
    }

    @Test
    void aLinkPlantedInAttachedStorageCannotLeadTheServerOutOfTheObjectStore() throws Exception {
        Files.createDirectories(server.dataDir().resolve("obs/planted/dir"));
        String base = "/v1/{project_id}/notebooks/" + roomy + "/storage";
        String first = api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/p/\","
                + "\"uri\":\"obs://planted/dir/\"}").json().get("id").asText();
        DynamicStorageTest.awaitMount(api, base + "/" + first, "MOUNTED");
        // inside the sandbox the user plants a link to a host directory in the shared storage
        roomyJupyter.execute("import os\nos.symlink('/etc', 'data/p/evil')");
        String second = api.post(base, "{\"category\":\"OBS\",\"mount_path\":\"/data/q/\","
                + "\"uri\":\"obs://planted/dir/evil/\"}").json().get("id").asText();
        JsonNode failed = DynamicStorageTest.awaitMount(api, base + "/" + second, "MOUNT_FAILED");
        assertThat(failed.get("failure_reason").asText()).contains("outside the object store");
        String acl = new String(new ProcessBuilder("getfacl", "-p", "/etc").start().getInputStream().readAllBytes());
        assertThat(acl).as("no instance's uid was given rights on /etc").doesNotContainPattern("user:[^:\\s]+:");
        api.delete(base + "/" + first);
        api.delete(base + "/" + second);
    }

    @Test
    void aSandboxedInstanceIsSavedWithItsUsersRightsAndItsImageWorks() throws Exception {
        roomyJupyter.execute("import os, site\nd = os.path.join(site.getusersitepackages(), 'sandboxed_probe')\n"
                + "os.makedirs(d, exist_ok=True)\nopen(os.path.join(d, '__init__.py'), 'w').write('X = 7\\n')\n"
                + "os.symlink('/etc/hostname', os.path.expanduser('~/a-link'))");
        String image = api.post("/v1/{project_id}/notebooks/" + roomy + "/create-image",
                "{\"name\":\"sandboxed\",\"namespace\":\"team\",\"tag\":\"v1\"}").json().get("id").asText();
        JsonNode saved = await().atMost(Duration.ofSeconds(30)).until(() ->
                api.get("/v1/{project_id}/images/" + image).json(), i -> !i.get("status").asText().matches(
                "INIT|CREATING"));
        assertThat(saved.get("status").asText()).as(saved.toString()).isEqualTo("ACTIVE");
        assertSavedSafely(image);
        StartStopLeaseTest.awaitStatus(api, roomy, "RUNNING");

        String copy = api.post("/v1/{project_id}/notebooks", TestServer.createBody("copy")
                .replace(TestServer.FLAVOR, "roomy").replace(TestServer.IMAGE_ID, image)).json().get("id").asText();
        assertThat(running(copy).execute("import sandboxed_probe\nprint(sandboxed_probe.X)")).isEqualTo("7\n");
        api.delete("/v1/{project_id}/notebooks/" + copy);
    }

    @Test
    void theUserCannotSwapTheirVolumeForALink() throws Exception {
        String out = roomyJupyter.execute(String.join("\n",
                "import os",
                "try:",
                "    os.rename('/home/ma-user/work', '/home/ma-user/elsewhere')",
                "    print('renamed')",
                "except OSError as e:",
                "    print('refused')",
                "print(os.path.exists('/home/ma-user/.atelier'))"));
        assertThat(out).isEqualTo("refused\nFalse\n");
    }

    /** How a saved image is kept on the host: never with the user's rights over Atelier's files. */
    void assertSavedSafely(String imageId) throws Exception {
    }

    static String py(String s) {
        return "'" + s.replace("'", "\\'") + "'";
    }
}

/** Sandboxed local processes: bubblewrap, a uid, cgroups and a network namespace each. */
class SandboxTest extends IsolationTest {
    @Override
    TestServer startServer(Path dataDir) {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")),
                "bubblewrap is not installed (bin/atelier installs it)");
        return TestServer.sandboxed(dataDir);
    }

    @Override
    TestRuntime runtime() {
        return TestRuntime.LOCAL;
    }

    @Override
    List<String> reportedEnforcement() {
        return List.of("\"sandbox\":\"bubblewrap\"", "\"cgroups\":\"v", "a namespace per instance, with outbound access");
    }

    @Override
    String hostAddressSeenFrom(String instanceId) {
        return "10.0.2.2"; // the host as user-mode networking shows it
    }

    @Override
    List<String> otherInstanceAddresses(String instanceId) {
        return List.of();
    }

    @Override
    void assertSeparateOnTheHost(String one, String other) throws Exception {
        int oneUid = (Integer) Files.getAttribute(server.dataDir().resolve("instances").resolve(one),
                "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int otherUid = (Integer) Files.getAttribute(server.dataDir().resolve("instances").resolve(other),
                "unix:uid", LinkOption.NOFOLLOW_LINKS);
        assertThat(oneUid).isGreaterThanOrEqualTo(200_000).isNotEqualTo(otherUid);
    }

    @Override
    void assertSavedSafely(String imageId) throws Exception {
        Path skeleton = server.dataDir().resolve("images/saved").resolve(imageId).resolve("home");
        assertThat(Files.isSymbolicLink(skeleton.resolve("a-link"))).isTrue();
        assertThat((Integer) Files.getAttribute(skeleton, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isZero();
    }

    @Test
    void requiredIsolationThatTheHostCannotGiveRefusesTheInstance(@TempDir Path elsewhere) {
        // a data dir below a directory other users cannot traverse: no sandbox can reach its homes
        try (TestServer strict = TestServer.requiringIsolation(elsewhere.resolve("private/data"))) {
            SignedClient client = strict.client();
            String id = client.post("/v1/{project_id}/notebooks", TestServer.createBody("strict")).json()
                    .get("id").asText();
            JsonNode nb = StartStopLeaseTest.awaitStatus(client, id, "CREATE_FAILED");
            assertThat(nb.get("fail_reason").asText()).contains("requires isolation").contains("traversable");
        }
    }

    @Test
    void stoppingShutsTheServerDownGracefully() throws Exception {
        String id = create("roomy");
        running(id);
        api.post("/v1/{project_id}/notebooks/" + id + "/stop", null);
        StartStopLeaseTest.awaitStatus(api, id, "STOPPED");
        String log = Files.readString(server.dataDir().resolve("instance-logs").resolve(id + ".log"));
        assertThat(log).contains("received signal 15, stopping").contains("Shutting down");
        api.delete("/v1/{project_id}/notebooks/" + id);
    }

}

/** Docker containers: uid 1000 without capabilities, the flavor's limits, a bridge network each. */
/**
 * The same suite on instances that took servers started ahead of demand: a warm server must hold its flavor's
 * limits and keep its user apart exactly as a server started for the instance does.
 */
class WarmSandboxTest extends SandboxTest {
    private java.util.Set<String> warmIds;

    @Override
    TestServer startServer(Path dataDir) {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")),
                "bubblewrap is not installed (bin/atelier installs it)");
        TestServer warm = TestServer.sandboxedWithWarmPool(dataDir, 2);
        WarmStartTest.awaitWarm(warm, 2);
        warmIds = WarmStartTest.homes(dataDir);
        return warm;
    }

    @Test
    void theInstancesUnderTestTookServersStartedBeforeTheyWereCreated() {
        assertThat(warmIds).contains(tiny, roomy);
    }

    /** The pool's servers wait under the smallest flavor's limits ("tiny"): "roomy" must have been given its own. */
    @Test
    void aWarmServerTakesTheLimitsOfTheFlavorItBecomes() throws Exception {
        WarmStartTest.assertFlavorLimits(roomy, 4096, 2);
    }
}

class ContainerIsolationTest extends IsolationTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.on(TestRuntime.DOCKER, dataDir);
    }

    @Override
    TestRuntime runtime() {
        return TestRuntime.DOCKER;
    }

    @Override
    List<String> reportedEnforcement() {
        return List.of("\"runtime\":\"docker\"", "bridge network", "loop-mounted ext4");
    }

    @Override
    String hostAddressSeenFrom(String instanceId) {
        var network = TestRuntime.docker().inspectNetworkCmd().withNetworkId(container(instanceId).getHostConfig()
                .getNetworkMode()).exec();
        return network.getIpam().getConfig().get(0).getGateway();
    }

    @Override
    List<String> otherInstanceAddresses(String instanceId) {
        var networks = container(instanceId).getNetworkSettings().getNetworks().values();
        return networks.stream().map(n -> n.getIpAddress() + ":8888").toList();
    }

    @Override
    void assertSeparateOnTheHost(String one, String other) throws Exception {
        var c = container(one);
        String token = api.get("/v1/{project_id}/notebooks/" + one).json().get("token").asText();
        String inspected = new com.fasterxml.jackson.databind.ObjectMapper()
                .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS).writeValueAsString(c);
        assertThat(inspected).as("the token is in no inspect output").doesNotContain(token);
        assertThat(c.getConfig().getUser()).isEqualTo("1000:1000");
        assertThat(c.getHostConfig().getCapDrop()).extracting(Object::toString).contains("ALL");
        assertThat(c.getHostConfig().getSecurityOpts()).contains("no-new-privileges");
        // a network of its own, or one shared with traffic between its containers dropped (where bridge netfilter
        // enforces that; the reachability test above tries another instance's address either way)
        String network = c.getHostConfig().getNetworkMode();
        if (network.equals(container(other).getHostConfig().getNetworkMode())) {
            assertThat(TestRuntime.docker().inspectNetworkCmd().withNetworkId(network).exec().getOptions())
                    .containsEntry("com.docker.network.bridge.enable_icc", "false");
            assertThat(java.nio.file.Files.readString(java.nio.file.Path.of(
                    "/proc/sys/net/bridge/bridge-nf-call-iptables")).strip()).isEqualTo("1");
        }
        assertThat(c.getHostConfig().getPortBindings().getBindings().values()).allSatisfy(bindings ->
                assertThat(bindings).allSatisfy(b -> assertThat(b.getHostIp()).isEqualTo("127.0.0.1")));
    }

    @Test
    void instancesAreOnTheNetworkTheirModeGives() throws Exception {
        String name = TestRuntime.docker().inspectNetworkCmd().withNetworkId(container(tiny).getHostConfig()
                .getNetworkMode()).exec().getName();
        assertNetwork(name);
    }

    /** auto: the default bridge where the engine drops traffic between its containers, else the installation's. */
    void assertNetwork(String name) throws Exception {
        boolean drops = "false".equals(TestRuntime.docker().inspectNetworkCmd().withNetworkId("bridge").exec()
                .getOptions().get("com.docker.network.bridge.enable_icc"));
        boolean filtered = java.nio.file.Files.readString(java.nio.file.Path.of(
                "/proc/sys/net/bridge/bridge-nf-call-iptables")).strip().equals("1");
        if (!filtered) {
            assertThat(name).endsWith(tiny);
        } else if (drops) {
            assertThat(name).isEqualTo("bridge");
        } else {
            assertThat(name).startsWith("atelier-").endsWith("-instances");
        }
    }

    com.github.dockerjava.api.command.InspectContainerResponse container(String instanceId) {
        return TestRuntime.docker().inspectContainerCmd(runtime().servers(instanceId).get(0)).exec();
    }
}

/**
 * The container suite with instances on the installation's own network ({@code --docker-network shared}), as auto
 * chooses where the engine lets containers on its default bridge reach each other.
 */
class SharedNetworkContainerIsolationTest extends ContainerIsolationTest {
    @Override
    TestServer startServer(Path dataDir) {
        Assumptions.assumeTrue(bridgeNetfilter(), "a shared network keeps instances apart only with bridge netfilter on");
        return TestServer.onDockerNetwork(dataDir, "shared");
    }

    static boolean bridgeNetfilter() {
        try {
            return Files.readString(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables")).strip().equals("1");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override
    void assertNetwork(String name) {
        assertThat(name).startsWith("atelier-").endsWith("-instances");
    }
}

/** The container suite on instances that took containers started ahead of demand. */
class WarmContainerIsolationTest extends ContainerIsolationTest {
    private java.util.Set<String> warmIds;

    @Override
    TestServer startServer(Path dataDir) {
        TestServer warm = TestServer.on(TestRuntime.DOCKER, dataDir, 2);
        WarmStartTest.awaitWarm(warm, 2);
        warmIds = WarmStartTest.idsIn(dataDir.resolve("containers"));
        return warm;
    }

    @Test
    void theInstancesUnderTestTookContainersStartedBeforeTheyWereCreated() {
        assertThat(warmIds).contains(tiny, roomy);
    }

    /** The pool's containers wait under the smallest flavor's limits ("tiny"): "roomy" must have been given its own. */
    @Test
    void aWarmContainerTakesTheLimitsOfTheFlavorItBecomes() {
        var host = TestRuntime.docker().inspectContainerCmd(runtime().servers(roomy).get(0)).exec().getHostConfig();
        assertThat(host.getMemory()).isEqualTo(4096L << 20);
        assertThat(host.getMemorySwap()).isEqualTo(4096L << 20);
        assertThat(host.getNanoCPUs()).isEqualTo(2_000_000_000L);
        assertThat(host.getCpuShares()).isEqualTo(1024);
        assertThat(host.getPidsLimit()).isEqualTo((long) dev.atelier.core.model.Flavor.DEFAULT_MAX_PROCESSES);
    }
}
