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
import java.util.concurrent.TimeUnit;

/**
 * A standalone server under wrk: `atelier serve` in its own JVM with bin/atelier's JVM options, N records seeded
 * into its SQLite store (10% the caller's), wrk in its own process (2 threads, 16 connections, headers signed
 * once: a signature is valid 15 minutes) on a show and on a whole-project list, after a warm-up; then the
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-Xmx192m", "-Datelier.log.dir=" + dir.resolve("logs"), "-cp", classPath, "dev.atelier.server.Main",
                "serve", "--data-dir", data.toString(), "--port", "0", "--no-sandbox", "--ssh-port", "-1")
                .redirectErrorStream(true).start();
        try {
            String url = null;
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            for (String line; url == null && (line = out.readLine()) != null; ) {
                if (line.startsWith("Atelier API: ")) {
                    url = line.substring("Atelier API: ".length()).trim();
                }
            }
            Thread.ofVirtual().start(() -> out.lines().forEach(l -> { }));
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
            String id = ListScale.firstId(api);
            String show = url + "/v1/" + project + "/notebooks/" + id;
            String list = url + "/v1/" + project + "/notebooks/all?limit=50";
            wrk(show, signer, project, 15); // warm-up
            double[] s = wrk(show, signer, project, seconds);
            double[] l = wrk(list, signer, project, seconds);
            System.out.printf("show_rps=%.0f%nshow_p99_ms=%.2f%n", s[0], s[1]);
            System.out.printf("list_all_50_rps=%.0f%nlist_all_50_p99_ms=%.2f%n", l[0], l[1]);
            System.out.printf("server_rss_mib=%d%n", rssMib(server.pid()));
            // then the same server with instances running (their notebook servers are processes of their own), made
            // by a second user: the seeded records already fill the first one's quota
            admin(url, signer, "POST", "/admin/v1/users", "{\"name\":\"bench\"}");
            admin(url, signer, "PUT", "/admin/v1/projects/" + project + "/members/bench", "{\"role\":\"member\"}");
            JsonNode key = new ObjectMapper().readTree(admin(url, signer, "POST", "/admin/v1/users/bench/keys", "{}"));
            api = new ListScale.Client(url, project, key.get("access_key").asText(), key.get("secret_key").asText());
            List<String> ids = new ArrayList<>();
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
                while (!api.send("GET", "/notebooks/" + nb, null).contains("\"status\":\"RUNNING\"")) {
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
                while (api.send("GET", "/notebooks/" + nb, null).contains("\"id\"")) {
                    Thread.sleep(200);
                }
            }
        } finally {
            server.destroy();
            server.waitFor(20, TimeUnit.SECONDS);
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

    static long rssMib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    static double[] wrk(String url, SdkSigner signer, String project, int seconds) throws Exception {
        return Wrk.run(url, signer.sign("GET", URI.create(url), new byte[0], project), seconds);
    }
}
