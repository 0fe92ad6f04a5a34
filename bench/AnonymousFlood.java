import dev.atelier.core.auth.SdkSigner;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A signed user's show latency while anonymous clients post 1 MiB bodies: alone, then under each kind of flood
 * (sign-in, no credentials, a forged signature with an unknown access key). Prints KEY=VALUE; the ratios of the
 * flooded p50 to the quiet one are the figures to watch.
 * Usage: bench/run anonymous-flood [CLIENTS] [REQUESTS]; the first argument is a scratch directory.
 */
public class AnonymousFlood {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 24;
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null)
                .withIsolation(false, false, null));
        try {
            var creds = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("data/credentials.json").toFile());
            String base = atelier.apiUrl();
            String project = creds.get("project_id").asText();
            SdkSigner signer = new SdkSigner(creds.get("access_key").asText(), creds.get("secret_key").asText());
            URI show = URI.create(base + "/v1/" + project + "/notebooks?limit=10");
            HttpClient user = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            measure(user, signer, show, 50); // warm-up
            double quiet = report("quiet", measure(user, signer, show, requests));
            byte[] mib = new byte[1024 * 1024];
            java.util.Arrays.fill(mib, (byte) ' ');
            mib[0] = '{';
            mib[mib.length - 1] = '}';
            Map<String, URI> targets = new java.util.LinkedHashMap<>();
            targets.put("sign_in", URI.create(base + "/v3/auth/tokens"));
            targets.put("no_credentials", URI.create(base + "/v1/" + project + "/notebooks"));
            targets.put("unknown_key", URI.create(base + "/v1/" + project + "/notebooks"));
            for (var target : targets.entrySet()) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong sent = new AtomicLong();
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
                for (int c = 0; c < clients; c++) {
                    pool.submit(() -> flood(target.getKey(), target.getValue(), mib, stop, sent));
                }
                Thread.sleep(1000);
                long t0 = System.nanoTime();
                List<Long> flooded = measure(user, signer, show, requests);
                double seconds = (System.nanoTime() - t0) / 1e9;
                stop.set(true);
                pool.shutdownNow();
                double p50 = report(target.getKey(), flooded);
                System.out.printf("%s_flood_requests_per_s=%.0f%n", target.getKey(), sent.get() / seconds);
                System.out.printf("%s_p50_ratio=%.2f%n", target.getKey(), p50 / quiet);
                Thread.sleep(500);
            }
        } finally {
            atelier.close();
        }
        System.exit(0);
    }

    private static void flood(String kind, URI target, byte[] body, AtomicBoolean stop, AtomicLong sent) {
        HttpClient anon;
        try { // from an address of their own, as strangers are
            anon = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                    .localAddress(java.net.InetAddress.getByName("127.0.0.2")).build();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        while (!stop.get()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (kind.equals("unknown_key")) {
                b.header("X-Sdk-Date", java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).format(
                        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")));
                b.header("Authorization", "SDK-HMAC-SHA256 Access=NOSUCHKEY0000000000, SignedHeaders=x-sdk-date, "
                        + "Signature=" + "0".repeat(64));
            }
            try {
                anon.send(b.build(), HttpResponse.BodyHandlers.discarding());
                sent.incrementAndGet();
            } catch (Exception e) {
                sent.incrementAndGet(); // refused early, the connection closed: it was sent all the same
            }
        }
    }

    private static List<Long> measure(HttpClient client, SdkSigner signer, URI uri, int n) throws Exception {
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, String> auth = signer.sign("GET", uri, new byte[0], null);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET();
            auth.forEach((k, v) -> {
                if (!k.equalsIgnoreCase("host")) {
                    b.header(k, v);
                }
            });
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            micros.add((System.nanoTime() - t0) / 1000);
            if (r.statusCode() != 200) {
                throw new IllegalStateException("the signed user was refused: " + r.statusCode() + " " + r.body());
            }
        }
        return micros;
    }

    private static double report(String name, List<Long> micros) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        double p50 = sorted.get(sorted.size() / 2) / 1000.0;
        double p99 = sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1000.0;
        System.out.printf("%s_user_p50_ms=%.2f%n%s_user_p99_ms=%.2f%n", name, p50, name, p99);
        return p50;
    }
}
