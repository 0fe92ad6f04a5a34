import dev.atelier.server.Atelier;
import dev.atelier.server.ServerConfig;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * N instances created at once on the Kubernetes runtime, against fabric8's mock API server with a hollow node (as
 * kubemark's: it binds claims, schedules pods and reports them running and ready, and one HTTP endpoint answers
 * every pod's Jupyter status, so that no real server's start is timed). Reports the time until all are RUNNING and
 * the node's own busy time (it works one pod at a time, on the critical path, so the net figure is the difference),
 * Atelier's calls to the API server per instance (during the creates, and per minute while they run), and this
 * process's CPU per running instance. Prints KEY=VALUE lines.
 * Usage: bench/run cluster-scale [N [SECONDS]]; the first argument is a scratch directory, SECONDS the window
 * watched while they run (30).
 */
public class ClusterScale {
    static final String NAMESPACE = "atelier-instances";
    /** The mock server logs every request; held here, since the logging system keeps its loggers weakly. */
    static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    static final String AGENT = "X-Hollow-Node";
    static final Pattern RUNNING = Pattern.compile("\"status\"\\s*:\\s*\"RUNNING\"");

    /** The mock API server's CRUD dispatcher, counting the calls that are not the hollow node's. */
    static final class Counting extends KubernetesCrudDispatcher {
        final AtomicLong atelierCalls = new AtomicLong();

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (request.getHeader(AGENT) == null) {
                atelierCalls.incrementAndGet();
            }
            return super.dispatch(request);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        QUIET.setLevel(java.util.logging.Level.WARNING);
        Counting dispatcher = new Counting();
        var server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        KubernetesClient node = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + server.getPort()).withCustomHeaders(Map.of(AGENT, "1"))
                .build()).build();
        AtomicLong nodeBusyNanos = new AtomicLong();
        var jupyter = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 8888), 512);
        jupyter.createContext("/", ex -> {
            byte[] body = ("{\"started\":\"" + Instant.now() + "\",\"last_activity\":\"" + Instant.now()
                    + "\",\"connections\":0,\"kernels\":0}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        jupyter.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        jupyter.start();
        startHollowNode(node, nodeBusyNanos);

        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: m\n  cluster:\n    server: "
                + "http://127.0.0.1:" + server.getPort() + "\ncontexts:\n- name: m\n  context: {cluster: m, user: u}\n"
                + "current-context: m\nusers:\n- name: u\n  user: {token: t}\n");
        // starts are measured here, not the queue: the public pool has no limit
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data").resolve("pools.json"),
                "{\"pools\": [{\"id\": \"pool-managed\", \"room\": {}}]}");
        Atelier atelier = Atelier.start(ServerConfig.defaults(dir.resolve("data"), "127.0.0.1", 0, null)
                .withEngine(new ServerConfig.Engine("kubernetes", null, null, null, null,
                        new ServerConfig.Cluster(kubeconfig, NAMESPACE, null, null, List.of()))));
        try {
            var creds = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("data/credentials.json").toFile());
            StartLatency.Client api = new StartLatency.Client(atelier.apiUrl(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            // a user may have 100 instances: the creates are spread over as many users of the project as it takes
            List<StartLatency.Client> users = new ArrayList<>(List.of(api));
            users.addAll(members(dir.resolve("data"), atelier.apiUrl(), creds.get("project_id").asText(),
                    (n - 1) / InstanceQuota.PER_USER));
            long calls0 = dispatcher.atelierCalls.get();
            long t0 = System.nanoTime();
            // all asked for at once, over at most 50 connections in flight (as a client's connection pool would)
            var inFlight = new java.util.concurrent.Semaphore(50);
            List<Thread> creates = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = "scale-" + i;
                StartLatency.Client as = users.get(i / InstanceQuota.PER_USER);
                creates.add(Thread.ofVirtual().start(() -> {
                    try {
                        inFlight.acquire();
                        String body;
                        try {
                            body = as.send("POST", "/notebooks", "{\"name\":\"" + name + "\",\"feature\":"
                                + "\"NOTEBOOK\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":"
                                + "\"5e2b4d57-1c1a-4f6e-9d0a-7f1c6a0e3b21\",\"volume\":{\"category\":\"EVS\","
                                + "\"ownership\":\"MANAGED\",\"capacity\":5}}");
                        } finally {
                            inFlight.release();
                        }
                        if (!body.contains("\"id\"")) {
                            System.err.println("create refused: " + body);
                        }
                    } catch (Exception e) {
                        System.err.println("create failed: " + e);
                    }
                }));
            }
            for (Thread t : creates) {
                t.join();
            }
            long acceptedMs = (System.nanoTime() - t0) / 1_000_000;
            int running = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (running < n && System.nanoTime() < deadline) {
                Thread.sleep(100);
                running = 0;
                for (StartLatency.Client u : users) {
                    Matcher m = RUNNING.matcher(u.send("GET", "/notebooks?limit=" + (InstanceQuota.PER_USER + 10),
                            null));
                    while (m.find()) {
                        running++;
                    }
                }
            }
            long allMs = (System.nanoTime() - t0) / 1_000_000;
            long startCalls = dispatcher.atelierCalls.get() - calls0;
            long nodeMs = nodeBusyNanos.get() / 1_000_000;
            System.out.println("instances=" + n);
            System.out.println("running=" + running);
            System.out.println("creates_accepted_ms=" + acceptedMs);
            System.out.println("all_running_ms=" + allMs);
            System.out.println("node_busy_ms=" + nodeMs);
            System.out.println("all_running_net_of_node_ms=" + Math.max(0, allMs - nodeMs));
            System.out.printf("api_calls_per_instance_start=%.1f%n", startCalls / (double) n);

            // while they run: the calls Atelier makes and the CPU this process spends (Atelier, and the mock API
            // server and the status endpoint answering it)
            long window = args.length > 2 ? Long.parseLong(args[2]) : 30; // seconds watched while they run
            Thread.sleep(Math.min(5, window) * 1000); // the settling of the last starts
            long calls1 = dispatcher.atelierCalls.get();
            long cpu1 = StartLatency.jvmCpuMs();
            long w0 = System.nanoTime();
            Thread.sleep(window * 1000);
            double minutes = (System.nanoTime() - w0) / 60e9;
            long cpu2 = StartLatency.jvmCpuMs();
            System.out.printf("api_calls_per_instance_per_min_running=%.2f%n",
                    (dispatcher.atelierCalls.get() - calls1) / (double) n / minutes);
            System.out.printf("cpu_ms_per_instance_per_min_running=%.1f%n", (cpu2 - cpu1) / (double) n / minutes);
        } finally {
            atelier.close();
            jupyter.stop(0);
            node.close();
            server.destroy();
        }
    }

    static final class InstanceQuota {
        static final int PER_USER = dev.atelier.core.service.InstanceService.DEFAULT_NOTEBOOK_QUOTA;
    }

    /** {@code count} more members of the project, each with an access key, made in the store as an operator would. */
    static List<StartLatency.Client> members(Path dataDir, String url, String project, int count) throws Exception {
        List<StartLatency.Client> out = new ArrayList<>();
        var db = dev.atelier.store.sql.Database.open("jdbc:sqlite:" + dataDir.resolve("atelier.db"));
        try {
            var identities = new dev.atelier.store.sql.SqlIdentityStore(db);
            byte[] key = java.util.HexFormat.of().parseHex(Files.readString(dataDir.resolve("server.key")).trim());
            for (int i = 0; i < count; i++) {
                String userId = java.util.UUID.randomUUID().toString().replace("-", "");
                String ak = ("AK" + userId).substring(0, 20).toUpperCase(java.util.Locale.ROOT);
                String sk = java.util.UUID.randomUUID().toString();
                long now = System.currentTimeMillis();
                identities.createUser(userId, "bench-" + i, now);
                identities.addMember(project, userId, "member");
                identities.createAccessKey(ak, userId, new dev.atelier.core.auth.SecretBox(key).seal(sk), now);
                out.add(new StartLatency.Client(url, project, ak, sk));
            }
        } finally {
            db.close();
        }
        return out;
    }

    /** Binds every claim and runs every pod at once: scheduled, running on 127.0.0.1, ready. */
    static void startHollowNode(KubernetesClient node, AtomicLong busyNanos) {
        LinkedBlockingQueue<Runnable> work = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Runnable r = work.take();
                    long t = System.nanoTime();
                    r.run();
                    busyNanos.addAndGet(System.nanoTime() - t);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    System.err.println("hollow node: " + e);
                }
            }
        });
        node.persistentVolumeClaims().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim c) {
                work.add(() -> node.persistentVolumeClaims().inNamespace(c.getMetadata().getNamespace())
                        .withName(c.getMetadata().getName()).editStatus(x -> {
                            x.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder()
                                    .withPhase("Bound").build());
                            return x;
                        }));
            }

            @Override
            public void onUpdate(PersistentVolumeClaim o, PersistentVolumeClaim c) {
            }

            @Override
            public void onDelete(PersistentVolumeClaim c, boolean unknown) {
            }
        }, 0);
        node.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                work.add(() -> {
                    var pods = node.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata()
                            .getName());
                    pods.edit(x -> {
                        x.getSpec().setNodeName("hollow-1");
                        return x;
                    });
                    String now = Instant.now().toString();
                    pods.editStatus(x -> {
                        x.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
                                .withPodIP("127.0.0.1").withConditions(
                                        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build(),
                                        new PodConditionBuilder().withType("Ready").withStatus("True").build())
                                .addNewContainerStatus().withName("notebook").withReady(true).withNewState()
                                .withNewRunning().withStartedAt(now).endRunning().endState().endContainerStatus()
                                .build());
                        return x;
                    });
                });
            }

            @Override
            public void onUpdate(Pod o, Pod p) {
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
            }
        }, 0);
    }
}
