package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.Processes;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers started ahead of demand (--warm-pool) on the local runtime: a create takes one, which becomes that
 * instance alone, under its flavor's limits, reached with the instance's token while the server's own credential
 * stays inside; a refused create gives its server back; after a kill, a restart removes what the pool had
 * started and adopts none of it. (What one warm instance can see of another is {@code WarmSandboxTest}'s.)
 */
class WarmStartTest {
    private static final Pattern PORT = Pattern.compile("--port=(\\d+)");

    @TempDir
    Path dataDir;

    @BeforeEach
    void sandboxes() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "sandboxed instances with limits need the server to run as root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
    }

    /** Waits until the server's pool has {@code ready} servers waiting. */
    static void awaitWarm(TestServer server, int ready) {
        awaitWarm(server.url(), ready);
    }

    static void awaitWarm(String serverUrl, int ready) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String body = http.send(HttpRequest.newBuilder(URI.create(serverUrl + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("capabilities")
                    .path("warm_pool").path("ready").asInt() == ready;
        });
    }

    /** The ids that have a home under the data dir: instances and servers of the pool. */
    static Set<String> homes(Path dataDir) {
        return idsIn(dataDir.resolve("instances"));
    }

    /** The ids of the directories in {@code dir}. */
    static Set<String> idsIn(Path dir) {
        Set<String> ids = new TreeSet<>();
        try (var homes = Files.list(dir)) {
            homes.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f-]{36}")).forEach(ids::add);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ids;
    }

    /** The instance's cgroups hold {@code memoryMib} and {@code vcpus}, at the usual share of the CPU. */
    static void assertFlavorLimits(String id, long memoryMib, int vcpus) throws IOException {
        Path v2 = Path.of("/sys/fs/cgroup/atelier", id);
        boolean unified = Files.exists(v2.resolve("memory.max"));
        Path memory = unified ? v2.resolve("memory.max")
                : Path.of("/sys/fs/cgroup/memory/atelier", id, "memory.limit_in_bytes");
        Path cpu = unified ? v2.resolve("cpu.max") : Path.of("/sys/fs/cgroup/cpu/atelier", id, "cpu.cfs_quota_us");
        assertThat(Files.readString(memory).trim()).isEqualTo(Long.toString(memoryMib << 20));
        assertThat(Files.readString(cpu).trim()).isEqualTo(vcpus * 100_000 + (unified ? " 100000" : ""));
        assertThat(cpuWeight(id)).isEqualTo(unified ? "100" : "1024");
    }

    /** The CPU weight (cgroup v2) or shares (v1) of the instance's group. */
    private static String cpuWeight(String id) throws IOException {
        Path v2 = Path.of("/sys/fs/cgroup/atelier", id, "cpu.weight");
        return Files.readString(Files.exists(v2) ? v2 : Path.of("/sys/fs/cgroup/cpu/atelier", id, "cpu.shares")).trim();
    }

    /** The jupyter-server processes serving the id (not the sandbox's processes that started them). */
    private static java.util.List<ProcessHandle> serversOf(String id) {
        return Processes.matching("--ServerApp.base_url=/notebook/" + id + "/").stream()
                .filter(p -> comm(p.pid()).startsWith("jupyter-serv")).toList();
    }

    private static long servers(String id) {
        return serversOf(id).size();
    }

    private static ProcessHandle serverOf(String id) {
        return serversOf(id).stream().findFirst().orElseThrow();
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String create(SignedClient api, String name) {
        return api.post("/v1/{project_id}/notebooks", TestServer.createBody(name)).json().get("id").asText();
    }

    @Test
    void aCreateTakesAWarmServerWhichAnswersTheInstanceTokenOnlyThroughTheGateway() throws Exception {
        try (TestServer server = TestServer.sandboxedWithWarmPool(dataDir, 1)) {
            SignedClient api = server.client();
            awaitWarm(server, 1);
            Set<String> warm = homes(dataDir);
            ProcessHandle waiting = serverOf(warm.iterator().next());
            assertThat(cpuWeight(warm.iterator().next())).as("a waiting server's share of the CPU").isIn("1", "2");
            long createdAt = System.currentTimeMillis();

            String id = create(api, "warm");
            assertThat(warm).containsExactly(id);
            assertThat(serverOf(id).pid()).as("the server that waited, not a new one").isEqualTo(waiting.pid());
            assertThat(waiting.info().startInstant().orElseThrow().toEpochMilli()).isLessThan(createdAt);
            JsonNode nb = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");

            // through the gateway, with the token the API gives the user, into the instance's own volume
            Jupyter jupyter = new Jupyter(nb.get("url").asText(), nb.get("token").asText());
            assertThat(jupyter.execute("import os; open('/home/ma-user/work/note.txt', 'w').write('mine'); "
                    + "print(os.getcwd())")).contains("/home/ma-user/work");
            assertThat(Files.readString(dataDir.resolve("instances").resolve(id).resolve("work/note.txt")))
                    .isEqualTo("mine");

            // the server itself takes only its own credential, which nobody outside was given
            Matcher port = PORT.matcher(Processes.commandLine(waiting.pid()));
            assertThat(port.find()).isTrue();
            HttpResponse<String> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + port.group(1) + "/notebook/" + id + "/api/status?token="
                            + nb.get("token").asText())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(direct.statusCode()).isEqualTo(403);

            // the flavor's limits and a fair share of the CPU, no longer the pool's
            assertFlavorLimits(id, 8192, 2);

            // the pool starts another, which is not the instance's
            awaitWarm(server, 1);
            assertThat(homes(dataDir)).hasSize(2).contains(id);
            String metrics = dev.atelier.support.PlainClient.bearer(server.url(), TestServer.METRICS_TOKEN)
                    .send("GET", "/metrics", null).body();
            assertThat(metrics).contains("atelier_warm_claims_total{result=\"taken\"} 1.0")
                    .contains("atelier_warm_claims_total{result=\"none_waiting\"} 0.0")
                    .contains("atelier_warm_servers{state=\"waiting\"} 1.0");
        }
    }

    @Test
    void twoInstancesOfThePoolShareNothingAndTheSecondFindsNothingOfTheFirst() throws Exception {
        try (TestServer server = TestServer.sandboxedWithWarmPool(dataDir, 2)) {
            SignedClient api = server.client();
            awaitWarm(server, 2);
            Set<String> warm = homes(dataDir);
            String a = create(api, "first");
            String b = create(api, "second");
            assertThat(warm).containsExactlyInAnyOrder(a, b);
            JsonNode shownA = StartStopLeaseTest.awaitStatus(api, a, "RUNNING");
            JsonNode shownB = StartStopLeaseTest.awaitStatus(api, b, "RUNNING");
            Jupyter first = new Jupyter(shownA.get("url").asText(), shownA.get("token").asText());
            Jupyter second = new Jupyter(shownB.get("url").asText(), shownB.get("token").asText());

            // the first user leaves traces everywhere: files, /tmp, a process, a kernel, shell history
            first.execute("import os, subprocess\nopen('/tmp/first-secret', 'w').write('x')\n"
                    + "open('/home/ma-user/work/first.txt', 'w').write('x')\n"
                    + "subprocess.Popen(['sleep', '600'], start_new_session=True)\nprint('left')");
            // (the terminal's shell may keep no history file: one is written as bash would)
            first.terminal("echo history-of-first-$((6*7)) | tee -a ~/.bash_history", "history-of-first-42");
            first.startAndLeave("import time; time.sleep(600)");

            String seen = second.execute(String.join("\n",
                    "import os",
                    "print(os.path.exists('/tmp/first-secret'), sorted(os.listdir('/home/ma-user/work')))",
                    "print(os.path.exists('/home/ma-user/.bash_history'))",
                    "print(any(open(f'/proc/{p}/cmdline').read().startswith('sleep') for p in os.listdir('/proc')"
                            + " if p.isdigit()))",
                    "print(" + py(shownA.get("token").asText()) + " in str(os.environ), " + py(server.store().get(a)
                            .orElseThrow().serverToken()) + " in str(os.environ))"));
            assertThat(seen).isEqualTo("False ['data', 'lost+found']\nFalse\nFalse\nFalse False\n");
            // a kernel the first left computing is the first's alone
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            assertThat(json.readTree(first.get("api/kernels", true).body())).hasSize(1);
            assertThat(json.readTree(second.get("api/kernels", true).body())).isEmpty();
            assertThat(Files.readString(dataDir.resolve("instances").resolve(a).resolve(".bash_history")))
                    .contains("history-of-first");
        }
    }

    private static String py(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Test
    void aRefusedCreateGivesItsWarmServerBackForTheNextCreate() {
        try (TestServer server = TestServer.sandboxedWithWarmPool(dataDir, 1)) {
            SignedClient api = server.client();
            String legacy = CrossApiTest.LEGACY_CREATE.replace("legacy-one", "taken");
            awaitWarm(server, 1);
            Set<String> before = homes(dataDir);
            assertThat(api.post("/v1/{project_id}/demanager/instances", legacy).status()).isEqualTo(200);
            awaitWarm(server, 1);
            Set<String> waiting = homes(dataDir);
            waiting.removeAll(before); // the server the first create took

            // a legacy name is unique: the insert refuses this one after a server was claimed for it
            assertThat(api.post("/v1/{project_id}/demanager/instances", legacy).errorCode()).isEqualTo("ModelArts.6301");
            String next = create(api, "next");
            assertThat(waiting).containsExactly(next);
            StartStopLeaseTest.awaitStatus(api, next, "RUNNING");
            // three claims: the first create's, the refused one's (given back), and the last one's
            assertThat(dev.atelier.support.PlainClient.bearer(server.url(), TestServer.METRICS_TOKEN)
                    .send("GET", "/metrics", null).body()).contains("atelier_warm_claims_total{result=\"taken\"} 3.0");
        }
    }

    @Test
    void aQueuedInstanceDeletedBeforeItsTurnTakesItsWarmServerWithIt() throws Exception {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("pools.json"), "{\"pools\": [{\"id\": \"pool-managed\", "
                + "\"room\": {\"instances\": 1}}]}");
        try (TestServer server = TestServer.sandboxedWithWarmPool(dataDir, 1)) {
            SignedClient api = server.client();
            awaitWarm(server, 1);
            String running = create(api, "first");
            StartStopLeaseTest.awaitStatus(api, running, "RUNNING");
            awaitWarm(server, 1);
            String queued = create(api, "second");
            assertThat(serversOf(queued)).as("it claimed the waiting server").hasSize(1);
            assertThat(api.get("/v1/{project_id}/notebooks/" + queued).json().get("status").asText())
                    .isEqualTo("CREATING");

            api.delete("/v1/{project_id}/notebooks/" + queued);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(serversOf(queued)).isEmpty();
                assertThat(homes(dataDir)).doesNotContain(queued);
            });
            assertThat(api.get("/v1/{project_id}/notebooks/" + running).json().get("status").asText())
                    .isEqualTo("RUNNING");
        }
    }

    @Test
    void aKillAfterAWarmServerWasTakenLosesNothingAndAdoptsNothingOfThePool() throws Exception {
        // halted once the instance's launch took a warm server, before the record names it
        ServeProcess crashing = serve(java.util.Map.of(dev.atelier.core.CrashPoints.VARIABLE, "launch.spawned"), 2);
        ServeProcess after = null;
        try {
            SignedClient api = client(crashing);
            awaitWarm(crashing.url(), 2);
            Set<String> pooled = homes(dataDir);
            String id = null;
            try {
                id = create(api, "crash");
            } catch (IllegalStateException cutOff) {
                // the server may die before its answer is written; the create was recorded all the same
            }
            assertThat(crashing.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(crashing.process().exitValue()).isEqualTo(137);

            after = serve(java.util.Map.of(), 0);
            SignedClient again = client(after);
            if (id == null) {
                id = again.get("/v1/{project_id}/notebooks?name=crash").json().get("data").get(0).get("id").asText();
            }
            String created = id;
            assertThat(pooled).as("it took a server of the pool").contains(created);
            StartStopLeaseTest.awaitStatus(again, created, "RUNNING");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(homes(dataDir)).as("the spare server is removed").containsExactly(created);
                for (String w : pooled) {
                    assertThat(servers(w)).as("notebook servers of " + w).isEqualTo(w.equals(created) ? 1 : 0);
                }
            });
            assertThat(again.get("/v1/{project_id}/notebooks").json().get("total").asInt()).isEqualTo(1);
            assertThat(again.get("/notebook/" + created + "/api/contents").status()).isEqualTo(200);
            again.delete("/v1/{project_id}/notebooks/" + created);
            await().atMost(Duration.ofSeconds(30)).until(() -> homes(dataDir).isEmpty());
        } finally {
            for (ServeProcess p : java.util.Arrays.asList(crashing, after)) {
                if (p != null) {
                    p.process().destroy();
                    p.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
            Processes.matching(dataDir.toString()).forEach(ProcessHandle::destroyForcibly);
            TestServer.unmountUnder(dataDir);
        }
    }

    @Test
    void aReplicaStartingBesideAnotherLeavesThatOnesWaitingServersAlone() throws Exception {
        String url = dev.atelier.support.Postgres.freshSchemaUrl();
        ServeProcess first = ServeProcess.start(dataDir, java.util.Map.of(), java.util.List.of("--sandbox",
                "--warm-pool", "2", "--port", "0", "--data-dir", dataDir.toString(), "--database-url", url));
        TestServer second = null;
        try {
            awaitWarm(first.url(), 2);
            Set<String> waiting = homes(dataDir);
            // the second replica sweeps what the host shows of instances without a record, as every start does
            second = TestServer.of(dataDir, url, dev.atelier.server.ServerConfig.DEFAULT_JUPYTER);
            assertThat(waiting).allSatisfy(id -> assertThat(servers(id)).as("waiting server " + id).isEqualTo(1));
            assertThat(homes(dataDir)).containsAll(waiting);

            String id = create(client(first), "beside");
            assertThat(waiting).contains(id);
            StartStopLeaseTest.awaitStatus(second.client(), id, "RUNNING");
            client(first).delete("/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(30)).until(() -> !homes(dataDir).contains(id));
        } finally {
            first.process().destroy();
            first.process().waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
            if (second != null) {
                second.close(); // drops the schema, and removes what is left of the data dir's processes
            }
            TestServer.unmountUnder(dataDir);
        }
    }

    private ServeProcess serve(java.util.Map<String, String> env, int warm) throws IOException {
        return ServeProcess.start(dataDir, env, java.util.List.of("--sandbox", "--warm-pool", Integer.toString(warm),
                "--port", "0", "--data-dir", dataDir.toString()));
    }

    private SignedClient client(ServeProcess p) throws IOException {
        JsonNode creds = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                dataDir.resolve("credentials.json").toFile());
        return new SignedClient(p.url(), creds.get("project_id").asText(), creds.get("access_key").asText(),
                creds.get("secret_key").asText());
    }
}
