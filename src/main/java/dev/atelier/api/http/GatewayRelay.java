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
    /** The client left while code it sent still ran: the notebook server's side stays, to hear the end of it. */
    private volatile boolean keptForRuns;

    GatewayRelay(String instanceId, String path, GatewayTraffic traffic, dev.atelier.core.service.Activity activity) {
        this.instanceId = instanceId;
        this.channel = UserInput.channelOf(path);
        this.kernelId = UserInput.kernelOf(path);
        this.traffic = traffic;
        this.activity = activity;
    }

    /** A text message from the client, about to be relayed: code it sends to the kernel is followed. */
    void fromClient(String message) {
        if (kernelId == null) {
            return;
        }
        String id = KernelMessages.executeRequestId(message);
        if (id != null && runs.add(id)) {
            activity.executionStarted(instanceId, kernelId + "/" + id);
        }
    }

    /** A text message from the kernel: the end of code the client sent, followed until now. */
    private void fromKernel(String message) {
        if (runs.isEmpty()) {
            return;
        }
        String done = KernelMessages.idleAfter(message);
        if (done != null && runs.remove(done)) {
            activity.executionEnded(instanceId, kernelId + "/" + done);
            if (keptForRuns && runs.isEmpty()) {
                closeUpstream();
            }
        }
    }

    /**
     * The client left. The notebook server's side closes with it, unless code the client sent is still running:
     * then it stays open until the kernel says that code is done (or {@code atMost} has passed), so that a long
     * computation left to run is known to run.
     */
    void clientLeft(java.time.Duration atMost) {
        if (runs.isEmpty()) {
            closeUpstream();
            return;
        }
        keptForRuns = true;
        CompletableFuture.delayedExecutor(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(this::closeUpstream);
        if (runs.isEmpty()) { // the end came meanwhile
            closeUpstream();
        }
    }

    /** The client's connection failed: as {@link #clientLeft}, but with nothing running the other side is cut. */
    void clientFailed(java.time.Duration atMost) {
        WebSocket u = upstream;
        if (runs.isEmpty() && u != null) {
            u.abort();
            return;
        }
        clientLeft(atMost);
    }

    private void closeUpstream() {
        WebSocket u = upstream;
        if (u != null) {
            u.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
        }
        endRuns();
    }

    /** The kernel can no longer say it is done: what it ran is over as far as anyone can know. */
    private void endRuns() {
        for (String id : java.util.List.copyOf(runs)) {
            if (runs.remove(id)) {
                activity.executionEnded(instanceId, kernelId + "/" + id);
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
            if (!keptForRuns) {
                traffic.sentToClient(GatewayTraffic.utf8Length(message));
                client.send(message);
            }
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
            if (!keptForRuns) {
                traffic.sentToClient(binary.size());
                client.send(ByteBuffer.wrap(binary.toByteArray()));
            }
            binary = new java.io.ByteArrayOutputStream();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
        endRuns();
        WsContext client = this.client; // messages are read only once attached: so is a close
        if (client != null && client.session.isOpen()) {
            client.closeSession(status == WebSocket.NORMAL_CLOSURE || status >= 3000 ? status : 1000, reason);
        }
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        endRuns();
        WsContext client = this.client;
        if (client != null && client.session.isOpen()) {
            client.closeSession(1011, "the notebook server connection failed");
        }
    }
}
