import dev.atelier.core.auth.SdkSigner;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlInstanceStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * List latency through the signed API with N instance records seeded straight into the store (SQLite, or the
 * database given as the third argument). Sequential requests from one client on loopback; prints KEY=VALUE.
 * Usage: bench/run list-scale [N] [jdbc-url]; the first argument is a scratch directory.
 */
public class ListScale {
    static int ITERATIONS = 300;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int iterations = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        ITERATIONS = iterations;
        String url = args.length > 2 && !args[2].equals("sqlite") ? args[2] : null;
        // the server as bin/atelier runs it: its defaults
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, url)
                .withIsolation(false, false, null));
        try {
            var creds = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("data/credentials.json").toFile());
            String project = creds.get("project_id").asText();
            String me = creds.get("user_id").asText();
            Client api = new Client(atelier.apiUrl(), project, creds.get("access_key").asText(),
                    creds.get("secret_key").asText());
            int seeded = 0;
            for (int size : sizes(n)) {
                long t0 = System.nanoTime();
                try (Database db = Database.open(url != null ? url : "jdbc:sqlite:" + dir.resolve("data/atelier.db"))) {
                    seed(db, project, me, seeded, size - seeded);
                    db.jdbi().useHandle(h -> h.execute("ANALYZE")); // as autovacuum would after a bulk load
                }
                seeded = size;
                String k = "at" + size + "_";
                System.out.printf("%sseed_s=%.1f%n", k, (System.nanoTime() - t0) / 1e9);
                String show = "/notebooks/" + firstId(api);
                measure(api, k + "show", show);
                measure(api, k + "list_mine_limit10", "/notebooks");
                measure(api, k + "list_all_limit50", "/notebooks/all?limit=50");
                measure(api, k + "list_status_limit50", "/notebooks?status=ERROR&limit=50");
                measure(api, k + "list_name_substring_limit50", "/notebooks?name=nb-4242&limit=50");
                measure(api, k + "list_sort_name_limit50", "/notebooks/all?sort_key=name&sort_dir=ASC&limit=50");
                throughput(atelier.apiUrl(), project, creds, k + "show", show);
                throughput(atelier.apiUrl(), project, creds, k + "list_limit50_status", "/notebooks?status=ERROR&limit=50");
                if (size == 10_000 || size == n && n < 10_000) {
                    System.gc();
                    System.out.println(k + "rss_mib=" + rssMib()); // server and load generator share this JVM
                }
            }
        } finally {
            atelier.close();
        }
        System.exit(0);
    }

    /** The sizes measured on the way to {@code n}: 1k, 10k and 100k as far as {@code n} goes, and {@code n}. */
    static List<Integer> sizes(int n) {
        List<Integer> out = new ArrayList<>();
        for (int s : new int[] {1_000, 10_000, 100_000}) {
            if (s < n) {
                out.add(s);
            }
        }
        out.add(n);
        return out;
    }

    static long rssMib() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    /** Requests per second and p99 from 8 connections for 5 s (bounded: the loop stops by itself). */
    static void throughput(String url, String project, com.fasterxml.jackson.databind.JsonNode creds, String key,
                           String path) throws Exception {
        int connections = 8;
        long end = System.nanoTime() + 5_000_000_000L;
        List<Double> all = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Client client = new Client(url, project, creds.get("access_key").asText(),
                        creds.get("secret_key").asText());
                List<Double> mine = new ArrayList<>();
                try {
                    while (System.nanoTime() < end) {
                        long t = System.nanoTime();
                        client.send("GET", path, null);
                        mine.add((System.nanoTime() - t) / 1e6);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                all.addAll(mine);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Double> ms = new ArrayList<>(all);
        Collections.sort(ms);
        System.out.printf("%s_rps=%.0f%n%s_p99_ms_under_load=%.2f%n", key, ms.size() / 5.0, key,
                ms.get((int) Math.ceil(ms.size() * 0.99) - 1));
    }

    static void seed(Database db, String project, String me, int from, int n) {
        // no RUNNING rows: the reconciler would find no notebook server behind them and fail them all, which is
        // work a benchmark of reads must not measure
        var statuses = new InstanceStatus[] {InstanceStatus.STOPPED, InstanceStatus.CREATE_FAILED, InstanceStatus.ERROR,
                InstanceStatus.FROZEN};
        long base = System.currentTimeMillis() - n * 1000L;
        db.jdbi().useTransaction(h -> {
            var store = new SqlInstanceStore(db);
            for (int i = from; i < from + n; i++) {
                InstanceStatus s = statuses[i % statuses.length];
                String owner = i % 10 == 0 ? me : "user-" + (i % 10);
                long at = base + i * 1000L;
                store.insert(new Instance(new Instance.Metadata(UUID.randomUUID().toString(), project, owner, "0",
                        dev.atelier.core.model.Feature.NOTEBOOK, at, at, 1),
                        new Instance.Spec("nb-" + i, "", "modelarts.vm.cpu.2u",
                                dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID, new Volume("EVS", "MANAGED", 5),
                                Lease.requested(at, null, LeaseType.TIMING), DesiredState.STOPPED),
                        new Instance.Observed(s, Progress.waiting(), null, "t", null, Map.of())));
            }
        });
        if (!db.isSqlite()) {
            // what autovacuum (on by default, off on some test machines) does soon after a bulk insert: without
            // the visibility map, counts cannot run on an index alone and scan the table
            db.jdbi().useHandle(h -> h.execute("VACUUM ANALYZE instances"));
        }
    }

    static String firstId(Client api) throws Exception {
        String body = api.send("GET", "/notebooks?limit=10", null);
        int i = body.indexOf("\"id\":\"") + 6;
        return body.substring(i, body.indexOf('"', i));
    }

    static void measure(Client api, String key, String path) throws Exception {
        for (int i = 0; i < 20; i++) {
            api.send("GET", path, null); // warm up
        }
        List<Double> ms = new ArrayList<>();
        long end = System.nanoTime() + 10_000_000_000L;
        while (ms.size() < ITERATIONS && System.nanoTime() < end) {
            long t = System.nanoTime();
            api.send("GET", path, null);
            ms.add((System.nanoTime() - t) / 1e6);
        }
        Collections.sort(ms);
        System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n", key, ms.get(ms.size() / 2), key,
                ms.get((int) Math.ceil(ms.size() * 0.99) - 1));
    }

    /**
     * A minimal HTTP/1.1 client on one kept-alive socket: the JDK client's own overhead (about 2 ms a request on
     * 2 cores) would otherwise dominate what is measured.
     */
    static final class Client {
        final String url;
        final String project;
        final String ak;
        final String sk;
        java.net.Socket socket;
        java.io.BufferedInputStream in;

        Client(String url, String project, String ak, String sk) {
            this.url = url;
            this.project = project;
            this.ak = ak;
            this.sk = sk;
        }

        String send(String method, String pathAndQuery, String body) throws Exception {
            URI uri = URI.create(url + "/v1/" + project + pathAndQuery);
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            Map<String, String> auth = new SdkSigner(ak, sk).sign(method, uri, bytes, null);
            if (socket == null) {
                socket = new java.net.Socket(uri.getHost(), uri.getPort());
                socket.setTcpNoDelay(true);
                in = new java.io.BufferedInputStream(socket.getInputStream());
            }
            String head = method + " " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                    + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: application/json\r\nX-Sdk-Date: " + auth.get("X-Sdk-Date")
                    + "\r\nAuthorization: " + auth.get("Authorization") + "\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n";
            var out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            String status = line();
            int length = 0;
            boolean chunked = false;
            for (String l; !(l = line()).isEmpty(); ) {
                String lower = l.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(l.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            byte[] raw;
            if (chunked) {
                var buf = new java.io.ByteArrayOutputStream();
                for (int size; (size = Integer.parseInt(line().trim(), 16)) > 0; ) {
                    buf.write(in.readNBytes(size));
                    line();
                }
                line();
                raw = buf.toByteArray();
            } else {
                raw = in.readNBytes(length);
            }
            String resp = new String(raw, StandardCharsets.UTF_8);
            if (!status.contains(" 200 ")) {
                throw new IllegalStateException(pathAndQuery + " -> " + status + " " + resp);
            }
            return resp;
        }

        private String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new java.io.EOFException();
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }
    }
}
