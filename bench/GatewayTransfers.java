import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Big files and idle WebSockets through the notebook gateway, beside the same done directly: a file uploaded in
 * chunks through Jupyter's contents API (as JupyterLab uploads) and downloaded from {@code files/}, timed, then
 * again with the most the heap held live meanwhile (the server and this client share the JVM: both are in that
 * figure); then WebSockets held open on a kernel, idle, with the platform threads and heap they cost.
 */
final class GatewayTransfers {
    private static final HttpClient HTTP = GatewayOverhead.HTTP;
    private static final int CHUNK = 4 << 20;

    private GatewayTransfers() {
    }

    static void files(String direct, String gateway, String token, int megabytes) throws Exception {
        byte[] data = new byte[megabytes << 20];
        new Random(1).nextBytes(data);
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        String[][] paths = {{"direct", direct}, {"gateway", gateway}};
        // three rounds, direct and gateway in turn, and the median of each: one transfer of each, one after the
        // other, measured whatever else the two cores were doing at that moment
        double[][] up = new double[2][3];
        double[][] down = new double[2][3];
        for (int round = 0; round < 3; round++) {
            for (int p = 0; p < 2; p++) {
                String name = "bench-" + paths[p][0] + ".bin";
                long t0 = System.nanoTime();
                upload(paths[p][1], token, name, data);
                up[p][round] = megabytes / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                String got = download(paths[p][1], token, name);
                down[p][round] = megabytes / ((System.nanoTime() - t0) / 1e9);
                if (!got.equals(digest)) {
                    throw new IllegalStateException(paths[p][0] + ": the file came back different");
                }
            }
        }
        for (int p = 0; p < 2; p++) {
            String[] path = paths[p];
            String name = "bench-" + path[0] + ".bin";
            // then again while the live heap is sampled (sampling collects, which would slow the timing)
            long base = liveHeap();
            LiveHeapPeak peak = LiveHeapPeak.start();
            upload(path[1], token, name, data);
            long upPeak = peak.stop() - base;
            base = liveHeap();
            peak = LiveHeapPeak.start();
            download(path[1], token, name);
            long downPeak = peak.stop() - base;
            java.util.Arrays.sort(up[p]);
            java.util.Arrays.sort(down[p]);
            System.out.printf("file_%d_mb_upload_%s_mb_per_s=%.1f%nfile_upload_%s_live_heap_growth_mib=%d%n",
                    megabytes, path[0], up[p][1], path[0], upPeak >> 20);
            System.out.printf("file_%d_mb_download_%s_mb_per_s=%.1f%nfile_download_%s_live_heap_growth_mib=%d%n",
                    megabytes, path[0], down[p][1], path[0], downPeak >> 20);
            HTTP.send(HttpRequest.newBuilder(URI.create(path[1] + "api/contents/" + name))
                    .header("Authorization", "token " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        }
        System.out.printf("file_upload_ratio=%.2f%nfile_download_ratio=%.2f%n", up[1][1] / up[0][1],
                down[1][1] / down[0][1]);
    }

    /** Chunk by chunk, each a JSON body of base64 (chunk 1, 2, … and -1 for the last), as JupyterLab does. */
    private static void upload(String base, String token, String name, byte[] data) throws Exception {
        for (int at = 0, chunk = 1; at < data.length; at += CHUNK, chunk++) {
            int len = Math.min(CHUNK, data.length - at);
            boolean last = at + len >= data.length;
            String body = "{\"type\":\"file\",\"format\":\"base64\",\"name\":\"" + name + "\",\"path\":\"" + name
                    + "\",\"chunk\":" + (last ? -1 : chunk) + ",\"content\":\""
                    + Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(data, at, at + len)) + "\"}";
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "api/contents/" + name))
                    .header("Authorization", "token " + token).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("upload chunk " + chunk + ": " + r.statusCode() + " " + r.body());
            }
        }
    }

    /** Streamed and hashed as it comes, never held. */
    private static String download(String base, String token, String name) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "files/" + name))
                .header("Authorization", "token " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = r.body()) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("download: " + r.statusCode());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** N WebSockets on one kernel through the gateway, held idle; platform threads and live heap per socket. */
    static void idleSockets(String gateway, String token, int n, int idleSeconds) throws Exception {
        String kernel = GatewayOverhead.JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(gateway
                        + "api/kernels")).header("Authorization", "token " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()).body())
                .get("id").asText();
        URI channels = URI.create(gateway.replaceFirst("^http", "ws") + "api/kernels/" + kernel + "/channels");
        int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
        long heap0 = liveHeap();
        List<WebSocket> open = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            open.add(HTTP.newWebSocketBuilder().header("Authorization", "token " + token).buildAsync(channels,
                    new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
                            s.request(1);
                            return null;
                        }
                    }).get(30, TimeUnit.SECONDS));
        }
        Thread.sleep(idleSeconds * 1000L);
        int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
        long heap1 = liveHeap();
        Thread.sleep(idleSeconds * 1000L);
        int threads2 = ManagementFactory.getThreadMXBean().getThreadCount();
        long heap2 = liveHeap();
        System.out.printf("idle_websockets=%d%nidle_websockets_platform_threads_before=%d%n"
                + "idle_websockets_platform_threads_open=%d%nidle_websockets_platform_threads_later=%d%n", n, threads0,
                threads1, threads2);
        System.out.printf("idle_websocket_live_heap_kib_each=%.1f%nidle_websockets_live_heap_growth_while_idle_kib=%d%n",
                (heap1 - heap0) / 1024.0 / n, (heap2 - heap1) >> 10);
        for (WebSocket ws : open) {
            ws.abort();
        }
        HTTP.send(HttpRequest.newBuilder(URI.create(gateway + "api/kernels/" + kernel))
                .header("Authorization", "token " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }

    /** What is live in the heap: after a full collection. */
    private static long liveHeap() throws InterruptedException {
        System.gc();
        Thread.sleep(200);
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The most the heap held live while it ran, by collecting every 100 ms: what a transfer kept, not what passed. */
    private static final class LiveHeapPeak {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong peak = new AtomicLong();
        private Thread sampler;

        static LiveHeapPeak start() {
            LiveHeapPeak p = new LiveHeapPeak();
            p.sampler = Thread.ofPlatform().daemon().start(() -> {
                while (p.running.get()) {
                    System.gc();
                    p.peak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
                            Math::max);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            return p;
        }

        long stop() throws InterruptedException {
            running.set(false);
            sampler.join();
            return peak.get();
        }
    }
}
