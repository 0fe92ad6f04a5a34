package dev.atelier.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Talks to a notebook server the way the notebook UI does: Jupyter's REST API and the kernel WebSocket. */
public final class Jupyter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String token;

    /** @param treeUrl the instance's {@code url} (ends with {@code tree}) */
    public Jupyter(String treeUrl, String token) {
        this.base = treeUrl.substring(0, treeUrl.length() - "tree".length());
        this.token = token;
    }

    public HttpResponse<String> get(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (withToken) {
            b.header("Authorization", "token " + token);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Opens a terminal, as the notebook UI's terminal page does, types {@code command} into it and returns what the
     * terminal showed until {@code until} appeared (or 30 s passed).
     */
    public String terminal(String command, String until) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "api/terminals"))
                .header("Authorization", "token " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 200) {
            throw new AssertionError("terminal not created: " + created.statusCode() + " " + created.body());
        }
        String name = JSON.readTree(created.body()).get("name").asText();
        StringBuffer shown = new StringBuffer();
        CompletableFuture<String> done = new CompletableFuture<>();
        WebSocket ws = socket("terminals/websocket/" + name, text -> {
            try {
                JsonNode msg = JSON.readTree(text);
                if (msg.path(0).asText().equals("stdout")) {
                    shown.append(msg.path(1).asText());
                    if (shown.indexOf(until) >= 0) {
                        done.complete(shown.toString());
                    }
                }
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        });
        try {
            ws.sendText(JSON.writeValueAsString(JSON.createArrayNode().add("stdin").add(command + "\r")), true)
                    .get(10, TimeUnit.SECONDS);
            return done.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the terminal showed no " + until + ": " + shown, e);
        } finally {
            ws.abort();
            http.send(HttpRequest.newBuilder(URI.create(base + "api/terminals/" + name))
                    .header("Authorization", "token " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    /**
     * Opens a WebSocket at {@code path} (under the server's base URL) with the token, handing each whole text
     * message to {@code onMessage}.
     */
    private WebSocket socket(String path, java.util.function.Consumer<String> onMessage) throws Exception {
        return http.newWebSocketBuilder().header("Authorization", "token " + token)
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(base.replaceFirst("^http", "ws") + path), new WebSocket.Listener() {
                    private final StringBuilder frame = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        frame.append(data);
                        if (last) {
                            String text = frame.toString();
                            frame.setLength(0);
                            onMessage.accept(text);
                        }
                        socket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
    }

    /** Starts a kernel, runs {@code code} in it and returns what it printed on stdout. */
    public String execute(String code) throws Exception {
        String kernelId = startKernel();
        String msgId = UUID.randomUUID().toString();
        StringBuilder stdout = new StringBuilder();
        CompletableFuture<String> done = new CompletableFuture<>();
        WebSocket ws = socket("api/kernels/" + kernelId + "/channels", text -> {
            try {
                JsonNode msg = JSON.readTree(text);
                if (msg.path("msg_type").asText().equals("status") && msg.path("content")
                        .path("execution_state").asText().matches("restarting|dead")) {
                    done.completeExceptionally(new KernelDied());
                    return;
                }
                if (!msgId.equals(msg.path("parent_header").path("msg_id").asText())) {
                    return;
                }
                String type = msg.path("msg_type").asText();
                if (type.equals("stream") && msg.path("content").path("name").asText().equals("stdout")) {
                    stdout.append(msg.path("content").path("text").asText());
                } else if (type.equals("error")) {
                    done.completeExceptionally(new AssertionError("kernel error: " + msg.path("content")));
                } else if (type.equals("status")
                        && msg.path("content").path("execution_state").asText().equals("idle")) {
                    done.complete(stdout.toString());
                }
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        });
        ws.sendText(executeRequest(msgId, code), true).get(10, TimeUnit.SECONDS);
        try {
            return done.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof KernelDied died) {
                throw died;
            }
            throw e;
        } finally {
            ws.abort();
            // kernels are shut down after use: each holds processes and memory a sandbox counts
            http.send(HttpRequest.newBuilder(URI.create(base + "api/kernels/" + kernelId))
                    .header("Authorization", "token " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    /** Starts a Python kernel; returns its id. */
    private String startKernel() throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "api/kernels"))
                .header("Authorization", "token " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"python3\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new AssertionError("kernel not created: " + created.statusCode() + " " + created.body());
        }
        return JSON.readTree(created.body()).get("id").asText();
    }

    private static String executeRequest(String msgId, String code) throws Exception {
        return message(msgId, "execute_request", JSON.createObjectNode().put("code", code).put("silent", false)
                .put("store_history", true).put("allow_stdin", false).put("stop_on_error", true)
                .set("user_expressions", JSON.createObjectNode()));
    }

    /** Whether the server's kernel list gives the kernel this execution state. */
    private boolean kernelSays(String kernelId, String state) throws Exception {
        return get("api/kernels/" + kernelId, true).body().contains("\"" + state + "\"");
    }

    private static String message(String msgId, String type, com.fasterxml.jackson.databind.JsonNode content)
            throws Exception {
        ObjectNode header = JSON.createObjectNode().put("msg_id", msgId).put("username", "test")
                .put("session", UUID.randomUUID().toString()).put("msg_type", type)
                .put("version", "5.3").put("date", Instant.now().toString());
        ObjectNode msg = JSON.createObjectNode();
        msg.set("header", header);
        msg.set("parent_header", JSON.createObjectNode());
        msg.set("metadata", JSON.createObjectNode());
        msg.set("content", content);
        msg.put("channel", "shell");
        msg.set("buffers", JSON.createArrayNode());
        return JSON.writeValueAsString(msg);
    }

    /**
     * Starts a kernel, sends it {@code code} and goes away as soon as the kernel runs it, as someone who starts a
     * long computation and closes the browser: the kernel computes on with no client attached. Returns its id.
     */
    public String startAndLeave(String code) throws Exception {
        try (Running r = startAndStay(code)) {
            return r.kernelId();
        }
    }

    /** A kernel running code sent by a client that is still attached; closing it closes that client's socket. */
    public record Running(String kernelId, WebSocket socket) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            if (!socket.isOutputClosed()) { // else the server's side closed it (the instance stopped, say)
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null).get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Starts a kernel and sends it {@code code}, returning as soon as the kernel runs it, with the client still
     * attached (as an open notebook tab that nobody touches).
     */
    public Running startAndStay(String code) throws Exception {
        String kernelId = startKernel();
        String msgId = UUID.randomUUID().toString();
        CompletableFuture<Void> running = new CompletableFuture<>();
        WebSocket ws = socket("api/kernels/" + kernelId + "/channels", text -> {
            // the kernel took the code: it says busy, in answer to it
            if (text.contains(msgId) && text.contains("\"busy\"")) {
                running.complete(null);
            }
        });
        try {
            // the server watches each kernel's status messages on a subscription of its own, which misses what the
            // kernel says before it has joined: until the server has seen the kernel idle, it is asked for its
            // info (as the notebook UI does when it connects), and its answers pass the server by again
            long until = System.nanoTime() + 30_000_000_000L;
            while (!kernelSays(kernelId, "idle")) {
                if (System.nanoTime() > until) {
                    throw new AssertionError("the server never saw kernel " + kernelId + " idle");
                }
                ws.sendText(message(UUID.randomUUID().toString(), "kernel_info_request",
                        JSON.createObjectNode()), true).get(10, TimeUnit.SECONDS);
                Thread.sleep(200);
            }
            ws.sendText(executeRequest(msgId, code), true).get(10, TimeUnit.SECONDS);
            running.get(30, TimeUnit.SECONDS);
        } catch (Exception | AssertionError e) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
            throw e;
        }
        return new Running(kernelId, ws);
    }

    /**
     * Asks the kernel for its info on its control channel, which it answers even while it runs code, saying "busy"
     * then "idle" about that request: after it, the server's kernel list shows the kernel idle whatever it runs.
     */
    public void askOnControl(String kernelId) throws Exception {
        CompletableFuture<Void> answered = new CompletableFuture<>();
        WebSocket ws = socket("api/kernels/" + kernelId + "/channels", text -> {
            if (text.contains("kernel_info_reply")) {
                answered.complete(null);
            }
        });
        try {
            ws.sendText(message(UUID.randomUUID().toString(), "kernel_info_request", JSON.createObjectNode())
                    .replace("\"channel\":\"shell\"", "\"channel\":\"control\""), true).get(10, TimeUnit.SECONDS);
            answered.get(30, TimeUnit.SECONDS);
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        }
    }

    /** Whether any of the server's kernels is computing now. */
    public boolean anyKernelBusy() throws Exception {
        return get("api/kernels", true).body().contains("\"busy\"");
    }

    /** Creates an empty notebook in the work folder; returns its path. */
    public String newNotebook() throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "api/contents"))
                .header("Authorization", "token " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"notebook\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new AssertionError("notebook not created: " + created.statusCode() + " " + created.body());
        }
        return JSON.readTree(created.body()).get("path").asText();
    }

    /** The kernel running the code died (for example killed for exceeding a memory limit). */
    public static final class KernelDied extends RuntimeException {
        KernelDied() {
            super("the kernel died");
        }
    }
}
