import dev.atelier.store.sql.Database;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * The console's cost: a standalone server (bin/atelier's JVM options) with N notebooks seeded into one project
 * (10% the administrator's), signed in through the console's form. For each page: server time per view, one
 * request at a time (loopback, so what the client waits is what the server spends), p50 and p99 of 300 views after
 * 300 of warm-up; then wrk (16 connections) for views/s and the server's CPU per view. Then the page weight: the
 * list page's HTML and the assets, as sent and gzipped. Prints KEY=VALUE lines.
 * Usage: bench/run console [N] [SECONDS]; the first argument is a scratch directory, the second the class path.
 */
public class ConsoleLoad {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        ShowLoad.Started server = ShowLoad.start(dir, args[1]);
        try {
            Path data = dir.resolve("data");
            JsonNode creds = new ObjectMapper().readTree(data.resolve("credentials.json").toFile());
            try (Database db = Database.open("jdbc:sqlite:" + data.resolve("atelier.db"))) {
                ListScale.seed(db, creds.get("project_id").asText(), creds.get("user_id").asText(), 0, n);
            }
            System.out.printf("notebooks=%d%n", n);
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            String form = "user=admin&password=" + java.net.URLEncoder.encode(creds.get("password").asText(),
                    StandardCharsets.UTF_8);
            HttpResponse<String> signedIn = http.send(HttpRequest.newBuilder(URI.create(server.url()
                    + "/console/sign-in")).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            ListScale.Client api = new ListScale.Client(server.url(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            String someId = ListScale.firstId(api);
            Map<String, String> pages = new java.util.LinkedHashMap<>();
            pages.put("list_own", "/console/notebooks");
            pages.put("list_all_first", "/console/notebooks?all=1");
            pages.put("list_all_last", "/console/notebooks?all=1&page=" + Math.max(1, (n + 19) / 20));
            pages.put("list_all_filtered", "/console/notebooks?all=1&name=nb-99&status=STOPPED");
            pages.put("notebook", "/console/notebooks/" + someId);
            pages.put("create_form", "/console/notebooks/new");
            for (var page : pages.entrySet()) {
                String url = server.url() + page.getValue();
                long[] ms = sequential(http, url, cookie, 300, 300);
                long cpu0 = ShowLoad.cpuMicros(server.process().pid());
                double[] w = Wrk.run(url, Map.of("Cookie", cookie), seconds);
                long cpu1 = ShowLoad.cpuMicros(server.process().pid());
                System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n%s_rps=%.0f%n%s_cpu_us=%.0f%n", page.getKey(),
                        ms[0] / 1000.0, page.getKey(), ms[1] / 1000.0, page.getKey(), w[0], page.getKey(),
                        (cpu1 - cpu0) / w[2]);
            }
            // the same page of the same list through the v1 API, signed: what the console adds to the core's work
            // (a new connection: the first one has been idle beyond the server's timeout)
            api = new ListScale.Client(server.url(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            for (int i = 0; i < 300; i++) {
                api.send("GET", "/notebooks/all?limit=20", null);
            }
            long[] us = new long[300];
            for (int i = 0; i < us.length; i++) {
                long t0 = System.nanoTime();
                api.send("GET", "/notebooks/all?limit=20", null);
                us[i] = (System.nanoTime() - t0) / 1000;
            }
            Arrays.sort(us);
            System.out.printf("api_list_all_first_p50_ms=%.2f%n", us[150] / 1000.0);
            byte[] html = get(http, server.url() + "/console/notebooks?all=1", cookie).body();
            System.out.printf("list_page_bytes=%d%nlist_page_gzip_bytes=%d%n", html.length, gzip(html).length);
            long assets = 0;
            long assetsGzip = 0;
            for (String asset : List.of("console.css", "console.js", "htmx.min.js")) {
                byte[] body = get(http, server.url() + "/console/assets/" + asset, cookie).body();
                assets += body.length;
                assetsGzip += gzip(body).length;
            }
            System.out.printf("assets_bytes=%d%nassets_gzip_bytes=%d%n", assets, assetsGzip);
            HttpResponse<byte[]> compressed = http.send(HttpRequest.newBuilder(URI.create(server.url()
                    + "/console/assets/htmx.min.js")).header("Accept-Encoding", "gzip").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            System.out.printf("served_compressed=%s%n", compressed.headers().firstValue("Content-Encoding")
                    .orElse("none"));
        } finally {
            server.process().destroy();
            server.process().waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** {p50, p99} in µs of {@code count} views one at a time, after {@code warm} of warm-up (the JIT). */
    private static long[] sequential(HttpClient http, String url, String cookie, int warm, int count)
            throws Exception {
        for (int i = 0; i < warm; i++) {
            check(get(http, url, cookie));
        }
        long[] us = new long[count];
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            check(get(http, url, cookie));
            us[i] = (System.nanoTime() - t0) / 1000;
        }
        Arrays.sort(us);
        return new long[] {us[count / 2], us[(int) Math.ceil(count * 0.99) - 1]};
    }

    private static void check(HttpResponse<byte[]> r) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException(r.uri() + ": " + r.statusCode());
        }
    }

    private static HttpResponse<byte[]> get(HttpClient http, String url, String cookie) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] gzip(byte[] body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(body);
        }
        return out.toByteArray();
    }
}
