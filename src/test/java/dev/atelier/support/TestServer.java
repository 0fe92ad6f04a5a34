package dev.atelier.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Atelier server on a free port of 127.0.0.1, with its own data dir, started in this JVM. Closing it
 * also kills any notebook server left behind under its data dir, so no test leaks a process.
 */
public final class TestServer implements AutoCloseable {
    public static final String IMAGE_ID = dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID;
    public static final String FLAVOR = "modelarts.vm.cpu.2u";
    /** The bearer token every test server lets scrape its metrics with. */
    public static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789";

    private final Path dataDir;
    private final String databaseUrl;
    private final String runnable;
    private final MovableClock clock = new MovableClock();
    private Atelier atelier;
    private dev.atelier.store.sql.Database database;

    private final boolean sandbox;
    private boolean requireIsolation;
    private String publicUrl;
    private String notebookDomain;
    private int signInLimitPerAccountAndAddress = dev.atelier.core.auth.SignInLimiter.DEFAULT_PER_ACCOUNT_AND_ADDRESS;
    private int signInLimitPerAddress = dev.atelier.core.auth.SignInLimiter.DEFAULT_PER_ADDRESS;
    private String instanceNetwork = ServerConfig.DEFAULT_INSTANCE_NETWORK;
    private ServerConfig.Engine engine = ServerConfig.Engine.LOCAL;
    private int warmServers;

    private TestServer(Path dataDir, String databaseUrl, String runnable, boolean sandbox) {
        this.dataDir = dataDir;
        this.databaseUrl = databaseUrl;
        this.runnable = runnable;
        this.sandbox = sandbox;
    }

    /** A server that must sandbox its instances and refuses those it cannot. */
    public static TestServer requiringIsolation(Path dataDir) {
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, true);
        s.requireIsolation = true;
        return s.start();
    }

    /** A server that runs every instance in a sandbox with its flavor's limits. */
    public static TestServer sandboxed(Path dataDir) {
        return new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, true).start();
    }

    /** A sandboxing server whose instances reach the network as {@code mode} says (outbound, none, host). */
    public static TestServer sandboxed(Path dataDir, String instanceNetwork) {
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, true);
        s.instanceNetwork = instanceNetwork;
        return s.start();
    }

    /** A sandboxing server that keeps {@code warm} servers of the built-in image started ahead of demand. */
    public static TestServer sandboxedWithWarmPool(Path dataDir, int warm) {
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, true);
        s.warmServers = warm;
        return s.start();
    }

    /** How many servers the next {@link #start} keeps warm. */
    public TestServer warmServers(int warm) {
        this.warmServers = warm;
        return this;
    }

    public static TestServer sqlite(Path dataDir) {
        return new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false).start();
    }

    public static TestServer postgres(Path dataDir) {
        return new TestServer(dataDir, Postgres.freshSchemaUrl(), ServerConfig.DEFAULT_JUPYTER, false).start();
    }

    /** A server without notebook servers whose sign-in lockouts start after the given numbers of failures. */
    public static TestServer withSignInLimits(Path dataDir, int perUser, int perAddress) {
        TestServer s = new TestServer(dataDir, null, "/nonexistent/jupyter-server", false);
        s.signInLimitPerAccountAndAddress = perUser;
        s.signInLimitPerAddress = perAddress;
        return s.start();
    }

    /** A server with real notebook servers that tells clients it is reached at {@code publicUrl}. */
    public static TestServer withPublicUrl(Path dataDir, String publicUrl) {
        return withPublicUrl(dataDir, publicUrl, TestRuntime.LOCAL);
    }

    /** As {@link #withPublicUrl(Path, String)}, with instances on {@code runtime}. */
    public static TestServer withPublicUrl(Path dataDir, String publicUrl, TestRuntime runtime) {
        runtime.assumeAvailable();
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.publicUrl = publicUrl;
        s.engine = runtime.engine();
        return s.start();
    }

    /** A server with real notebook servers that serves each notebook on a host of its own under {@code domain}. */
    public static TestServer withNotebookDomain(Path dataDir, String domain) {
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.notebookDomain = domain;
        return s.start();
    }

    /** A server on SQLite whose instances run on {@code runtime}: unsandboxed processes, or Docker containers. */
    public static TestServer on(TestRuntime runtime, Path dataDir) {
        return on(runtime, dataDir, 0);
    }

    /** As {@link #on(TestRuntime, Path)}, keeping {@code warm} servers of the built-in image started ahead of demand. */
    public static TestServer on(TestRuntime runtime, Path dataDir, int warm) {
        runtime.assumeAvailable();
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.engine = runtime.engine();
        s.warmServers = warm;
        return s.start();
    }

    /** A server whose instances run on the local Docker engine, on the networks {@code --docker-network} says. */
    public static TestServer onDockerNetwork(Path dataDir, String network) {
        TestRuntime.DOCKER.assumeAvailable();
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.engine = TestRuntime.DOCKER.engine().withDockerNetwork(network);
        return s.start();
    }

    /** A server whose instances run on the Docker engine at {@code dockerHost} ({@code tcp://...}, {@code unix://...}). */
    public static TestServer onDocker(Path dataDir, String dockerHost) {
        return onDocker(dataDir, dockerHost, null);
    }

    /** As {@link #onDocker(Path, String)}, with an image registry ({@code host:port}). */
    public static TestServer onDocker(Path dataDir, String dockerHost, String registry) {
        TestRuntime.DOCKER.assumeAvailable();
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.engine = new ServerConfig.Engine("docker", dockerHost, registry, null, null);
        return s.start();
    }

    /** A server whose instances run in the test cluster as {@code cluster} says. */
    public static TestServer onCluster(Path dataDir, ServerConfig.Cluster cluster) {
        return onCluster(dataDir, cluster, null);
    }

    /** As {@link #onCluster(Path, ServerConfig.Cluster)}, saving images to {@code registry} ({@code host:port}). */
    public static TestServer onCluster(Path dataDir, ServerConfig.Cluster cluster, String registry) {
        TestRuntime.KUBERNETES.assumeAvailable();
        TestServer s = new TestServer(dataDir, null, ServerConfig.DEFAULT_JUPYTER, false);
        s.engine = new ServerConfig.Engine("kubernetes", null, registry, null, null, cluster);
        return s.start();
    }

    public static TestServer of(Path dataDir, String databaseUrl, String runnable) {
        return new TestServer(dataDir, databaseUrl, runnable, false).start();
    }

    /** Unmounts what sandboxed instances left mounted under the data dir, deepest first, so it can be deleted. */
    private void unmountAll() {
        unmountUnder(dataDir);
    }

    /** Unmounts everything mounted below {@code dir}, deepest first, so that it can be deleted. */
    public static void unmountUnder(Path dir) {
        String root = dir.toAbsolutePath().normalize() + "/";
        try {
            List<String> points = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4]).filter(p -> p.startsWith(root))
                    .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
            for (String p : points) {
                new ProcessBuilder("umount", "-l", p).inheritIO().start().waitFor();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes the cgroups of this server's instances that their instances did not live to remove. */
    private void removeCgroups() {
        Path instances = dataDir.resolve("instances");
        if (!Files.isDirectory(instances)) {
            return;
        }
        try (var homes = Files.list(instances)) {
            for (Path home : homes.toList()) {
                for (String controller : List.of("memory", "cpu", "pids")) {
                    Files.deleteIfExists(Path.of("/sys/fs/cgroup", controller, "atelier", home.getFileName().toString()));
                }
                Files.deleteIfExists(Path.of("/sys/fs/cgroup/atelier", home.getFileName().toString()));
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** Starts (or restarts, after {@link #stopServer}) the server on the same data dir and database. */
    public TestServer start() {
        roomyPools(dataDir);
        atelier = Atelier.start(new ServerConfig(dataDir, databaseUrl,
                new ServerConfig.Http("127.0.0.1", 0, publicUrl, notebookDomain, 0, METRICS_TOKEN),
                new ServerConfig.Instances(runnable, sandbox, requireIsolation, instanceNetwork,
                        Duration.ofSeconds(30), Duration.ofSeconds(5),
                        java.util.Map.of(TestServer.IMAGE_ID, warmServers)),
                new ServerConfig.Lifecycle(Duration.ofMillis(500), 4),
                new ServerConfig.SignIn(signInLimitPerAccountAndAddress, signInLimitPerAddress), engine), clock);
        return this;
    }

    /**
     * Gives the public pool no limit, unless the test wrote a {@code pools.json} of its own: the tests of other
     * things run more instances at once than this host's measured room holds (two of the default flavor).
     */
    public static void roomyPools(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("pools.json");
            if (!Files.exists(file)) {
                Files.writeString(file, "{\"pools\": [{\"id\": \"pool-managed\", \"room\": {}}]}");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the control plane only; instances keep running, as after a restart of the server. */
    public void stopServer() {
        atelier.close();
        atelier = null;
    }

    /** Starts the server again (after {@link #stopServer}) with its instances in the test cluster as {@code cluster} says. */
    public TestServer startOnCluster(ServerConfig.Cluster cluster) {
        engine = new ServerConfig.Engine("kubernetes", null, null, null, null, cluster);
        return start();
    }

    /** The server's lifecycle clock; moving it forward makes leases run out. */
    public MovableClock clock() {
        return clock;
    }

    /** The server's own store, opened a second time, to seed records a test cannot reach through the API. */
    public dev.atelier.core.port.InstanceStore store() {
        if (database == null) {
            database = dev.atelier.store.sql.Database.open(databaseUrl != null ? databaseUrl
                    : "jdbc:sqlite:" + dataDir.toAbsolutePath().resolve("atelier.db"));
        }
        return new dev.atelier.store.sql.SqlInstanceStore(database);
    }

    /** The server's image store, opened a second time (see {@link #store()}). */
    public dev.atelier.core.port.ImageStore images() {
        store();
        return new dev.atelier.store.sql.SqlImageStore(database);
    }

    /** The server's identity store, opened a second time (see {@link #store()}). */
    public dev.atelier.core.port.IdentityStore identities() {
        store();
        return new dev.atelier.store.sql.SqlIdentityStore(database);
    }

    public int sshPort() {
        return atelier.sshPort();
    }

    /** Every HTTP route the server serves. */
    public java.util.SortedSet<String> routes() {
        return atelier.routes();
    }

    public String url() {
        return atelier.apiUrl();
    }

    public Path dataDir() {
        return dataDir;
    }

    public JsonNode credentials() {
        try {
            return new ObjectMapper().readTree(Files.readString(dataDir.resolve("credentials.json"),
                    StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Adds a user to the administrator's project, with an access key, straight through the store (there is no
     * user API yet), and returns a client signing as that user.
     */
    public SignedClient addUser(String name) {
        store(); // opens the database
        var identities = new dev.atelier.store.sql.SqlIdentityStore(database);
        JsonNode admin = credentials();
        String userId = java.util.UUID.randomUUID().toString().replace("-", "");
        String ak = ("AK" + userId).substring(0, 20).toUpperCase(java.util.Locale.ROOT);
        String sk = java.util.UUID.randomUUID().toString();
        byte[] key;
        try {
            key = java.util.HexFormat.of().parseHex(Files.readString(dataDir.resolve("server.key")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long now = System.currentTimeMillis();
        identities.createUser(userId, name, now);
        identities.addMember(admin.get("project_id").asText(), userId, "member");
        identities.createAccessKey(ak, userId, new dev.atelier.core.auth.SecretBox(key).seal(sk), now);
        return new SignedClient(url(), admin.get("project_id").asText(), ak, sk);
    }

    public SignedClient client() {
        JsonNode c = credentials();
        return new SignedClient(url(), c.get("project_id").asText(), c.get("access_key").asText(),
                c.get("secret_key").asText());
    }

    public static String createBody(String name) {
        return "{\"name\":\"" + name + "\",\"description\":\"test instance\",\"feature\":\"NOTEBOOK\","
                + "\"flavor\":\"" + FLAVOR + "\",\"image_id\":\"" + IMAGE_ID + "\","
                + "\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5},"
                + "\"lease\":{\"duration\":3600000,\"type\":\"timing\"}}";
    }

    @Override
    public void close() {
        if (database != null) {
            database.close();
        }
        if (atelier != null) {
            stopServer();
        }
        String marker = dataDir.toAbsolutePath().toString();
        List<ProcessHandle> left = Processes.matching(marker);
        left.forEach(ProcessHandle::destroyForcibly);
        left.forEach(p -> p.onExit().join());
        removeCgroups();
        if (engine.docker()) {
            TestRuntime.removeContainersOf(dataDir);
        }
        if (engine.kubernetes()) {
            // the cluster outlives the test: what this installation left running there would load the next tests
            TestRuntime.removePodsOf(dataDir);
        }
        unmountAll();
        if (databaseUrl != null && databaseUrl.contains("currentSchema=")) {
            Postgres.dropSchemaOf(databaseUrl);
        }
    }
}
