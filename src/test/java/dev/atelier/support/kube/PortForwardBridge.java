package dev.atelier.support.kube;

import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * A pod's {@code portforward}, as the API server and kubelet serve it: a WebSocket of the {@code v4.channel.k8s.io}
 * protocol, channel 0 the port's data and 1 its errors, each opened with a frame that names the port (two bytes,
 * little-endian), carried to the pod's address.
 */
final class PortForwardBridge {
    private final BiFunction<String, String, String> addressOf;
    private final AtomicLong opened = new AtomicLong();

    /** @param addressOf a running pod's address, by namespace and name; null when it does not run */
    PortForwardBridge(BiFunction<String, String, String> addressOf) {
        this.addressOf = addressOf;
    }

    long opened() {
        return opened.get();
    }

    MockResponse forward(String namespace, String pod, Map<String, List<String>> query) {
        String ip = addressOf.apply(namespace, pod);
        if (ip == null) {
            return ClusterDispatcher.notFound("pod " + pod + " is not running");
        }
        int port = Integer.parseInt(query.getOrDefault("ports", List.of("0")).get(0));
        opened.incrementAndGet();
        return new MockResponse().setResponseCode(101).withWebSocketUpgrade(new Session(ip, port));
    }

    private static final class Session extends WebSocketListener {
        private final String ip;
        private final int port;
        private volatile Socket socket;
        /** Open once connected: the client may write before that, on another thread. */
        private final CountDownLatch connected = new CountDownLatch(1);

        Session(String ip, int port) {
            this.ip = ip;
            this.port = port;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            byte lo = (byte) port;
            byte hi = (byte) (port >>> 8);
            ws.send(new byte[] {0, lo, hi});
            ws.send(new byte[] {1, lo, hi});
            try {
                socket = new Socket(ip, port);
            } catch (IOException e) {
                ws.send(("\u0001" + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                ws.close(1000, "");
                return;
            } finally {
                connected.countDown();
            }
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[16 * 1024];
                try (var in = socket.getInputStream()) {
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        byte[] msg = new byte[n + 1];
                        System.arraycopy(buf, 0, msg, 1, n);
                        ws.send(msg);
                    }
                } catch (IOException e) {
                    // closed
                }
                ws.close(1000, "");
            });
        }

        @Override
        public void onMessage(WebSocket ws, ByteString bytes) {
            onMessage(ws, bytes.toByteArray());
        }

        @Override
        public void onMessage(WebSocket ws, byte[] b) {
            try {
                connected.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (b.length > 1 && b[0] == 0 && socket != null) {
                try {
                    socket.getOutputStream().write(b, 1, b.length - 1);
                } catch (IOException e) {
                    ws.close(1000, "");
                }
            }
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException e) {
                // closed
            }
        }
    }
}
