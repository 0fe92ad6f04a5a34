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
    private final dev.atelier.core.service.Activity activity;
    private boolean detached;
    /** Code the client sent to the kernel that the kernel has not said it is done with: execute_request ids. */
    private final java.util.Set<String> runs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Runs followed at most per connection: a client sending code without end cannot grow it. */
    private static final int MAX_RUNS = 1000;
    /** This relay's own name for its runs, so that two clients' equal message ids are two runs. */
    private final String relayId = java.util.UUID.randomUUID().toString();
    private volatile boolean upstreamClosed;

    GatewayRelay(String instanceId, String path, GatewayTraffic traffic, dev.atelier.core.service.Activity activity) {
        this.instanceId = instanceId;
        this.channel = UserInput.channelOf(path);
        this.kernelId = UserInput.kernelOf(path);
        this.traffic = traffic;
        this.activity = activity;
    }

    /** A text message from the client, about to be relayed: code it sends to the kernel is followed. */
    void fromClient(String message) {
        if (kernelId == null || upstreamClosed || runs.size() >= MAX_RUNS) {
            return;
        }
        String id = KernelMessages.executeRequestId(message);
        if (id != null && runs.add(id)) {
            activity.executionStarted(instanceId, key(id));
        }
    }

    /** A text message from the kernel: the end of code the client sent, or of everything it ran (a restart). */
    private void fromKernel(String message) {
        if (runs.isEmpty()) {
            return;
        }
        if (KernelMessages.restartedOrDead(message)) {
            endRuns();
            return;
        }
        String done = KernelMessages.idleAfter(message);
        if (done != null && runs.remove(done)) {
            activity.executionEnded(instanceId, key(done));
        }
    }

    private String key(String msgId) {
        return relayId + "/" + msgId;
    }

    /**
     * The connection ended (either side): the kernel can no longer tell this relay that the code is done, so what
     * it followed ends here, and the notebook server's own view of the kernel says from now on.
     */
    void endRuns() {
        for (String id : java.util.List.copyOf(runs)) {
            if (runs.remove(id)) {
                activity.executionEnded(instanceId, key(id));
            }
        }
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
            fromKernel(message);
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
        upstreamClosed = true;
        endRuns();
        WsContext client = this.client; // messages are read only once attached: so is a close
        if (client != null && client.session.isOpen()) {
            client.closeSession(status == WebSocket.NORMAL_CLOSURE || status >= 3000 ? status : 1000, reason);
        }
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        upstreamClosed = true;
        endRuns();
        WsContext client = this.client;
        if (client != null && client.session.isOpen()) {
            client.closeSession(1011, "the notebook server connection failed");
        }
    }
}
