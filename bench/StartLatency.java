import dev.atelier.core.auth.SdkSigner;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * create→RUNNING latency through Atelier next to a bare jupyter-server start, measured in the same run and
 * interleaved (bare, Atelier, bare, …) so that machine noise hits both alike. Both are polled every 10 ms.
 * Then ten at once, bare and through Atelier (watched as {@link #BARE_POLL_MS} and {@link #CLIENT_POLL_MS} say): a
 * first round reported on its own, then three (or {@code -Dbench.rounds=K}) whose median is the figure. Prints
 * KEY=VALUE lines.
 * With {@code docker}, instances run as containers (--runtime docker) and the bare start is a bare container of the
 * same image with the same command line (what {@code docker run -p 127.0.0.1:P:8888 IMAGE jupyter-server ...} asks
 * the engine for), timed until Jupyter answers.
 * Usage: bench/run start-latency [N] [sandbox [outbound|none|host] | docker]; the first argument is a scratch
 * directory.
 */
public class StartLatency {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /**
     * Ten at once: each bare server is watched as Atelier's runtime watches a starting server (a connect every 25 ms,
     * then a request once something listens); each client polls its instance every second, as API clients do, and
     * takes the moment it became RUNNING from the server ({@code lease.update_at}, written with the status). Ten
     * clients polling every 10 ms would load the two cores they measure with requests no real client makes.
     */
    static final int BARE_POLL_MS = 25;
    static final int CLIENT_POLL_MS = 1000;
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    static final List<Double> STOPS = Collections.synchronizedList(new ArrayList<>());
    static final List<Double> DELETES = Collections.synchronizedList(new ArrayList<>());
    static final Pattern FIELD = Pattern.compile("\"(id|status)\"\\s*:\\s*\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean sandbox = args.length > 2 && args[2].equals("sandbox");
        DOCKER = args.length > 2 && args[2].equals("docker");
        String network = args.length > 3 ? args[3] : ServerConfig.DEFAULT_INSTANCE_NETWORK;
        // the server as bin/atelier runs it: its defaults
        // starts are measured here, not the queue: the public pool has no limit
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data").resolve("pools.json"),
                "{\"pools\": [{\"id\": \"pool-managed\", \"room\": {}}]}");
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null)
                .withIsolation(sandbox, false, network)
                .withEngine(new ServerConfig.Engine(DOCKER ? "docker" : "local", null, null, null, null)
                        .withDockerNetwork(System.getenv("ATELIER_DOCKER_NETWORK"))));
        System.out.println("runtime=" + (DOCKER ? "docker" : "local"));
        try {
            var creds = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("data/credentials.json").toFile());
            Client api = new Client(atelier.apiUrl(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            List<Double> bare = new ArrayList<>();
            List<Double> through = new ArrayList<>();
            bareStart(dir, 0); // warm the page cache for both
            for (int i = 0; i < n; i++) {
                bare.add(bareStart(dir, i + 1));
                through.add(atelierStart(api, i));
            }
            report("bare_start", bare);
            report("create_to_running", through);
            System.out.printf("create_to_running_p50_ratio=%.2f%n", p(through, 50) / p(bare, 50));
            report("stop_to_stopped", STOPS);
            report("delete_to_gone", DELETES);

            // the same number at once: all bare servers, then all creates, each timed until the last is ready; one
            // such pair is a single sample of a noisy machine, so a full run takes three and compares the medians
            int together = Math.min(n, 10);
            int rounds = n >= 10 ? Integer.getInteger("bench.rounds", 3) : 1;
            // a server runs for days; the first round at once is also where the JIT compiles the concurrent paths
            // (seconds of CPU on these two cores): it is reported on its own, and not counted in the median
            if (n >= 10) {
                int base = 1000; // at or above 100: polled as the measured rounds are
                Round bareCold = allAtOnce(together, (k, ready) -> bareStart(dir, base + k, ready));
                Round atelierCold = allAtOnce(together, (k, ready) -> atelierStart(api, base + together + k, ready));
                System.out.printf("create_concurrent_ratio_first_round=%.2f%njit_cpu_ms_until_ready_first_round_atelier=%d%n",
                        atelierCold.ms() / bareCold.ms(), atelierCold.jitMs());
            }
            List<Round> bareRounds = new ArrayList<>();
            List<Round> atelierRounds = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                int base = 100 + r * 2 * together;
                bareRounds.add(allAtOnce(together, (k, ready) -> bareStart(dir, base + k, ready)));
                atelierRounds.add(allAtOnce(together, (k, ready) -> atelierStart(api, base + together + k, ready)));
            }
            List<Double> bareTogether = bareRounds.stream().map(Round::ms).toList();
            List<Double> atelierTogether = atelierRounds.stream().map(Round::ms).toList();
            List<String> ratios = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                ratios.add(String.format("%.2f", atelierTogether.get(r) / bareTogether.get(r)));
            }
            System.out.printf("concurrent=%d%nconcurrent_rounds=%d%nbare_concurrent_all_ready_ms=%.0f%n"
                    + "create_concurrent_all_running_ms=%.0f%ncreate_concurrent_ratio=%.2f%n"
                    + "create_concurrent_ratio_each_round=%s%n", together, rounds, p(bareTogether, 50),
                    p(atelierTogether, 50), p(atelierTogether, 50) / p(bareTogether, 50), String.join(",", ratios));
            // this JVM's CPU while the clock ran: the clients, and in the Atelier rounds the server too
            System.out.printf("jvm_cpu_ms_until_ready_each_round_bare=%s%njvm_cpu_ms_until_ready_each_round_atelier=%s%n"
                    + "jit_cpu_ms_until_ready_each_round_bare=%s%njit_cpu_ms_until_ready_each_round_atelier=%s%n",
                    joined(bareRounds, Round::cpuMs), joined(atelierRounds, Round::cpuMs),
                    joined(bareRounds, Round::jitMs), joined(atelierRounds, Round::jitMs));
            System.out.println("samples=" + n);
            System.out.println("sandbox=" + atelierSandbox(atelier));
            System.out.println("instance_network=" + (sandbox ? network : "host"));
        } catch (Exception | Error e) { // the source launcher loses the message of what main throws
            System.out.println("error=" + e);
            throw e;
        } finally {
            atelier.close();
        }
        System.exit(0);
    }

    static String atelierSandbox(Atelier atelier) throws Exception {
        String body = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(atelier.apiUrl() + "/health/ready"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.contains("\"sandbox\":\"bubblewrap\"") ? "bubblewrap" : "none";
    }

    /** One bare start: the time until it answered, in ms. */
    static double bareStart(Path dir, int i) throws Exception {
        long t0 = System.currentTimeMillis();
        return bareStart(dir, i, () -> { }) - t0;
    }

    /**
     * {@code ready} runs once the server answers, before it is stopped. Returns the moment it answered, in epoch ms.
     */
    static long bareStart(Path dir, int i, Ready ready) throws Exception {
        if (DOCKER) {
            return bareContainer(i, ready);
        }
        Path root = Files.createDirectories(dir.resolve("bare-" + i));
        int port = barePort();
        String base = "/notebook/bare-" + i + "/";
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/jupyter-server", "--no-browser", "--allow-root",
                "--ip=127.0.0.1", "--port=" + port, "--port-retries=0", "--ServerApp.base_url=" + base,
                "--ServerApp.root_dir=" + root).redirectErrorStream(true)
                .redirectOutput(root.resolve("log").toFile());
        pb.environment().clear();
        pb.environment().putAll(Map.of("PATH", "/usr/bin:/bin", "HOME", root.toString(), "JUPYTER_TOKEN", "t" + i,
                "JUPYTER_RUNTIME_DIR", root.resolve("rt").toString()));
        Process p = pb.start();
        try {
            awaitAnswer(port, base, i, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("bare server " + i + " exited: "
                            + Files.readString(root.resolve("log")));
                }
            });
            long readyAt = System.currentTimeMillis();
            ready.run();
            return readyAt;
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    static boolean DOCKER;
    static com.github.dockerjava.api.DockerClient docker;

    /** A bare container of the built-in image running Jupyter as Atelier runs it, until it answers. */
    static long bareContainer(int i, Ready ready) throws Exception {
        if (docker == null) {
            var config = com.github.dockerjava.core.DefaultDockerClientConfig.createDefaultConfigBuilder().build();
            docker = com.github.dockerjava.core.DockerClientImpl.getInstance(config,
                    new com.github.dockerjava.httpclient5.ApacheDockerHttpClient.Builder()
                            .dockerHost(config.getDockerHost()).build());
        }
        int port = barePort();
        String base = "/notebook/bare-" + i + "/";
        var exposed = com.github.dockerjava.api.model.ExposedPort.tcp(8888);
        String id = docker.createContainerCmd(dev.atelier.runtime.docker.BaseImage.REFERENCE)
                .withUser("1000:1000").withEnv("JUPYTER_TOKEN=t" + i, "HOME=/home/ma-user")
                .withCmd("jupyter-server", "--no-browser", "--ip=0.0.0.0", "--port=8888", "--port-retries=0",
                        "--ServerApp.base_url=" + base, "--ServerApp.root_dir=/home/ma-user")
                .withExposedPorts(exposed)
                .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withPortBindings(
                        new com.github.dockerjava.api.model.PortBinding(com.github.dockerjava.api.model.Ports.Binding
                                .bindIpAndPort("127.0.0.1", port), exposed)))
                .exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            awaitAnswer(port, base, i, () -> { });
            long readyAt = System.currentTimeMillis();
            ready.run();
            return readyAt;
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    interface Check {
        void run() throws Exception;
    }

    /** Until the bare server {@code i} answers {@code api/status}; {@code alive} throws when it never will. */
    static void awaitAnswer(int port, String base, int i, Check alive) throws Exception {
        HttpRequest status = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + base + "api/status"))
                .header("Authorization", "token t" + i).build();
        while (true) {
            try {
                if ((i < 100 || listening(port))
                        && HTTP.send(status, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not answering yet
            }
            alive.run();
            Thread.sleep(i >= 100 ? BARE_POLL_MS : 10);
        }
    }

    static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 800);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * A port for a bare server: above the kernel's ephemeral range, where no outgoing connection takes one and
     * Atelier's own servers (below it) never go, each used once per run. A port the kernel picked (bind to port 0)
     * can be handed out again before the server that was given it binds it: two of ten bare servers once got one.
     */
    static synchronized int barePort() throws java.io.IOException {
        while (true) {
            int port = nextBarePort++;
            try (var s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (java.net.BindException taken) {
                // something else has it
            }
        }
    }

    static int nextBarePort = 61_000;

    /** One create: the time until it was RUNNING, in ms. */
    static double atelierStart(Client api, int i) throws Exception {
        long t0 = System.currentTimeMillis();
        return atelierStart(api, i, () -> { }) - t0;
    }

    /**
     * {@code ready} runs once the instance is RUNNING, before it is stopped and deleted. Returns the moment it became
     * RUNNING, in epoch ms: when this client saw it, or (ten at once, polled every second) when the server wrote it.
     */
    static long atelierStart(Client api, int i, Ready ready) throws Exception {
        String body = "{\"name\":\"bench-" + i + "\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\""
                + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID
                + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}";
        String id = field(api.send("POST", "/notebooks", body), "id");
        long readyAt;
        try {
            while (true) {
                String shown = api.send("GET", "/notebooks/" + id, null);
                String status = field(shown, "status");
                if (status.equals("RUNNING")) {
                    // at once: when this client saw it; ten at once: when the server wrote it
                    readyAt = i < 100 ? System.currentTimeMillis()
                            : JSON.readTree(shown).get("lease").get("update_at").asLong();
                    break;
                }
                if (status.endsWith("FAILED")) {
                    throw new IllegalStateException("instance " + id + " failed: " + shown);
                }
                Thread.sleep(i >= 100 ? CLIENT_POLL_MS : 10);
            }
            ready.run();
        } catch (Exception e) {
            api.send("DELETE", "/notebooks/" + id, null); // nothing left running when the run fails
            throw e;
        }
        if (i < 100) { // sequential runs also time stop and delete
            long s0 = System.nanoTime();
            api.send("POST", "/notebooks/" + id + "/stop", null);
            while (!field(api.send("GET", "/notebooks/" + id, null), "status").equals("STOPPED")) {
                Thread.sleep(10);
            }
            STOPS.add((System.nanoTime() - s0) / 1e6);
        }
        long d0 = System.nanoTime();
        api.send("DELETE", "/notebooks/" + id, null);
        while (api.send("GET", "/notebooks/" + id, null).contains("\"id\"")) {
            Thread.sleep(10);
        }
        if (i < 100) {
            DELETES.add((System.nanoTime() - d0) / 1e6);
        }
        return readyAt;
    }

    static String joined(List<Round> rounds, java.util.function.ToLongFunction<Round> value) {
        return String.join(",", rounds.stream().map(r -> Long.toString(value.applyAsLong(r))).toList());
    }

    static String field(String json, String name) {
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return m.group(2);
            }
        }
        throw new IllegalStateException("no " + name + " in " + json);
    }

    static void report(String key, List<Double> ms) {
        System.out.printf("%s_p50_ms=%.0f%n%s_p95_ms=%.0f%n%s_min_ms=%.0f%n%s_max_ms=%.0f%n", key, p(ms, 50), key,
                p(ms, 95), key, Collections.min(ms), key, Collections.max(ms));
    }

    static double p(List<Double> values, int pct) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(pct / 100.0 * s.size()) - 1));
    }

    record Client(String url, String project, String ak, String sk) {
        String send(String method, String path, String body) throws Exception {
            URI uri = URI.create(url + "/v1/" + project + path);
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .header("Content-Type", "application/json");
            new SdkSigner(ak, sk).sign(method, uri, bytes, null).forEach(req::header);
            return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** This process's user + system CPU time, in ms (10 ms ticks). */
    static long jvmCpuMs() throws Exception {
        return ShowLoad.cpuMicros(ProcessHandle.current().pid()) / 1000;
    }

    /** CPU time of this JVM's JIT compiler threads: compiling, not serving. */
    static long jitCpuMs() throws Exception {
        long micros = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readAllLines(t.resolve("comm")).get(0).contains("CompilerThre")) {
                        micros += ShowLoad.cpuMicros(t.resolve("stat"));
                    }
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended
                }
            }
        }
        return micros / 1000;
    }

    interface Ready {
        void run() throws Exception;
    }

    interface Start {
        /** Starts one; returns the moment it was ready, in epoch ms. */
        long start(int k, Ready ready) throws Exception;
    }

    /**
     * One round at once: the time until the last was ready, and this JVM's CPU (all of it, and its JIT's) until the
     * last was seen ready (for the Atelier rounds, up to a client poll after it was).
     */
    record Round(double ms, long cpuMs, long jitMs) { }

    /**
     * Starts {@code count} at once; the time until the last is ready. None is stopped before all are ready: stopping
     * the first ones would free CPU for the rest. The CPU is read when the last one is ready, so it is the CPU spent
     * while the clock ran, without the clean-up after it. If one start fails, the round fails, and none waits for it.
     */
    static Round allAtOnce(int count, Start task) throws Exception {
        long c0 = jvmCpuMs();
        long j0 = jitCpuMs();
        long[] atReady = new long[2]; // the CPU and the JIT CPU when the last was seen ready
        int[] arrived = {0};
        var failure = new java.util.concurrent.atomic.AtomicReference<Exception>();
        var lock = new java.util.concurrent.locks.ReentrantLock();
        var allReady = lock.newCondition();
        Ready ready = () -> {
            lock.lock();
            try {
                if (++arrived[0] == count) {
                    atReady[0] = jvmCpuMs();
                    atReady[1] = jitCpuMs();
                    allReady.signalAll();
                }
                while (arrived[0] < count && failure.get() == null) {
                    allReady.await();
                }
                if (failure.get() != null) {
                    throw new IllegalStateException("another start of the round failed");
                }
            } finally {
                lock.unlock();
            }
        };
        var lastReadyAt = new java.util.concurrent.atomic.AtomicLong();
        long t0 = System.currentTimeMillis();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    lastReadyAt.accumulateAndGet(task.start(k, ready), Math::max);
                } catch (Exception e) {
                    lock.lock();
                    try {
                        failure.compareAndSet(null, e);
                        allReady.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return new Round(lastReadyAt.get() - t0, atReady[0] - c0, atReady[1] - j0);
    }
}
