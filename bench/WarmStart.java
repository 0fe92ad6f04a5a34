import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Servers kept warm (--warm-pool) against a bare jupyter-server start and against a create without the pool, in one
 * run on sandboxed instances (each in a network of its own, as bin/atelier runs them), interleaved: bare, a create
 * that takes a warm server, a create that cannot (another volume size, so the pool has none for it). Each create is
 * followed through the gateway: the notebook page, then a kernel started and {@code 1+1} run in it (a warm server
 * must not move the wait to the first request). The created instance is then stopped and started again (a start
 * takes no warm server). Then ten creates at once with a pool of ten against ten bare servers, and what a waiting
 * server costs: its memory (RSS of all of its processes) and its CPU while idle. Before every measured create the pool
 * is full again: refills are not measured against the start they follow. CPU is read in clock ticks (10 ms).
 * Prints KEY=VALUE lines.
 * With {@code docker}, instances are containers and a bare start is a bare container of the same image, as in
 * {@link StartLatency}. Usage: bench/run warm-start [N] [POOL] [docker]; the first argument is a scratch directory.
 */
public class WarmStart {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int pool = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        // docker: instances are containers, and a bare start is a bare container of the same image
        StartLatency.DOCKER = args.length > 3 && args[3].equals("docker");
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data").resolve("pools.json"),
                "{\"pools\": [{\"id\": \"pool-managed\", \"room\": {}}]}");
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null)
                .withIsolation(true, false, ServerConfig.DEFAULT_INSTANCE_NETWORK)
                .withWarmPool(Map.of(dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID, pool))
                .withEngine(new ServerConfig.Engine(StartLatency.DOCKER ? "docker" : "local", null, null, null, null)
                        .withDockerNetwork(System.getenv("ATELIER_DOCKER_NETWORK"))));
        System.out.println("runtime=" + (StartLatency.DOCKER ? "docker" : "local"));
        try {
            var creds = StartLatency.JSON.readTree(dir.resolve("data/credentials.json").toFile());
            StartLatency.Client api = new StartLatency.Client(atelier.apiUrl(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            System.out.println("sandbox=" + StartLatency.atelierSandbox(atelier));
            System.out.println("pool=" + pool);
            awaitPool(atelier, pool);
            StartLatency.bareStart(dir, 0); // warms the page cache
            List<Double> bare = new ArrayList<>();
            Map<String, List<Double>> warm = series();
            Map<String, List<Double>> cold = series();
            List<Double> restarts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                bare.add(StartLatency.bareStart(dir, i + 1));
                awaitPool(atelier, pool);
                String w = create(api, "warm-" + i, 5, warm);
                awaitPool(atelier, pool);
                String c = create(api, "cold-" + i, 6, cold);
                restarts.add(restart(api, c));
                for (String id : List.of(w, c)) {
                    delete(api, id);
                }
            }
            StartLatency.report("bare_start", bare);
            for (var s : List.of(Map.entry("warm", warm), Map.entry("cold", cold))) {
                StartLatency.report("create_to_running_" + s.getKey(), s.getValue().get("running"));
                System.out.printf("create_to_running_%s_ratio_to_bare=%.2f%n", s.getKey(),
                        StartLatency.p(s.getValue().get("running"), 50) / StartLatency.p(bare, 50));
                StartLatency.report("first_page_" + s.getKey(), s.getValue().get("page"));
                StartLatency.report("first_cell_" + s.getKey(), s.getValue().get("cell"));
            }
            StartLatency.report("stopped_start_to_running", restarts);

            // ten at once, the pool full before each round
            int together = Math.min(10, pool);
            List<Double> bareRounds = new ArrayList<>();
            List<Double> warmRounds = new ArrayList<>();
            List<String> ratios = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                int base = 100 + r * 2 * together;
                bareRounds.add(StartLatency.allAtOnce(together, (k, ready) -> StartLatency.bareStart(dir, base + k,
                        ready)).ms());
                awaitPool(atelier, pool);
                warmRounds.add(StartLatency.allAtOnce(together, (k, ready) -> StartLatency.atelierStart(api,
                        base + together + k, ready)).ms());
                ratios.add(String.format("%.2f", warmRounds.get(r) / bareRounds.get(r)));
            }
            System.out.printf("concurrent=%d%nbare_concurrent_all_ready_ms=%.0f%nwarm_concurrent_all_running_ms=%.0f%n"
                    + "warm_concurrent_ratio=%.2f%nwarm_concurrent_ratio_each_round=%s%n", together,
                    StartLatency.p(bareRounds, 50), StartLatency.p(warmRounds, 50),
                    StartLatency.p(warmRounds, 50) / StartLatency.p(bareRounds, 50), String.join(",", ratios));

            awaitPool(atelier, pool);
            waitingCost(dir.resolve("data"));
        } catch (Exception | Error e) {
            System.out.println("error=" + e);
            throw e;
        } finally {
            atelier.close();
        }
        System.exit(0);
    }

    static Map<String, List<Double>> series() {
        return Map.of("running", new ArrayList<>(), "page", new ArrayList<>(), "cell", new ArrayList<>());
    }

    /** Until the pool has {@code size} servers waiting. */
    static void awaitPool(Atelier atelier, int size) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            String body = StartLatency.HTTP.send(HttpRequest.newBuilder(URI.create(atelier.apiUrl() + "/health/ready"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            if (StartLatency.JSON.readTree(body).path("capabilities").path("warm_pool").path("ready").asInt() >= size) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pool did not fill: " + body);
            }
            Thread.sleep(50);
        }
    }

    /** A create until RUNNING, then the notebook page and a first cell through the gateway; returns the id. */
    static String create(StartLatency.Client api, String name, int gb, Map<String, List<Double>> into) throws Exception {
        String body = "{\"name\":\"" + name + "\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\""
                + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID
                + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":" + gb + "}}";
        long t0 = System.nanoTime();
        String id = StartLatency.field(api.send("POST", "/notebooks", body), "id");
        var shown = awaitStatus(api, id, "RUNNING");
        into.get("running").add((System.nanoTime() - t0) / 1e6);
        String url = shown.get("url").asText();
        String token = shown.get("token").asText();
        long p0 = System.nanoTime();
        var page = StartLatency.HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization",
                "token " + token).build(), HttpResponse.BodyHandlers.ofString());
        if (page.statusCode() != 200) {
            throw new IllegalStateException("notebook page: " + page.statusCode());
        }
        into.get("page").add((System.nanoTime() - p0) / 1e6);
        long c0 = System.nanoTime();
        firstCell(url.substring(0, url.length() - "tree".length()), token);
        into.get("cell").add((System.nanoTime() - c0) / 1e6);
        return id;
    }

    static com.fasterxml.jackson.databind.JsonNode awaitStatus(StartLatency.Client api, String id, String status)
            throws Exception {
        while (true) {
            var shown = StartLatency.JSON.readTree(api.send("GET", "/notebooks/" + id, null));
            if (shown.path("status").asText().equals(status)) {
                return shown;
            }
            if (shown.path("status").asText().endsWith("FAILED")) {
                throw new IllegalStateException("instance " + id + " failed: " + shown);
            }
            Thread.sleep(10);
        }
    }

    /** A kernel started and {@code 1+1} run in it, as a notebook's first cell does, until its reply. */
    static void firstCell(String base, String token) throws Exception {
        var kernel = StartLatency.HTTP.send(HttpRequest.newBuilder(URI.create(base + "api/kernels"))
                .header("Authorization", "token " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"python3\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (kernel.statusCode() != 201) {
            throw new IllegalStateException("kernel: " + kernel.statusCode() + " " + kernel.body());
        }
        String kernelId = StartLatency.JSON.readTree(kernel.body()).get("id").asText();
        String msgId = UUID.randomUUID().toString();
        CompletableFuture<Void> replied = new CompletableFuture<>();
        WebSocket ws = GatewayOverhead.kernelChannels(base, token, kernelId, text -> {
            if (text.contains("execute_reply") && text.contains(msgId)) {
                replied.complete(null);
            }
        });
        String request = "{\"header\":{\"msg_id\":\"" + msgId + "\",\"username\":\"bench\",\"session\":\""
                + UUID.randomUUID() + "\",\"msg_type\":\"execute_request\",\"version\":\"5.3\",\"date\":\""
                + java.time.Instant.now() + "\"},\"parent_header\":{},\"metadata\":{},\"content\":{\"code\":\"1+1\","
                + "\"silent\":false,\"store_history\":true,\"user_expressions\":{},\"allow_stdin\":false,"
                + "\"stop_on_error\":true},\"channel\":\"shell\",\"buffers\":[]}";
        ws.sendText(request, true);
        replied.get(60, TimeUnit.SECONDS);
        ws.abort();
    }

    /** Stops the instance, then times its start until RUNNING. */
    static double restart(StartLatency.Client api, String id) throws Exception {
        api.send("POST", "/notebooks/" + id + "/stop", null);
        awaitStatus(api, id, "STOPPED");
        long t0 = System.nanoTime();
        api.send("POST", "/notebooks/" + id + "/start", null);
        awaitStatus(api, id, "RUNNING");
        return (System.nanoTime() - t0) / 1e6;
    }

    static void delete(StartLatency.Client api, String id) throws Exception {
        api.send("DELETE", "/notebooks/" + id, null);
        while (api.send("GET", "/notebooks/" + id, null).contains("\"id\"")) {
            Thread.sleep(10);
        }
    }

    /**
     * What the waiting servers cost: the RSS of every process of each (its sandbox, server and network link, found by
     * its id on their command lines), and their CPU over ten idle seconds.
     */
    static void waitingCost(Path dataDir) throws Exception {
        List<String> ids;
        try (var homes = Files.list(dataDir.resolve(StartLatency.DOCKER ? "containers" : "instances"))) {
            ids = homes.map(p -> p.getFileName().toString()).filter(s -> s.matches("[0-9a-f-]{36}")).toList();
        }
        Map<String, List<Long>> pids = new java.util.HashMap<>();
        for (String id : ids) {
            pids.put(id, ProcessHandle.allProcesses().filter(p -> commandLine(p.pid()).contains(id))
                    .map(ProcessHandle::pid).toList());
        }
        long rssKb = 0;
        long cpu0 = 0;
        for (List<Long> list : pids.values()) {
            for (long pid : list) {
                rssKb += rssKb(pid);
                cpu0 += ShowLoad.cpuMicros(pid);
            }
        }
        Thread.sleep(10_000);
        long cpu1 = 0;
        for (List<Long> list : pids.values()) {
            for (long pid : list) {
                cpu1 += ShowLoad.cpuMicros(pid);
            }
        }
        System.out.printf("waiting_servers=%d%nwaiting_server_rss_mib=%.1f%nwaiting_server_start_cpu_ms=%.0f%n"
                + "waiting_server_idle_cpu_ms_per_min=%.1f%n", ids.size(), rssKb / 1024.0 / ids.size(),
                cpu0 / 1000.0 / ids.size(), (cpu1 - cpu0) / 1000.0 / ids.size() * 6);
    }

    static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | RuntimeException gone) {
            // ended
        }
        return 0;
    }
}
