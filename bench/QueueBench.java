import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * N creates at once against a public pool with room for 4, real notebook servers, each with the shortest lease
 * (one hour). Atelier runs on a clock {@link #SPEED} times faster than the wall's, so that an hour's lease runs out
 * in {@code 3600 / SPEED} s: leases, estimates and waits are all in that clock's time, reported in its minutes.
 * Measures: that every instance runs, that they leave the queue in the order they came, the error of the first
 * estimate each one was shown (estimated against real wait), and what it all costs: this JVM's CPU per instance
 * (Atelier and the client's polls). Prints KEY=VALUE lines.
 * Usage: bench/run queue [N]
 */
public class QueueBench {
    static final long SPEED = 600;
    static final int ROOM = 4;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Wall time, {@link #SPEED} times faster, from the moment it is made. */
    static final class FastClock extends Clock {
        private final long wallStart = System.currentTimeMillis();
        private final long nanoStart = System.nanoTime();

        @Override
        public long millis() {
            return wallStart + (System.nanoTime() - nanoStart) / 1_000_000 * SPEED;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** What was seen of one instance: its first estimate, when it left the queue, when it ran. */
    static final class Seen {
        final int order;
        Long queuedAt;
        Long estimatedStart;
        Long leftQueueAt;
        Long runningAt;

        Seen(int order) {
            this.order = order;
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("pools.json"), "{\"queue_limit_per_user\": " + n + ", \"pools\": [{\"id\": "
                + "\"pool-managed\", \"room\": {\"instances\": " + ROOM + "}}]}");
        FastClock clock = new FastClock();
        ServerConfig defaults = ServerConfig.defaults(data, "127.0.0.1", 0, null);
        ServerConfig config = defaults
                .withIsolation(false, false, ServerConfig.DEFAULT_INSTANCE_NETWORK)
                .withInstances(new ServerConfig.Instances(ServerConfig.DEFAULT_JUPYTER, false, false,
                        ServerConfig.DEFAULT_INSTANCE_NETWORK, Duration.ofSeconds(60 * SPEED), Duration.ofSeconds(5)))
                // leases are looked at this often (wall time): an auto stop is at most this late
                .withLifecycle(new ServerConfig.Lifecycle(Duration.ofMillis(200), 4));
        Atelier atelier = Atelier.start(config, clock);
        System.out.println("instances=" + n);
        System.out.println("room=" + ROOM);
        System.out.println("clock_speed=" + SPEED);
        try {
            JsonNode creds = JSON.readTree(data.resolve("credentials.json").toFile());
            StartLatency.Client api = new StartLatency.Client(atelier.apiUrl(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            // a server that has run a while knows how long its starts and stops take: one round first, so that the
            // estimates measured are those of such a server
            List<String> warm = new ArrayList<>();
            for (int k = 0; k < ROOM; k++) {
                warm.add(JSON.readTree(api.send("POST", "/notebooks", createBody("warm" + k))).get("id").asText());
            }
            for (String id : warm) {
                while (!JSON.readTree(api.send("GET", "/notebooks/" + id, null)).get("status").asText()
                        .equals("STOPPED")) {
                    Thread.sleep(100);
                }
                api.send("DELETE", "/notebooks/" + id, null);
            }
            long cpu0 = StartLatency.jvmCpuMs();
            long wall0 = System.nanoTime();
            Map<String, Seen> seen = new LinkedHashMap<>();
            for (int k = 0; k < n; k++) {
                JsonNode created = JSON.readTree(api.send("POST", "/notebooks", createBody("q" + k)));
                if (!created.has("id")) {
                    throw new IllegalStateException("create " + k + " refused: " + created);
                }
                String id = created.get("id").asText();
                seen.put("DE-" + id, new Seen(k));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
            while (seen.values().stream().anyMatch(s -> s.runningAt == null) && System.nanoTime() < deadline) {
                JsonNode list = JSON.readTree(api.send("GET", "/demanager/instances?de_type=Notebook&limit=500",
                        null)).get("instances");
                long now = clock.millis();
                for (JsonNode i : list) {
                    Seen s = seen.get(i.get("id").asText());
                    String status = i.get("status").asText();
                    JsonNode q = i.get("queuing_info");
                    if (q != null && !q.isNull() && s.queuedAt == null) {
                        s.queuedAt = q.get("begin_timestamp").asLong();
                        s.estimatedStart = q.get("end_timestamp").isNull() ? null : q.get("end_timestamp").asLong();
                    }
                    if (!status.endsWith("_QUEUING") && s.leftQueueAt == null) {
                        s.leftQueueAt = now;
                    }
                    if (status.equals("RUNNING") && s.runningAt == null) {
                        s.runningAt = now;
                    }
                }
                Thread.sleep(100);
            }
            double wallS = (System.nanoTime() - wall0) / 1e9;
            long cpu = StartLatency.jvmCpuMs() - cpu0;
            report(seen, n, wallS, cpu);
            writes(config.effectiveDatabaseUrl(), seen);
        } catch (Exception | Error e) {
            System.out.println("error=" + e);
            throw e;
        } finally {
            atelier.close();
            new ProcessBuilder("pkill", "-f", data.toString()).start().waitFor();
        }
        System.exit(0);
    }

    /**
     * Writes of each instance's record (its version) from create to its auto stop, waiting or not: a place in a
     * queue is shown, not written, so the two should be equal.
     */
    static void writes(String url, Map<String, Seen> seen) throws Exception {
        List<Double> queued = new ArrayList<>();
        List<Double> direct = new ArrayList<>();
        try (var c = java.sql.DriverManager.getConnection(url);
             var rs = c.createStatement().executeQuery("SELECT id, version FROM instances")) {
            while (rs.next()) {
                Seen s = seen.get("DE-" + rs.getString(1));
                if (s != null) {
                    (s.queuedAt != null ? queued : direct).add((double) rs.getLong(2));
                }
            }
        }
        System.out.printf("record_writes_p50_queued=%.0f%nrecord_writes_p50_not_queued=%.0f%n", p(queued, 50),
                p(direct, 50));
    }

    static String createBody(String name) {
        return "{\"name\":\"" + name + "\",\"feature\":\"NOTEBOOK\",\"flavor\":\"modelarts.vm.cpu.2u\","
                + "\"image_id\":\"" + dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID + "\","
                + "\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5},"
                + "\"lease\":{\"duration\":3600000,\"type\":\"timing\"}}";
    }

    static void report(Map<String, Seen> seen, int n, double wallS, long cpuMs) {
        List<Seen> all = new ArrayList<>(seen.values());
        long ran = all.stream().filter(s -> s.runningAt != null).count();
        System.out.println("reached_running=" + ran + "/" + n);
        // in order: no instance left the queue before one that came earlier (ties: the same poll)
        int outOfOrder = 0;
        for (int a = 0; a < all.size(); a++) {
            for (int b = a + 1; b < all.size(); b++) {
                Seen x = all.get(a);
                Seen y = all.get(b);
                if (x.leftQueueAt != null && y.leftQueueAt != null && y.leftQueueAt < x.leftQueueAt) {
                    outOfOrder++;
                }
            }
        }
        System.out.println("pairs_out_of_order=" + outOfOrder);
        List<Double> errors = new ArrayList<>();
        List<Double> relative = new ArrayList<>();
        List<Double> waits = new ArrayList<>();
        int queued = 0;
        int unknown = 0;
        for (Seen s : all) {
            if (s.queuedAt == null || s.leftQueueAt == null) {
                continue;
            }
            queued++;
            double realMin = (s.leftQueueAt - s.queuedAt) / 60_000.0;
            waits.add(realMin);
            if (s.estimatedStart == null) {
                unknown++;
                continue;
            }
            double error = Math.abs((s.estimatedStart - s.queuedAt) / 60_000.0 - realMin);
            errors.add(error);
            if (realMin > 0) {
                relative.add(100 * error / realMin);
            }
        }
        System.out.println("queued=" + queued);
        System.out.println("estimates_unknown=" + unknown);
        System.out.printf("real_wait_min_p50=%.1f%nreal_wait_min_p90=%.1f%n", p(waits, 50), p(waits, 90));
        System.out.printf("estimate_error_min_p50=%.1f%nestimate_error_min_p90=%.1f%n", p(errors, 50), p(errors, 90));
        System.out.printf("estimate_error_pct_p50=%.1f%nestimate_error_pct_p90=%.1f%n", p(relative, 50),
                p(relative, 90));
        System.out.printf("wall_s=%.0f%njvm_cpu_ms_per_instance=%.0f%n", wallS, (double) cpuMs / n);
    }

    static double p(List<Double> values, int pct) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(pct / 100.0 * sorted.size()) - 1));
    }
}
