import dev.atelier.core.auth.SdkSigner;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlInstanceStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The notebook gateway next to the Jupyter server it relays to, in one run: requests/s and p99 of
 * GET api/status under wrk (same connections, threads and duration for both, direct first, then through the
 * gateway, then both again), and the round trip of a kernel execute_request over the WebSocket.
 * Then a file of MB megabytes up and down, and SOCKETS idle kernel WebSockets ({@link GatewayTransfers}).
 * Prints KEY=VALUE lines. Usage: bench/run gateway [SECONDS] [ROUND_TRIPS] [MB] [SOCKETS]; the first argument is a
 * scratch dir.
 */
public class GatewayOverhead {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int trips = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int megabytes = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int sockets = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null));
        try {
            JsonNode creds = JSON.readTree(dir.resolve("data/credentials.json").toFile());
            String project = creds.get("project_id").asText();
            SdkSigner signer = new SdkSigner(creds.get("access_key").asText(), creds.get("secret_key").asText());
            String body = "{\"name\":\"gateway-bench\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\""
                    + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID
                    + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5}}";
            JsonNode created = JSON.readTree(send(atelier.apiUrl(), signer, project, "POST", "/notebooks", body));
            if (created.get("id") == null) {
                throw new IllegalStateException("create refused: " + created);
            }
            String id = created.get("id").asText();
            String token = created.get("token").asText();
            JsonNode nb;
            do {
                Thread.sleep(100);
                nb = JSON.readTree(send(atelier.apiUrl(), signer, project, "GET", "/notebooks/" + id, null));
            } while (!nb.get("status").asText().equals("RUNNING"));
            String gateway = nb.get("url").asText().replaceFirst("tree$", "");
            String direct;
            try (Database db = Database.open("jdbc:sqlite:" + dir.resolve("data/atelier.db"))) {
                direct = new SqlInstanceStore(db).get(id).orElseThrow().url().replaceFirst("tree$", "");
            }
            System.out.println("machine=" + Runtime.getRuntime().availableProcessors() + " cores");
            // warm both paths: the JIT compiles the gateway's path for a good while (on 2 cores it competes
            // with what it measures)
            wrk(direct + "api/status", token, 3);
            wrk(gateway + "api/status", token, 20);
            List<double[]> d = new ArrayList<>();
            List<double[]> g = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                d.add(wrk(direct + "api/status", token, seconds));
                g.add(wrk(gateway + "api/status", token, seconds));
            }
            double dRps = (d.get(0)[0] + d.get(1)[0]) / 2;
            double gRps = (g.get(0)[0] + g.get(1)[0]) / 2;
            System.out.printf("status_direct_rps=%.0f%nstatus_direct_p99_ms=%.2f%n", dRps,
                    Math.max(d.get(0)[1], d.get(1)[1]));
            System.out.printf("status_gateway_rps=%.0f%nstatus_gateway_p99_ms=%.2f%n", gRps,
                    Math.max(g.get(0)[1], g.get(1)[1]));
            System.out.printf("status_gateway_throughput_ratio=%.2f%n", gRps / dRps);

            List<Double> wsDirect = roundTrips(direct, token, trips);
            List<Double> wsGateway = roundTrips(gateway, token, trips);
            report("kernel_rtt_direct", wsDirect);
            report("kernel_rtt_gateway", wsGateway);
            System.out.printf("kernel_rtt_p50_ratio=%.2f%n", p(wsGateway, 50) / p(wsDirect, 50));
            if (megabytes > 0) {
                GatewayTransfers.files(direct, gateway, token, megabytes);
            }
            if (sockets > 0) {
                GatewayTransfers.idleSockets(gateway, token, sockets, 10);
            }
            send(atelier.apiUrl(), signer, project, "DELETE", "/notebooks/" + id, null);
        } finally {
            atelier.close();
        }
    }

    /** Runs wrk; returns requests/s and p99 latency (ms). */
    static double[] wrk(String url, String token, int seconds) throws Exception {
        return Wrk.run(url, java.util.Map.of("Authorization", "token " + token), seconds);
    }

    /** A kernel's channels through {@code base} (a notebook's address); {@code onMessage} gets each whole message. */
    static WebSocket kernelChannels(String base, String token, String kernel,
                                    java.util.function.Consumer<String> onMessage) throws Exception {
        return HTTP.newWebSocketBuilder().header("Authorization", "token " + token)
                .buildAsync(URI.create(base.replaceFirst("^http", "ws") + "api/kernels/" + kernel + "/channels"),
                        new WebSocket.Listener() {
                            final StringBuilder frame = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
                                frame.append(data);
                                if (last) {
                                    onMessage.accept(frame.toString());
                                    frame.setLength(0);
                                }
                                s.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
    }

    /** Sequential execute_request round trips on one kernel: send, wait for the reply's idle status. */
    static List<Double> roundTrips(String base, String token, int n) throws Exception {
        String kernel = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "api/kernels"))
                .header("Authorization", "token " + token).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).get("id").asText();
        AtomicReference<CompletableFuture<Void>> waiting = new AtomicReference<>();
        AtomicReference<String> expect = new AtomicReference<>();
        WebSocket ws = kernelChannels(base, token, kernel, text -> {
            String want = expect.get();
            if (want != null && text.contains(want) && text.contains("\"idle\"")) {
                waiting.get().complete(null);
            }
        });
        List<Double> ms = new ArrayList<>();
        for (int i = -20; i < n; i++) { // 20 to warm up
            String msgId = UUID.randomUUID().toString();
            expect.set(msgId);
            CompletableFuture<Void> done = new CompletableFuture<>();
            waiting.set(done);
            String msg = "{\"header\":{\"msg_id\":\"" + msgId + "\",\"username\":\"bench\",\"session\":\""
                    + UUID.randomUUID() + "\",\"msg_type\":\"execute_request\",\"version\":\"5.3\",\"date\":\""
                    + Instant.now() + "\"},\"parent_header\":{},\"metadata\":{},\"content\":{\"code\":\"1+1\","
                    + "\"silent\":false,\"store_history\":false,\"user_expressions\":{},\"allow_stdin\":false,"
                    + "\"stop_on_error\":true},\"channel\":\"shell\",\"buffers\":[]}";
            long t0 = System.nanoTime();
            ws.sendText(msg, true).get(10, TimeUnit.SECONDS);
            done.get(30, TimeUnit.SECONDS);
            if (i >= 0) {
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
        ws.abort();
        HTTP.send(HttpRequest.newBuilder(URI.create(base + "api/kernels/" + kernel))
                .header("Authorization", "token " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        return ms;
    }

    static String send(String url, SdkSigner signer, String project, String method, String path, String body)
            throws Exception {
        URI uri = URI.create(url + "/v1/" + project + path);
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).method(method,
                HttpRequest.BodyPublishers.ofByteArray(bytes)).header("Content-Type", "application/json");
        signer.sign(method, uri, bytes, project).forEach(req::header);
        return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static double p(List<Double> xs, int pct) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(pct / 100.0 * s.size()) - 1));
    }

    static void report(String name, List<Double> xs) {
        System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n", name, p(xs, 50), name, p(xs, 99));
    }
}
