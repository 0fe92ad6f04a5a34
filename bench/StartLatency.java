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
 * Then ten at once, bare and through Atelier: a first round reported on its own, then three (or
 * {@code -Dbench.rounds=K}) whose median is the figure. Prints KEY=VALUE lines.
 * Usage: bench/run start-latency [N] [sandbox]; the first argument is a scratch directory.
 */
public class StartLatency {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Ten clients polling every 10 ms would themselves load the 2 cores they measure: poll less often then. */
    static final int CONCURRENT_POLL_MS = 100;
    static final List<Double> STOPS = Collections.synchronizedList(new ArrayList<>());
    static final List<Double> DELETES = Collections.synchronizedList(new ArrayList<>());
    static final Pattern FIELD = Pattern.compile("\"(id|status)\"\\s*:\\s*\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean sandbox = args.length > 2 && args[2].equals("sandbox");
        // the server as bin/atelier runs it: its defaults
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null)
                .withIsolation(sandbox, false));
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
                double bareCold = allAtOnce(together, (k, ready) -> bareStart(dir, base + k, ready));
                long j0 = jitCpuMs();
                double atelierCold = allAtOnce(together, (k, ready) -> atelierStart(api, base + together + k, ready));
                System.out.printf("create_concurrent_ratio_first_round=%.2f%njit_cpu_ms_first_round_atelier=%d%n",
                        atelierCold / bareCold, jitCpuMs() - j0);
            }
            List<Double> bareTogether = new ArrayList<>();
            List<Double> atelierTogether = new ArrayList<>();
            List<String> ratios = new ArrayList<>();
            List<String> bareCpu = new ArrayList<>();
            List<String> atelierCpu = new ArrayList<>();
            List<String> atelierJit = new ArrayList<>();
            List<String> bareJit = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                int base = 100 + r * 2 * together;
                // this JVM's CPU (the clients; in the Atelier rounds the server too, clean-up included)
                long c0 = jvmCpuMs();
                long j0 = jitCpuMs();
                bareTogether.add(allAtOnce(together, (k, ready) -> bareStart(dir, base + k, ready)));
                long c1 = jvmCpuMs();
                long j1 = jitCpuMs();
                bareJit.add(Long.toString(j1 - j0));
                atelierTogether.add(allAtOnce(together, (k, ready) -> atelierStart(api, base + together + k, ready)));
                long c2 = jvmCpuMs();
                bareCpu.add(Long.toString(c1 - c0));
                atelierCpu.add(Long.toString(c2 - c1));
                atelierJit.add(Long.toString(jitCpuMs() - j1));
                ratios.add(String.format("%.2f", atelierTogether.get(r) / bareTogether.get(r)));
            }
            System.out.printf("concurrent=%d%nconcurrent_rounds=%d%nbare_concurrent_all_ready_ms=%.0f%n"
                    + "create_concurrent_all_running_ms=%.0f%ncreate_concurrent_ratio=%.2f%n"
                    + "create_concurrent_ratio_each_round=%s%n", together, rounds, p(bareTogether, 50),
                    p(atelierTogether, 50), p(atelierTogether, 50) / p(bareTogether, 50), String.join(",", ratios));
            System.out.printf("jvm_cpu_ms_each_round_bare=%s%njvm_cpu_ms_each_round_atelier=%s%n"
                    + "jit_cpu_ms_each_round_bare=%s%njit_cpu_ms_each_round_atelier=%s%n", String.join(",", bareCpu),
                    String.join(",", atelierCpu), String.join(",", bareJit), String.join(",", atelierJit));
            System.out.println("samples=" + n);
            System.out.println("sandbox=" + atelierSandbox(atelier));
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

    static double bareStart(Path dir, int i) throws Exception {
        return bareStart(dir, i, () -> { });
    }

    /** {@code ready} runs once the server answers, before it is stopped. */
    static double bareStart(Path dir, int i, Ready ready) throws Exception {
        Path root = Files.createDirectories(dir.resolve("bare-" + i));
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String base = "/notebook/bare-" + i + "/";
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/jupyter-server", "--no-browser", "--allow-root",
                "--ip=127.0.0.1", "--port=" + port, "--port-retries=0", "--ServerApp.base_url=" + base,
                "--ServerApp.root_dir=" + root).redirectErrorStream(true)
                .redirectOutput(root.resolve("log").toFile());
        pb.environment().clear();
        pb.environment().putAll(Map.of("PATH", "/usr/bin:/bin", "HOME", root.toString(), "JUPYTER_TOKEN", "t" + i,
                "JUPYTER_RUNTIME_DIR", root.resolve("rt").toString()));
        long t0 = System.nanoTime();
        Process p = pb.start();
        HttpRequest status = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + base + "api/status"))
                .header("Authorization", "token t" + i).build();
        while (true) {
            try {
                if (HTTP.send(status, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(i >= 100 ? CONCURRENT_POLL_MS : 10);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        ready.run();
        p.destroy();
        p.waitFor();
        return ms;
    }

    static double atelierStart(Client api, int i) throws Exception {
        return atelierStart(api, i, () -> { });
    }

    /** {@code ready} runs once the instance is RUNNING, before it is stopped and deleted. */
    static double atelierStart(Client api, int i, Ready ready) throws Exception {
        String body = "{\"name\":\"bench-" + i + "\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\""
                + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID
                + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}";
        long t0 = System.nanoTime();
        String id = field(api.send("POST", "/notebooks", body), "id");
        while (true) {
            String status = field(api.send("GET", "/notebooks/" + id, null), "status");
            if (status.equals("RUNNING")) {
                break;
            }
            if (status.endsWith("FAILED")) {
                throw new IllegalStateException("instance " + id + " failed");
            }
            Thread.sleep(i >= 100 ? CONCURRENT_POLL_MS : 10);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        ready.run();
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
        return ms;
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
        void start(int k, Ready ready) throws Exception;
    }

    /**
     * Starts {@code count} at once; the time until the last is ready. None is stopped before all are ready: stopping
     * the first ones would free CPU for the rest.
     */
    static double allAtOnce(int count, Start task) throws InterruptedException {
        var allReady = new java.util.concurrent.CyclicBarrier(count);
        var last = new java.util.concurrent.atomic.AtomicLong();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    task.start(k, () -> {
                        last.accumulateAndGet(System.nanoTime(), Math::max);
                        allReady.await();
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return (last.get() - t0) / 1e6;
    }
}
