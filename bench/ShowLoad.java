import dev.atelier.core.auth.SdkSigner;
import dev.atelier.store.sql.Database;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A standalone server under wrk: `atelier serve` in its own JVM with bin/atelier's JVM options, N records seeded
 * into its SQLite store (10% the caller's), wrk in its own process (2 threads, 16 connections, headers signed
 * once: a signature is valid 15 minutes) on shows of the caller's instances (up to 1,000, in turn) and on a
 * whole-project list, after a warm-up; then the
 * server's RSS; then RSS again with R instances running. Prints KEY=VALUE lines.
 * Usage: bench/run show-load [N] [SECONDS] [R]; the first argument is a scratch directory, the second the
 * server's class path.
 */
public class ShowLoad {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String classPath = args[1];
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int running = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        Path data = dir.resolve("data");
        Started started = start(dir, classPath);
        Process server = started.process();
        List<String> ids = new ArrayList<>();
        ListScale.Client[] owner = new ListScale.Client[1];
        try {
            String url = started.url();
            JsonNode creds = new ObjectMapper().readTree(data.resolve("credentials.json").toFile());
            String project = creds.get("project_id").asText();
            String me = creds.get("user_id").asText();
            long t0 = System.nanoTime();
            try (Database db = Database.open("jdbc:sqlite:" + data.resolve("atelier.db"))) {
                ListScale.seed(db, project, me, 0, n);
            }
            System.out.printf("records=%d%nseed_s=%.1f%n", n, (System.nanoTime() - t0) / 1e9);
            SdkSigner signer = new SdkSigner(creds.get("access_key").asText(), creds.get("secret_key").asText());
            ListScale.Client api = new ListScale.Client(url, project, creds.get("access_key").asText(),
                    creds.get("secret_key").asText());
            // shows go round the caller's instances (up to 1,000), as many clients each polling their own would:
            // one instance shown over and over would measure a best case of every cache on the way
            List<String> showPaths = new ArrayList<>();
            for (JsonNode nb : new ObjectMapper().readTree(api.send("GET", "/notebooks?limit=1000", null))
                    .get("data")) {
                showPaths.add("/v1/" + project + "/notebooks/" + nb.get("id").asText());
            }
            List<Map<String, String>> signed = new ArrayList<>();
            for (String path : showPaths) {
                signed.add(signer.sign("GET", URI.create(url + path), new byte[0], project));
            }
            String list = url + "/v1/" + project + "/notebooks/all?limit=50";
            System.out.printf("show_instances=%d%n", showPaths.size());
            Wrk.run(url, showPaths, signed, Math.min(15, 2 * seconds)); // warm-up (the JIT): 15 s, less in a smoke run
            // the ceiling on this machine: the same server answering its cheapest endpoint (no store, no signature)
            // and what the server's process spent on each request, in CPU time: steadier than requests/s when
            // something else on the machine takes a share of the cores
            // health and show take turns, three rounds each, and the ratio is the median of the rounds': a neighbour
            // on the machine that takes a share of the cores for a while then weighs on both sides of one ratio
            double[] h = new double[3];
            double[] s = new double[3];
            double hCpu = 0;
            double sCpu = 0;
            double[] ratios = new double[3];
            for (int round = 0; round < 3; round++) {
                long cpu0 = cpuMicros(server.pid());
                double[] hr = Wrk.run(url + "/health/live", Map.of(), seconds);
                long cpu1 = cpuMicros(server.pid());
                double[] sr = Wrk.run(url, showPaths, signed, seconds);
                long cpu2 = cpuMicros(server.pid());
                ratios[round] = sr[0] / hr[0];
                hCpu += cpu1 - cpu0;
                sCpu += cpu2 - cpu1;
                // requests per second averaged, the worst round's p99, requests summed
                h = new double[] {h[0] + hr[0] / 3, Math.max(h[1], hr[1]), h[2] + hr[2]};
                s = new double[] {s[0] + sr[0] / 3, Math.max(s[1], sr[1]), s[2] + sr[2]};
            }
            java.util.Arrays.sort(ratios);
            long cpu2 = cpuMicros(server.pid());
            double[] l = wrk(list, signer, project, seconds);
            long cpu3 = cpuMicros(server.pid());
            System.out.printf("health_rps=%.0f%nhealth_p99_ms=%.2f%nhealth_cpu_us=%.0f%n", h[0], h[1],
                    hCpu / h[2]);
            System.out.printf("show_rps=%.0f%nshow_p99_ms=%.2f%nshow_cpu_us=%.0f%nshow_to_health_ratio=%.2f%n"
                    + "show_to_health_ratio_rounds=%.2f..%.2f%n", s[0], s[1], sCpu / s[2], ratios[1], ratios[0],
                    ratios[2]);
            System.out.printf("list_all_50_rps=%.0f%nlist_all_50_p99_ms=%.2f%nlist_all_50_cpu_us=%.0f%n", l[0], l[1],
                    (cpu3 - cpu2) / l[2]);
            System.out.printf("server_rss_mib=%d%n", rssMib(server.pid()));
            if (running == 0) {
                return;
            }
            // then the same server with instances running (their notebook servers are processes of their own), made
            // by a second user: the seeded records already fill the first one's quota
            admin(url, signer, "POST", "/admin/v1/users", "{\"name\":\"bench\"}");
            admin(url, signer, "PUT", "/admin/v1/projects/" + project + "/members/bench", "{\"role\":\"member\"}");
            JsonNode key = new ObjectMapper().readTree(admin(url, signer, "POST", "/admin/v1/users/bench/keys", "{}"));
            api = new ListScale.Client(url, project, key.get("access_key").asText(), key.get("secret_key").asText());
            owner[0] = api;
            for (int i = 0; i < running; i++) {
                String created = api.send("POST", "/notebooks", "{\"name\":\"rss-" + i + "\",\"flavor\":"
                        + "\"modelarts.vm.cpu.2u\",\"image_id\":\""
                        + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID + "\",\"volume\":{\"category\":"
                        + "\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}");
                int at = created.indexOf("\"id\":\"") + 6;
                ids.add(created.substring(at, created.indexOf('"', at)));
            }
            long deadline = System.nanoTime() + 180_000_000_000L;
            for (String nb : ids) {
                for (String shown; !(shown = api.send("GET", "/notebooks/" + nb, null)).contains("\"status\":\"RUNNING\""); ) {
                    if (shown.matches("(?s).*\"status\":\"(ERROR|[A-Z_]*FAILED)\".*")) {
                        throw new IllegalStateException("instance " + nb + " failed: " + shown);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("instance " + nb + " did not reach RUNNING in 3 minutes");
                    }
                    Thread.sleep(200);
                }
            }
            Thread.sleep(5_000); // a few health polls of all of them
            System.out.printf("running_instances=%d%nserver_rss_mib_with_running=%d%n", running,
                    rssMib(server.pid()));
            for (String nb : ids) {
                api.send("DELETE", "/notebooks/" + nb, null);
            }
            for (String nb : ids) { // gone before the server stops: instances outlive a stopped server
                while (exists(api, nb)) {
                    Thread.sleep(200);
                }
            }
        } catch (Exception e) {
            // instances outlive a stopped server: delete what was made before giving up
            for (String nb : ids) {
                try {
                    owner[0].send("DELETE", "/notebooks/" + nb, null);
                } catch (Exception ignored) {
                    // best effort
                }
            }
            Thread.sleep(ids.isEmpty() ? 0 : 5_000);
            throw e;
        } finally {
            server.destroy();
            server.waitFor(20, TimeUnit.SECONDS);
        }
    }

    static boolean exists(ListScale.Client api, String id) throws Exception {
        try {
            api.send("GET", "/notebooks/" + id, null);
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage().contains("does not exist")) {
                return false;
            }
            throw e;
        }
    }

    static String admin(String url, SdkSigner signer, String method, String path, String body) throws Exception {
        URI uri = URI.create(url + path);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        var req = java.net.http.HttpRequest.newBuilder(uri).method(method,
                java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes)).header("Content-Type", "application/json");
        signer.sign(method, uri, bytes, null).forEach(req::header);
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            var resp = client.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() >= 300) {
                throw new IllegalStateException(method + " " + path + ": " + resp.body());
            }
            return resp.body();
        }
    }

    /** A server started by {@link #start}: its process and the API's address. */
    record Started(Process process, String url) {
    }

    /**
     * `atelier serve` in its own JVM with bin/atelier's JVM options, its data in {@code dir}/data, on any free port,
     * without sandbox or SSH; returns once it listens. Its output is read and dropped.
     */
    static Started start(Path dir, String classPath) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(atelierJavaOptions());
        command.add("-Datelier.log.dir=" + dir.resolve("logs"));
        // more server JVM options, for profiling: BENCH_SERVER_OPTS="-XX:StartFlightRecording=filename=/tmp/s.jfr"
        String extra = System.getenv().getOrDefault("BENCH_SERVER_OPTS", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.addAll(List.of("-cp", classPath, "dev.atelier.server.Main", "serve", "--data-dir",
                dir.resolve("data").toString(), "--port", "0", "--no-sandbox", "--ssh-port", "-1"));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
        String url = null;
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        for (String line; url == null && (line = out.readLine()) != null; ) {
            if (line.startsWith("Atelier API: ")) {
                url = line.substring("Atelier API: ".length()).trim();
            }
        }
        Thread.ofVirtual().start(() -> {
            try {
                out.lines().forEach(l -> { });
            } catch (java.io.UncheckedIOException closed) {
                // the server stopped
            }
        });
        if (url == null) {
            server.destroy();
            throw new IllegalStateException("the server did not start");
        }
        return new Started(server, url);
    }

    /** The process's user + system CPU time so far, in microseconds (clock ticks of 10 ms: measure over seconds). */
    static long cpuMicros(long pid) throws Exception {
        return cpuMicros(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** The CPU time a /proc stat file (a process's or one thread's) gives. */
    static long cpuMicros(Path statFile) throws Exception {
        String stat = Files.readString(statFile);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000L; // utime, stime (fields 14, 15)
    }

    static long rssMib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    /** bin/atelier's default JVM options (its JAVA_OPTS_DEFAULT line): the server is measured as it is run. */
    static List<String> atelierJavaOptions() throws Exception {
        Path script = Path.of(System.getenv().getOrDefault("BENCH_ROOT", "."), "bin", "atelier");
        for (String line : Files.readAllLines(script)) {
            if (line.startsWith("JAVA_OPTS_DEFAULT=\"")) {
                return List.of(line.substring(line.indexOf('"') + 1, line.lastIndexOf('"')).trim().split("\\s+"));
            }
        }
        throw new IllegalStateException("no JAVA_OPTS_DEFAULT in " + script);
    }

    static double[] wrk(String url, SdkSigner signer, String project, int seconds) throws Exception {
        return Wrk.run(url, signer.sign("GET", URI.create(url), new byte[0], project), seconds);
    }
}
