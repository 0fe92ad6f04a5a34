package dev.atelier.api.http;

import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Instance;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's WebSockets (kernels, terminals): the notebook server's end opened before the client's handshake
 * is answered, then each message relayed as it comes, users' input counted as activity, the traffic counted.
 * Who may connect is decided before, by {@link NotebookGateway}.
 */
final class GatewaySockets {
    private static final Logger log = LoggerFactory.getLogger(GatewaySockets.class);
    private static final String RELAY = "atelier.gateway.relay";

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private final GatewayTraffic traffic;
    private final dev.atelier.core.service.Activity activity;

    GatewaySockets(GatewayTraffic traffic, dev.atelier.core.service.Activity activity) {
        this.traffic = traffic;
        this.activity = activity;
    }

    /**
     * Opens {@code upstream} for an admitted client's handshake: a connection the notebook server refuses (an
     * unknown kernel, a path it does not serve) is refused to the client with that status, rather than accepted
     * and then closed.
     */
    void open(Context ctx, Instance inst, String upstream) {
        GatewayRelay relay = new GatewayRelay(inst.id(), ctx.path(), traffic, activity);
        WebSocket.Builder b = client.newWebSocketBuilder().header("Authorization", "token " + inst.serverToken())
                .connectTimeout(Duration.ofSeconds(10));
        String protocol = ctx.header("Sec-WebSocket-Protocol");
        if (protocol != null && !protocol.isBlank()) {
            String[] offered = protocol.split("\\s*,\\s*");
            b.subprotocols(offered[0], java.util.Arrays.copyOfRange(offered, 1, offered.length));
        }
        CompletableFuture<WebSocket> opening;
        try {
            opening = b.buildAsync(URI.create(upstream), relay);
        } catch (IllegalArgumentException e) {
            refuseUpgrade(ctx, new GatewayRefusal(400, ErrorCode.INVALID_PARAMETER, "not a notebook WebSocket path"));
            return;
        }
        try {
            relay.upstream = opening.get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            int status = e.getCause() instanceof java.net.http.WebSocketHandshakeException h
                    ? h.getResponse().statusCode() : 502;
            log.debug("gateway: the notebook server refused {}: {}", upstream, e.getCause().toString());
            refuseUpgrade(ctx, status < 400 // answered as a page or a redirect: nothing there speaks WebSocket
                    ? new GatewayRefusal(400, ErrorCode.INVALID_PARAMETER, "the notebook server has no WebSocket at "
                            + "this path")
                    : status < 500
                    ? new GatewayRefusal(status, status == 404 ? ErrorCode.ROUTE_NOT_FOUND : ErrorCode.FORBIDDEN,
                            "the notebook server refused this WebSocket (" + status + ")")
                    : new GatewayRefusal(502, ErrorCode.UNAVAILABLE, "the notebook server of instance " + inst.id()
                            + " did not accept the connection; retry in a moment").retryAfter(3));
            return;
        } catch (Exception e) {
            opening.thenAccept(WebSocket::abort); // should it open after all, nobody is left to use it
            log.warn("gateway: cannot open {}: {}", upstream, e.toString());
            refuseUpgrade(ctx, new GatewayRefusal(502, ErrorCode.UNAVAILABLE, "the notebook server of instance "
                    + inst.id() + " did not answer; retry in a moment").retryAfter(3));
            return;
        }
        ctx.attribute(RELAY, relay);
        // a client that goes away during its handshake never connects: its upstream twin does not wait for it
        CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS).execute(relay::abortIfUnattached);
    }

    private static void refuseUpgrade(Context ctx, GatewayRefusal r) {
        GatewayRefusal.answer(ctx, r, true);
        ctx.skipRemainingHandlers();
    }

    /** The relay of an open WebSocket. */
    void relay(WsConfig ws) {
        ws.onConnect(ctx -> {
            ctx.session.setIdleTimeout(Duration.ofHours(24));
            ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
            GatewayRelay relay = ctx.attribute(RELAY);
            if (relay == null || !relay.attach(ctx)) {
                ctx.closeSession(1011, "the notebook server connection is gone");
            } else {
                traffic.opened();
            }
        });
        ws.onMessage(ctx -> {
            GatewayRelay r = relay(ctx);
            if (UserInput.isInput(r.channel, ctx.message())) {
                activity.touch(r.instanceId);
                r.fromClient(ctx.message());
            }
            traffic.sentToInstance(GatewayTraffic.utf8Length(ctx.message()));
            r.toUpstream(u -> u.sendText(ctx.message(), true));
        });
        ws.onBinaryMessage(ctx -> {
            ByteBuffer data = ctx.data();
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            GatewayRelay r = relay(ctx);
            if (UserInput.isInput(r.channel, copy)) {
                activity.touch(r.instanceId);
            }
            traffic.sentToInstance(copy.length);
            r.toUpstream(u -> u.sendBinary(ByteBuffer.wrap(copy), true));
        });
        ws.onClose(ctx -> clientEnded(relay(ctx), u -> u.sendClose(WebSocket.NORMAL_CLOSURE, "")
                .exceptionally(e -> null)));
        ws.onError(ctx -> clientEnded(relay(ctx), WebSocket::abort));
    }

    /** The client's side ended (closed, or failed): so does what the relay followed, and the server's side. */
    private void clientEnded(GatewayRelay r, java.util.function.Consumer<WebSocket> endUpstream) {
        if (r == null) {
            return;
        }
        if (r.detach()) {
            traffic.closed();
        }
        r.endRuns();
        if (r.upstream != null) {
            endUpstream.accept(r.upstream);
        }
    }

    private static GatewayRelay relay(WsContext ctx) {
        return ctx.attribute(RELAY);
    }
}
