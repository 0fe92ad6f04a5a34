package dev.atelier.e2e;

import dev.atelier.api.ssh.SshGateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import dev.atelier.support.TestRuntime;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH gateway with OpenSSH's own clients (ssh, scp, sftp, ssh -L) against isolated instances: what a
 * local IDE's remote mode needs, and who is refused. Runs on sandboxed local processes and on Docker containers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SshGatewayTest {
    @TempDir
    static Path dataDir;
    @TempDir
    static Path keys;
    static TestServer server;
    static SignedClient api;
    static String id;
    static String jupyterPort;

    abstract TestServer startServer(Path dataDir);

    /** The uid the instance's processes and files have on the host. */
    abstract int hostUid(String instanceId) throws IOException;

    /** The host directory of the instance's work volume. */
    abstract Path workOnHost(String instanceId);

    /** The port Jupyter listens on inside the instance. */
    abstract String jupyterPortInside(String instanceId);

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "isolated instances with their own uids need the server to run as root");
        server = startServer(dataDir);
        api = server.client();
        // Ed25519, OpenSSH's default, for the key that may log in; ECDSA for the one that may not
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "good", "-f", keys.resolve("good").toString()));
        run(List.of("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-C", "other", "-f", keys.resolve("other").toString()));
        Response registered = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"laptop\","
                + "\"public_key\":\"" + Files.readString(keys.resolve("good.pub")).trim() + "\"}}");
        assertThat(registered.status()).as(registered.body()).isEqualTo(200);
        assertThat(registered.json().get("keypair").get("fingerprint").asText()).startsWith("SHA256:");
        id = create("ssh-ok", "[\"127.0.0.1\", \"10.0.0.0/8\"]");
        JsonNode running = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
        JsonNode endpoint = running.get("endpoints").get(0);
        assertThat(endpoint.get("service").asText()).isEqualTo("SSH");
        assertThat(endpoint.get("uri").asText()).isEqualTo("ssh://" + id + "@127.0.0.1:" + server.sshPort());
        assertThat(endpoint.get("key_pair_names").get(0).asText()).isEqualTo("laptop");
        jupyterPort = jupyterPortInside(id);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    static String create(String name, String allowed) {
        String body = TestServer.createBody(name).replaceFirst("\\}$", ",\"endpoints\":[{\"service\":\"SSH\","
                + "\"key_pair_names\":[\"laptop\"],\"allowed_access_ips\":" + allowed + "}]}");
        Response r = api.post("/v1/{project_id}/notebooks", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static List<String> ssh(String key, String... rest) {
        List<String> c = new ArrayList<>(List.of("ssh", "-i", keys.resolve(key).toString(), "-p",
                Integer.toString(server.sshPort()), "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                "LogLevel=ERROR", "-o", "ConnectTimeout=10"));
        c.addAll(List.of(rest));
        return c;
    }

    record Result(int exit, String out) {
    }

    static Result run(List<String> command) throws Exception {
        return run(command, null);
    }

    static Result run(List<String> command, String stdin) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void aCommandRunsInsideTheInstanceSandboxAsItsUserInItsWorkDirectory() throws Exception {
        Result r = run(ssh("good", id + "@127.0.0.1", "id -u; pwd; hostname; ls /home/ma-user; test -e "
                + dataDir + " && echo SEES-DATA-DIR; grep NoNewPrivs /proc/self/status; echo done"));
        assertThat(r.exit()).as(r.out()).isZero();
        int uid = hostUid(id);
        assertThat(r.out()).contains(uid + "\n/home/ma-user/work\nnotebook\n").contains("done")
                .contains("NoNewPrivs:\t1").doesNotContain("SEES-DATA-DIR");
        Result exit = run(ssh("good", id + "@127.0.0.1", "exit 7"));
        assertThat(exit.exit()).isEqualTo(7);
        Result legacyId = run(ssh("good", "DE-" + id + "@127.0.0.1", "echo legacy"));
        assertThat(legacyId.out()).contains("legacy");
    }

    @Test
    void anInteractiveShellGetsATerminal() throws Exception {
        Result r = run(ssh("good", "-tt", id + "@127.0.0.1"), "tty; echo cols=$(tput cols); exit\n");
        assertThat(r.out()).contains("/dev/pts/").contains("cols=");
    }

    /**
     * What a client types at once, on a terminal whose size is being set at the same moment, all arrives: the
     * session's input and its window changes share one connection to the instance, and neither may end it.
     */
    @Test
    void inputTypedWhileTheTerminalOpensIsNeverLost() throws Exception {
        for (int i = 0; i < 20; i++) {
            Result r = run(ssh("good", "-tt", id + "@127.0.0.1"), "echo typed-$((40 + " + i + ")); exit\n");
            assertThat(r.out()).as("session %d: %s", i, r.out()).contains("typed-" + (40 + i));
            assertThat(r.exit()).as("session %d: %s", i, r.out()).isZero();
        }
    }

    /** 48 MiB piped through a session arrive whole, however much faster the client sends than the instance reads. */
    @Test
    void aLargeInputArrivesWhole() throws Exception {
        byte[] data = new byte[48 << 20];
        new java.util.Random(7).nextBytes(data);
        Process p = new ProcessBuilder(ssh("good", id + "@127.0.0.1", "sleep 1; sha256sum")).redirectErrorStream(true)
                .start();
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                in.write(data);
            } catch (IOException e) {
                // the session ended early: the digest below says so
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        feeder.join();
        String digest = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(data));
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).startsWith(digest);
    }

    @Test
    void theSessionsTerminalFollowsTheClientsWindowSize() throws Exception {
        followsTheWindowSize(ssh("good", "-tt", id + "@127.0.0.1"));
    }

    /**
     * OpenSSH's client in a terminal of its own (script makes one), resized from outside as a terminal emulator
     * does when its window is dragged: the client then tells the server the new size.
     */
    static void followsTheWindowSize(List<String> client) throws Exception {
        Process p = new ProcessBuilder("script", "-qfec", String.join(" ", client), "/dev/null")
                .redirectErrorStream(true).start();
        StringBuffer seen = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException e) {
                // closed
            }
        });
        try {
            var typed = p.getOutputStream();
            askUntilSeen(typed, seen, "SIZE-\\d+ \\d+");
            String sshTerminal = terminalOf(p.toHandle().descendants().filter(h -> h.info().command()
                    .orElse("").endsWith("/ssh")).findFirst().orElseThrow().pid());
            run(List.of("stty", "-F", sshTerminal, "rows", "33", "cols", "111"));
            askUntilSeen(typed, seen, "SIZE-33 111");
            typed.write("exit\n".getBytes(StandardCharsets.UTF_8));
            typed.flush();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
        }
    }

    /** Asks the session for its terminal's size until the answer matches: what is typed too early may be lost. */
    private static void askUntilSeen(java.io.OutputStream typed, StringBuffer seen, String answer) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            typed.write("stty size | sed 's/^/SIZE-/'\n".getBytes(StandardCharsets.UTF_8));
            typed.flush();
            Thread.sleep(300);
            assertThat(seen.toString()).containsPattern(answer);
        });
    }

    private static String terminalOf(long pid) throws java.io.IOException {
        return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "0")).toString();
    }

    @Test
    void scpAndSftpCopyFilesInAndOut() throws Exception {
        Path local = keys.resolve("upload.txt");
        Files.writeString(local, "copied in\n");
        List<String> scp = new ArrayList<>(List.of("scp", "-i", keys.resolve("good").toString(), "-P",
                Integer.toString(server.sshPort()), "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                "LogLevel=ERROR"));
        List<String> up = new ArrayList<>(scp);
        up.addAll(List.of(local.toString(), id + "@127.0.0.1:upload.txt"));
        Result r = run(up);
        assertThat(r.exit()).as(r.out()).isZero();
        Path inside = workOnHost(id).resolve("upload.txt");
        assertThat(inside).hasContent("copied in");
        assertThat((Integer) Files.getAttribute(inside, "unix:uid")).as("owned by the instance's uid")
                .isEqualTo(hostUid(id));

        Path back = keys.resolve("back.txt");
        List<String> down = new ArrayList<>(scp);
        down.addAll(List.of(id + "@127.0.0.1:upload.txt", back.toString()));
        assertThat(run(down).exit()).isZero();
        assertThat(back).hasContent("copied in");

        Path batch = keys.resolve("batch");
        Files.writeString(batch, "mkdir viasftp\nput " + local + " viasftp/f.txt\nls viasftp\n");
        Result sftp = run(List.of("sftp", "-i", keys.resolve("good").toString(), "-P",
                Integer.toString(server.sshPort()), "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-b",
                batch.toString(), id + "@127.0.0.1"));
        assertThat(sftp.exit()).as(sftp.out()).isZero();
        assertThat(workOnHost(id).resolve("viasftp/f.txt")).hasContent("copied in");
    }

    @Test
    void localForwardingReachesTheInstancesOwnServersAndNothingElse() throws Exception {
        int local;
        try (ServerSocket s = new ServerSocket(0)) {
            local = s.getLocalPort();
        }
        Process tunnel = new ProcessBuilder(ssh("good", "-N", "-L", local + ":127.0.0.1:" + jupyterPort,
                id + "@127.0.0.1")).redirectErrorStream(true).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() ->
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local + "/notebook/" + id
                            + "/api/status")).build(), HttpResponse.BodyHandlers.ofString()), x -> true);
            assertThat(r.statusCode()).as("Jupyter answers through the tunnel (asking for its token)").isEqualTo(403);
        } finally {
            tunnel.destroy();
            tunnel.waitFor(10, TimeUnit.SECONDS);
        }
        // the API's own port is not the instance's: the channel is refused
        int apiPort = URI.create(server.url()).getPort();
        Result refused = run(ssh("good", "-o", "ExitOnForwardFailure=yes", "-W", "127.0.0.1:" + apiPort,
                id + "@127.0.0.1"));
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.out()).containsAnyOf("administratively prohibited", "forwarding failed");
    }

    @Test
    void forwardingReachesThePortInsideTheInstanceNeverTheHostsPortOfTheSameNumber() throws Exception {
        try (ServerSocket hostSide = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = hostSide.getLocalPort();
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket s = hostSide.accept()) {
                    s.getOutputStream().write("host\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            // a server of the instance's own, on 127.0.0.1 in its network, on the same port number (as VS Code's is)
            Process inside = new ProcessBuilder(ssh("good", id + "@127.0.0.1", "python3 -c \"import socket; "
                    + "s = socket.socket(); s.bind(('127.0.0.1', " + port + ")); s.listen(); c, _ = s.accept(); "
                    + "c.sendall(b'instance\\n'); c.close()\"")).redirectErrorStream(true).start();
            try {
                Result r = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() ->
                        run(ssh("good", "-W", "127.0.0.1:" + port, id + "@127.0.0.1")), x -> x.exit() == 0);
                assertThat(r.out()).contains("instance").doesNotContain("host");
            } finally {
                inside.destroy();
            }
        }
    }

    @Test
    void theWrongKeyAnAddressNotAllowedAStoppedOrADeletedInstanceAreRefused() throws Exception {
        Result wrongKey = run(ssh("other", id + "@127.0.0.1", "echo in"));
        assertThat(wrongKey.exit()).isEqualTo(255);
        assertThat(wrongKey.out()).contains("Permission denied").doesNotContain("in\n");

        String elsewhere = create("ssh-elsewhere", "[\"10.9.9.9\"]");
        StartStopLeaseTest.awaitStatus(api, elsewhere, "RUNNING");
        Result wrongAddress = run(ssh("good", elsewhere + "@127.0.0.1", "echo in"));
        assertThat(wrongAddress.exit()).isEqualTo(255);
        assertThat(wrongAddress.out()).contains("Permission denied");

        String stopped = create("ssh-stopped", "[]");
        StartStopLeaseTest.awaitStatus(api, stopped, "RUNNING");
        assertThat(run(ssh("good", stopped + "@127.0.0.1", "echo in")).out()).contains("in");
        api.post("/v1/{project_id}/notebooks/" + stopped + "/stop", null);
        StartStopLeaseTest.awaitStatus(api, stopped, "STOPPED");
        assertThat(run(ssh("good", stopped + "@127.0.0.1", "echo in")).exit()).isEqualTo(255);
        api.delete("/v1/{project_id}/notebooks/" + stopped);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/" + stopped)
                .status() == 400);
        assertThat(run(ssh("good", stopped + "@127.0.0.1", "echo in")).exit()).isEqualTo(255);
        api.delete("/v1/{project_id}/notebooks/" + elsewhere);

        // a key pair registered by another member (here under a name the endpoint asks for) opens nothing
        SignedClient bob = server.addUser("bob-" + System.nanoTime());
        Response bobs = bob.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"bobs\",\"public_key\":\""
                + readUnchecked(keys.resolve("other.pub")) + "\"}}");
        assertThat(bobs.status()).as(bobs.body()).isEqualTo(200);
        String lured = api.post("/v1/{project_id}/notebooks", TestServer.createBody("ssh-lured").replaceFirst(
                "\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"bobs\"]}]}")).json().get("id")
                .asText();
        StartStopLeaseTest.awaitStatus(api, lured, "RUNNING");
        assertThat(run(ssh("other", lured + "@127.0.0.1", "echo in")).exit()).isEqualTo(255);
        api.delete("/v1/{project_id}/notebooks/" + lured);

        Response hostName = api.post("/v1/{project_id}/notebooks", TestServer.createBody("dns").replaceFirst(
                "\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"laptop\"],"
                        + "\"allowed_access_ips\":[\"cafe.de\"]}]}"));
        assertThat(hostName.status()).as("addresses only, never host names").isEqualTo(400);

        Response noKey = api.post("/v1/{project_id}/notebooks", TestServer.createBody("nokey").replaceFirst(
                "\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"missing\"]}]}"));
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.json().get("error_msg").asText()).contains("missing");
    }

    @Test
    void anOpenSessionEndsSoonAfterItsKeyPairIsDeleted() throws Exception {
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "brief", "-f",
                keys.resolve("brief").toString()));
        Response registered = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"brief\","
                + "\"public_key\":\"" + Files.readString(keys.resolve("brief.pub")).trim() + "\"}}");
        assertThat(registered.status()).as(registered.body()).isEqualTo(200);
        String inst = api.post("/v1/{project_id}/notebooks", TestServer.createBody("ssh-brief").replaceFirst("\\}$",
                ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"brief\"]}]}")).json().get("id").asText();
        StartStopLeaseTest.awaitStatus(api, inst, "RUNNING");
        Process session = new ProcessBuilder(ssh("brief", inst + "@127.0.0.1", "echo started; sleep 60; echo finished"))
                .redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(session.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("started");

            assertThat(api.delete("/v3/{project_id}/keypairs/brief").status()).isEqualTo(204);
            long t0 = System.nanoTime();
            assertThat(session.waitFor(30, TimeUnit.SECONDS)).as("the session was closed").isTrue();
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(SshGateway.RECHECK_SECONDS * 3);
            assertThat(new String(session.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .doesNotContain("finished");
            assertThat(api.get("/v1/{project_id}/notebooks/" + inst).json().get("status").asText())
                    .as("the instance itself runs on").isEqualTo("RUNNING");
        } finally {
            session.destroyForcibly();
            api.delete("/v1/{project_id}/notebooks/" + inst);
        }
    }

    @Test
    void theHostKeyStaysTheSameAcrossRestarts() throws Exception {
        String before = hostKey();
        Path file = dataDir.resolve("ssh_host_key");
        assertThat(file).exists();
        assertThat(Files.getPosixFilePermissions(file).toString()).doesNotContain("OTHERS");
        server.stopServer();
        server.start();
        assertThat(hostKey()).isEqualTo(before);
    }

    static String hostKey() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keyscan", "-p", Integer.toString(server.sshPort()), "127.0.0.1")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out.replaceAll("\\[?127\\.0\\.0\\.1\\]?(:\\d+)?", "").trim();
    }

    @Test
    void keyPairsAreListedShownAndDeletedAndBadKeysRefused() {
        JsonNode list = api.get("/v3/{project_id}/keypairs").json().get("keypairs");
        assertThat(list.findValuesAsText("name")).contains("laptop");
        assertThat(api.get("/v3/{project_id}/keypairs/laptop").json().get("keypair").get("public_key").asText())
                .startsWith("ssh-ed25519 ");
        Response bad = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"bad\",\"public_key\":"
                + "\"ssh-rsa bm90IGEga2V5\"}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorCode()).isEqualTo("ModelArts.6336");
        String one = readUnchecked(keys.resolve("other.pub")).trim();
        Response two = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"two\",\"public_key\":\""
                + one + "\\n" + one + "\"}}");
        assertThat(two.errorCode()).as("two keys in one pair").isEqualTo("ModelArts.6336");
        Response optionLike = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"-rf\",\"public_key\":\""
                + one + "\"}}");
        assertThat(optionLike.errorCode()).as("a name that command lines would take for an option")
                .isEqualTo("ModelArts.6336");
        assertThat(optionLike.json().get("error_msg").asText()).contains("not starting with '-'");
        Response dup = api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"laptop\",\"public_key\":\""
                + readUnchecked(keys.resolve("other.pub")) + "\"}}");
        assertThat(dup.status()).isEqualTo(400);
        assertThat(dup.errorCode()).isEqualTo("ModelArts.6301");
        api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"spare\",\"public_key\":\""
                + readUnchecked(keys.resolve("other.pub")) + "\"}}");
        assertThat(api.delete("/v3/{project_id}/keypairs/spare").status()).isEqualTo(204);
        assertThat(api.get("/v3/{project_id}/keypairs/spare").status()).isEqualTo(400);
    }

    @Test
    void refusedSignInsCannotForgeOrFloodLogLines() throws Exception {
        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                dev.atelier.api.ssh.SshGateway.class);
        var seen = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        seen.start();
        logger.addAppender(seen);
        var before = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        var generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        java.security.KeyPair stranger = generator.generateKeyPair();
        try (var client = org.apache.sshd.client.SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier.INSTANCE);
            client.start();
            for (int i = 0; i < 5; i++) {
                String user = id + "\n23:00:00.000 INFO  d.a.server.Atelier - FORGED " + i + "\r" + "y".repeat(20_000);
                try (var session = client.connect(user, "127.0.0.1", server.sshPort()).verify(Duration.ofSeconds(10))
                        .getSession()) {
                    session.addPublicKeyIdentity(stranger);
                    session.auth().await(Duration.ofSeconds(10));
                    assertThat(session.isAuthenticated()).isFalse();
                }
            }
        } finally {
            logger.detachAppender(seen);
            logger.setLevel(before);
        }
        var refusals = seen.list.stream().filter(e -> e.getFormattedMessage().startsWith("ssh: refused")).toList();
        assertThat(refusals).hasSizeGreaterThanOrEqualTo(5);
        assertThat(refusals).allSatisfy(e -> assertThat(e.getFormattedMessage()).as("one line, short")
                .doesNotContain("\n").doesNotContain("\r").hasSizeLessThan(1_000).contains("\\u000a23:00:00.000"));
        assertThat(refusals.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO)))
                .as("refusals are summed up once a minute, not logged one by one").hasSizeLessThanOrEqualTo(1);
    }

    static String readUnchecked(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

/** Sandboxed local instances: each under a host uid of this installation's own range. */
class SandboxSshGatewayTest extends SshGatewayTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.sandboxed(dataDir);
    }

    @Override
    int hostUid(String instanceId) throws IOException {
        int uid = (Integer) Files.getAttribute(workOnHost(instanceId), "unix:uid");
        assertThat(uid).as("the instance's own host uid").isGreaterThanOrEqualTo(200_000);
        return uid;
    }

    @Override
    Path workOnHost(String instanceId) {
        return dataDir.resolve("instances").resolve(instanceId).resolve("work");
    }

    @Override
    String jupyterPortInside(String instanceId) {
        return server.store().get(instanceId).orElseThrow().url().replaceAll("^http://127.0.0.1:(\\d+)/.*", "$1");
    }

    @Test
    void soDoesAnUnsandboxedOnes(@TempDir Path otherData) throws Exception {
        try (TestServer plain = TestServer.sqlite(otherData)) {
            SignedClient other = plain.client();
            Response registered = other.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"laptop\","
                    + "\"public_key\":\"" + Files.readString(keys.resolve("good.pub")).trim() + "\"}}");
            assertThat(registered.status()).as(registered.body()).isEqualTo(200);
            String inst = other.post("/v1/{project_id}/notebooks", TestServer.createBody("plain-ssh").replaceFirst(
                    "\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"laptop\"]}]}"))
                    .json().get("id").asText();
            StartStopLeaseTest.awaitStatus(other, inst, "RUNNING");
            List<String> client = ssh("good", "-tt", inst + "@127.0.0.1");
            client.set(client.indexOf(Integer.toString(server.sshPort())), Integer.toString(plain.sshPort()));
            followsTheWindowSize(client);
        }
    }

    @Test
    void anotherInstallationOnTheSameHostHasUidsOfItsOwnAndItsPortsAreNotForwardedTo(@TempDir Path otherData)
            throws Exception {
        try (TestServer other = TestServer.sandboxed(otherData)) {
            SignedClient otherApi = other.client();
            String theirs = otherApi.post("/v1/{project_id}/notebooks", TestServer.createBody("theirs")).json()
                    .get("id").asText();
            StartStopLeaseTest.awaitStatus(otherApi, theirs, "RUNNING");
            int ourUid = (Integer) Files.getAttribute(dataDir.resolve("instances").resolve(id), "unix:uid");
            int theirUid = (Integer) Files.getAttribute(otherData.resolve("instances").resolve(theirs), "unix:uid");
            assertThat(theirUid).as("uids of another installation's range").isNotEqualTo(ourUid);
            assertThat(Files.readString(otherData.resolve("uid-range")))
                    .isNotEqualTo(Files.readString(dataDir.resolve("uid-range")));
            String theirPort = other.store().get(theirs).orElseThrow().url().replaceAll("^http://127.0.0.1:(\\d+)/.*",
                    "$1");
            Result refused = run(ssh("good", "-o", "ExitOnForwardFailure=yes", "-W", "127.0.0.1:" + theirPort,
                    id + "@127.0.0.1"));
            assertThat(refused.exit()).as("our key must not reach their notebook").isNotZero();
            assertThat(refused.out()).containsAnyOf("administratively prohibited", "forwarding failed");
            otherApi.delete("/v1/{project_id}/notebooks/" + theirs);
            await().atMost(Duration.ofSeconds(30)).until(() -> otherApi.get("/v1/{project_id}/notebooks/" + theirs)
                    .status() == 400);
        }
    }

}

/** Docker containers: sessions are execs as uid 1000, forwarding a relay inside the container. */
class ContainerSshGatewayTest extends SshGatewayTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.on(TestRuntime.DOCKER, dataDir);
    }

    @Override
    int hostUid(String instanceId) {
        return 1000;
    }

    @Override
    Path workOnHost(String instanceId) {
        return dataDir.resolve("containers").resolve(instanceId).resolve("work");
    }

    @Override
    String jupyterPortInside(String instanceId) {
        return "8888";
    }
}

/** Kubernetes pods: sessions are execs through the API server, forwarding a relay inside the pod. */
class PodSshGatewayTest extends SshGatewayTest {
    @Override
    TestServer startServer(Path dataDir) {
        return TestServer.on(TestRuntime.KUBERNETES, dataDir);
    }

    @Override
    int hostUid(String instanceId) {
        return 1000;
    }

    @Override
    Path workOnHost(String instanceId) {
        return TestRuntime.cluster().node().claimDir(dev.atelier.support.kube.TestCluster.NAMESPACE,
                "atelier-" + instanceId + "-work");
    }

    @Override
    String jupyterPortInside(String instanceId) {
        return "8888";
    }
}
