package dev.atelier.api.http;

import io.javalin.websocket.WsContext;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One client connection and its upstream twin; sends to each side are kept in order. The upstream side opens
 * first and reads nothing until the client side is attached.
 */
final class GatewayRelay implements WebSocket.Listener {
    /** Whose connection it is, and what it carries: which client messages are someone using the notebook. */
    final String instanceId;
    final UserInput.Channel channel;
    /** The kernel whose channels these are; null for a terminal's or another socket. */
    final String kernelId;
    private volatile WsContext client;
    volatile WebSocket upstream;
    private CompletableFuture<?> upstreamTail = CompletableFuture.completedFuture(null);
    private final StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    private boolean aborted;
    private final GatewayTraffic traffic;
    private boolean detached;

    GatewayRelay(String instanceId, String path, GatewayTraffic traffic) {
        this.instanceId = instanceId;
        this.channel = UserInput.channelOf(path);
        this.kernelId = UserInput.kernelOf(path);
        this.traffic = traffic;
    }

    @Override
    public void onOpen(WebSocket ws) {
        // nothing is read from the notebook server before the client is there to receive it (see attach)
    }

    synchronized boolean attach(WsContext ctx) {
        if (aborted) {
            return false;
        }
        client = ctx;
        upstream.request(1);
        return true;
    }

    /** The client side ended; true the first time, if it had been attached. */
    synchronized boolean detach() {
        if (client == null || detached) {
            return false;
        }
        detached = true;
        return true;
    }

    synchronized void abortIfUnattached() {
        if (client == null && upstream != null) {
            aborted = true;
            upstream.abort();
        }
    }

    synchronized void toUpstream(java.util.function.Function<WebSocket, CompletableFuture<WebSocket>> send) {
        WebSocket u = upstream;
        if (u == null) {
            return;
        }
        upstreamTail = upstreamTail.thenCompose(x -> send.apply(u)).exceptionally(e -> null);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            String message = text.toString();
            text.setLength(0);
            traffic.sentToClient(GatewayTraffic.utf8Length(message));
            client.send(message);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
            traffic.sentToClient(binary.size());
            client.send(ByteBuffer.wrap(binary.toByteArray()));
            binary = new java.io.ByteArrayOutputStream();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
        WsContext client = this.client; // messages are read only once attached: so is a close
        if (client != null && client.session.isOpen()) {
            client.closeSession(status == WebSocket.NORMAL_CLOSURE || status >= 3000 ? status : 1000, reason);
        }
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        WsContext client = this.client;
        if (client != null && client.session.isOpen()) {
            client.closeSession(1011, "the notebook server connection failed");
        }
    }
}
