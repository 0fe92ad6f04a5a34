package dev.atelier.api.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections whose request line and headers take longer than {@link #LIMIT_MS} to arrive. Jetty's idle
 * timeout starts again with every byte, and its minimum data rate counts bodies only, so a client sending a header
 * byte every few seconds would otherwise hold its connection for hours; many such clients, the server.
 */
final class SlowHeaders {
    private static final Logger log = LoggerFactory.getLogger(SlowHeaders.class);
    static final long LIMIT_MS = 10_000;
    private static final long CHECK_MS = 2_000;

    /** Connections seen part-way through a request's headers: which request (by count), and since when. */
    private record Seen(long request, long since) {
    }

    private final Server server;
    private final Map<HttpConnection, Seen> seen = new ConcurrentHashMap<>();

    private SlowHeaders(Server server) {
        this.server = server;
    }

    static void watch(Server server) {
        SlowHeaders watcher = new SlowHeaders(server);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "slow-headers");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(watcher::check, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStopping(LifeCycle event) {
                timer.shutdownNow();
            }
        });
    }

    private void check() {
        try {
            long now = System.currentTimeMillis();
            java.util.Set<HttpConnection> open = new java.util.HashSet<>();
            for (Connector connector : server.getConnectors()) {
                for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                    if (!(endPoint.getConnection() instanceof HttpConnection c)) {
                        continue;
                    }
                    open.add(c);
                    var parser = c.getParser();
                    if (!parser.inHeaderState() || parser.isStart()) {
                        seen.remove(c);
                        continue;
                    }
                    Seen s = seen.get(c);
                    if (s == null || s.request() != c.getMessagesIn()) {
                        seen.put(c, new Seen(c.getMessagesIn(), now));
                    } else if (now - s.since() >= LIMIT_MS) {
                        log.debug("closing a connection from {}: its request headers took over {} s",
                                endPoint.getRemoteSocketAddress(), LIMIT_MS / 1000);
                        seen.remove(c);
                        endPoint.close();
                    }
                }
            }
            seen.keySet().retainAll(open);
        } catch (RuntimeException e) {
            log.warn("checking for slow request headers failed: {}", e.toString());
        }
    }
}
