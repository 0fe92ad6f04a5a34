package dev.atelier.support.kube;

import com.github.dockerjava.api.DockerClient;
import dev.atelier.runtime.docker.ExecAttach;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod's {@code exec}, as the API server and kubelet serve it: a WebSocket of the {@code v4.channel.k8s.io}
 * protocol (each message's first byte its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final status, 4 terminal
 * resizes) carried to an exec in the pod's container on the Docker engine.
 */
final class ExecBridge {
    private static final Pattern SIZE = Pattern.compile("\"Width\"\\s*:\\s*(\\d+).*\"Height\"\\s*:\\s*(\\d+)");
    private final DockerClient docker;
    private final BiFunction<String, String, String> containerOf;

    ExecBridge(DockerClient docker, BiFunction<String, String, String> containerOf) {
        this.docker = docker;
        this.containerOf = containerOf;
    }

    MockResponse exec(String namespace, String pod, Map<String, List<String>> query) {
        String container = containerOf.apply(namespace, pod);
        if (container == null) {
            return ClusterDispatcher.notFound("pod " + pod + " is not running");
        }
        boolean tty = "true".equals(first(query, "tty"));
        List<String> command = query.getOrDefault("command", List.of("/bin/sh"));
        String execId = docker.execCreateCmd(container).withCmd(command.toArray(String[]::new)).withTty(tty)
                .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).exec().getId();
        return new MockResponse().setResponseCode(101).withWebSocketUpgrade(new Session(execId, tty));
    }

    private static String first(Map<String, List<String>> query, String key) {
        List<String> v = query.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private final class Session extends WebSocketListener {
        private final String execId;
        private final boolean tty;
        private volatile ExecAttach attach;
        /** Open once the exec is attached: the client's first messages may come before that, on another thread. */
        private final java.util.concurrent.CountDownLatch attached = new java.util.concurrent.CountDownLatch(1);

        Session(String execId, boolean tty) {
            this.execId = execId;
            this.tty = tty;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            try {
                attach = ExecAttach.start("unix:///var/run/docker.sock", execId, tty);
            } catch (IOException e) {
                send(ws, 3, "{\"status\":\"Failure\",\"message\":\"" + e.getMessage() + "\"}");
                ws.close(1000, "");
                return;
            } finally {
                attached.countDown();
            }
            Thread out = Thread.ofVirtual().start(() -> pump(attach.stdout(), ws, 1));
            Thread err = Thread.ofVirtual().start(() -> pump(attach.stderr(), ws, 2));
            Thread.ofVirtual().start(() -> {
                try {
                    out.join();
                    err.join();
                    Long code = null;
                    for (int i = 0; i < 50 && code == null; i++) {
                        var state = docker.inspectExecCmd(execId).exec();
                        if (!Boolean.TRUE.equals(state.isRunning())) {
                            code = state.getExitCodeLong();
                        }
                        if (code == null) {
                            Thread.sleep(20);
                        }
                    }
                    send(ws, 3, code != null && code == 0 ? "{\"metadata\":{},\"status\":\"Success\"}"
                            : "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with "
                            + "non-zero exit code\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":"
                            + "[{\"reason\":\"ExitCode\",\"message\":\"" + (code == null ? 1 : code) + "\"}]}}");
                    ws.close(1000, "");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    ws.close(1011, "");
                }
            });
        }

        private void pump(InputStream in, WebSocket ws, int channel) {
            byte[] buf = new byte[16 * 1024];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    if (n > 0) {
                        byte[] msg = new byte[n + 1];
                        msg[0] = (byte) channel;
                        System.arraycopy(buf, 0, msg, 1, n);
                        ws.send(msg);
                    }
                }
            } catch (IOException e) {
                // the exec ended
            }
        }

        private void send(WebSocket ws, int channel, String text) {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            byte[] msg = new byte[body.length + 1];
            msg[0] = (byte) channel;
            System.arraycopy(body, 0, msg, 1, body.length);
            ws.send(msg);
        }

        @Override
        public void onMessage(WebSocket ws, ByteString bytes) {
            onMessage(ws, bytes.toByteArray());
        }

        @Override
        public void onMessage(WebSocket ws, byte[] b) {
            try {
                attached.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (b.length == 0 || attach == null) {
                return;
            }
            try {
                switch (b[0]) {
                    case 0 -> {
                        attach.stdin().write(b, 1, b.length - 1);
                        attach.stdin().flush();
                    }
                    case 4 -> {
                        Matcher m = SIZE.matcher(new String(b, 1, b.length - 1, StandardCharsets.UTF_8));
                        if (m.find()) {
                            try {
                                docker.resizeExecCmd(execId).withSize(Integer.parseInt(m.group(2)),
                                        Integer.parseInt(m.group(1))).exec();
                            } catch (RuntimeException e) {
                                // not running (yet)
                            }
                        }
                    }
                    case (byte) 255 -> attach.stdin().close();
                    default -> {
                        // no such channel from a client
                    }
                }
            } catch (IOException e) {
                // the exec ended
            }
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            end();
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            end();
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            end();
        }

        /** The client went: the exec's processes go with it, as a kubelet's do. */
        private void end() {
            try {
                if (attach != null) {
                    attach.close();
                }
                var state = docker.inspectExecCmd(execId).exec();
                if (Boolean.TRUE.equals(state.isRunning()) && state.getPidLong() != null) {
                    ProcessHandle.of(state.getPidLong()).ifPresent(p -> {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                    });
                }
            } catch (IOException | RuntimeException e) {
                // the container is gone, and the exec with it
            }
        }
    }
}
