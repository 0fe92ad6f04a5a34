package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.runtime.host.NotebookContainer;
import dev.atelier.runtime.host.PortRelay;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Sessions inside a running pod, through the API server's exec: as the pod's user (uid 1000, its security context
 * allows no other), in its work directory, with its limits. Connections to its ports are relayed from inside the
 * pod, so port forwarding reaches that pod's ports and nothing else.
 *
 * <p>The exec protocol fabric8 speaks ({@code v4.channel.k8s.io}) cannot close a command's standard input
 * without ending the session, and a command that reads its input to the end (an SFTP server, {@code cat}) needs
 * that end. So a session without a terminal runs its command under a small relay of Python's standard library
 * ({@link #STDIN_RELAY}) that reads its input in frames (a 4-byte length, then that many bytes) and closes the
 * command's input at the empty frame; the command's output and exit status pass through untouched.
 */
final class PodShell implements InstanceShell {
    /** Runs its arguments with their standard input unframed from its own (see the class's comment). */
    static final String STDIN_RELAY = String.join("\n",
            "import os, subprocess, sys, threading",
            "p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE)",
            "def exact(n):",
            "    b = b''",
            "    while len(b) < n:",
            "        d = os.read(0, n - len(b))",
            "        if not d:",
            "            return None",
            "        b += d",
            "    return b",
            "def feed():",
            "    try:",
            "        while True:",
            "            h = exact(4)",
            "            n = int.from_bytes(h, 'big') if h else 0",
            "            d = exact(n) if n else None",
            "            if d is None:",
            "                break",
            "            p.stdin.write(d)",
            "            p.stdin.flush()",
            "    except OSError:",
            "        pass",
            "    try:",
            "        p.stdin.close()",
            "    except OSError:",
            "        pass",
            "threading.Thread(target=feed, daemon=True).start()",
            "code = p.wait()",
            "os._exit(code if code >= 0 else 128 - code)");

    private final KubernetesCluster cluster;
    private final Function<String, io.fabric8.kubernetes.api.model.Pod> runningPod;

    PodShell(KubernetesCluster cluster, Function<String, io.fabric8.kubernetes.api.model.Pod> runningPod) {
        this.cluster = cluster;
        this.runningPod = runningPod;
    }

    @Override
    public Session open(String instanceId, Request request) throws IOException {
        var pod = runningPod.apply(instanceId).getMetadata();
        List<String> argv = new ArrayList<>(List.of("env", "HOME=" + NotebookContainer.HOME, "USER=ma-user",
                "LANG=C.UTF-8", "SHELL=/bin/bash"));
        boolean tty = request.terminal() != null;
        if (tty) {
            argv.add("TERM=" + request.terminal().type());
        }
        // the exec API has no working directory of its own: a shell goes there first
        argv.addAll(List.of("/bin/sh", "-c", "cd " + NotebookContainer.WORK + " 2>/dev/null; exec \"$@\"", "sh"));
        if (!tty) {
            argv.addAll(List.of("python3", "-c", STDIN_RELAY));
        }
        argv.addAll(request.argv() != null ? request.argv()
                : request.commandLine() != null ? List.of("/bin/sh", "-c", request.commandLine())
                : List.of("/bin/sh", "-c", "cd; exec \"$(command -v bash || echo /bin/sh)\" -l"));
        ExecWatch watch;
        try {
            var exec = cluster.client().pods().inNamespace(pod.getNamespace()).withName(pod.getName())
                    .inContainer(PodPlan.CONTAINER).redirectingInput().redirectingOutput().redirectingError();
            watch = (tty ? exec.withTTY() : exec).exec(argv.toArray(String[]::new));
        } catch (KubernetesClientException e) {
            throw new IOException("cannot start a session in the pod: " + KubernetesCluster.rootMessage(e), e);
        }
        ExecSession session = new ExecSession(watch, tty);
        if (tty) {
            session.resize(request.terminal().columns(), request.terminal().rows());
        }
        return session;
    }

    /** A socket of the instance's user listens on the port in the pod's network. */
    @Override
    public boolean servesPort(String instanceId, int port) {
        try (Session s = open(instanceId, new Request(PortRelay.TABLES_COMMAND, null, null))) {
            String tables = new String(s.stdout().readAllBytes(), StandardCharsets.US_ASCII);
            return PortRelay.listensIn(tables, port, NotebookContainer.UID);
        } catch (IOException | RuntimeFailure e) {
            return false;
        }
    }

    /** A relay run inside the pod as its user, to what listens on the pod's loopback or its address. */
    @Override
    public Connection connect(String instanceId, int port) throws IOException {
        return PortRelay.connect(this, instanceId, port);
    }

    private static final class ExecSession implements Session {
        private final ExecWatch watch;
        private final OutputStream stdin;

        ExecSession(ExecWatch watch, boolean tty) {
            this.watch = watch;
            this.stdin = tty ? new TerminalInput(watch.getInput()) : new FramedInput(watch.getInput());
        }

        @Override
        public OutputStream stdin() {
            return stdin;
        }

        @Override
        public InputStream stdout() {
            return watch.getOutput();
        }

        @Override
        public InputStream stderr() {
            return watch.getError();
        }

        @Override
        public void resize(int columns, int rows) {
            try {
                watch.resize(columns, rows);
            } catch (RuntimeException e) {
                // over: nothing to resize
            }
        }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                Integer code = watch.exitCode().get();
                return code == null ? -1 : code;
            } catch (ExecutionException e) {
                return -1;
            }
        }

        /** Ends the session; the kubelet ends the command when its connection goes. */
        @Override
        public void close() {
            watch.close();
            try {
                watch.exitCode().get(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // ended anyway
            }
        }
    }

    /**
     * A terminal's input. A terminal has no end of input of its own: the client's end (ssh's stdin closing) is
     * typed as Ctrl-D, the way a terminal ends a line discipline's input, and the session lasts until its command
     * exits. Closing the exec stream instead would end the session before the command had read what came first.
     */
    private static final class TerminalInput extends java.io.FilterOutputStream {
        private static final int END_OF_TRANSMISSION = 4;
        private boolean closed;

        TerminalInput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                try {
                    out.write(END_OF_TRANSMISSION);
                    out.flush();
                } catch (IOException e) {
                    // the command has already gone
                }
            }
        }
    }

    /** A command's input in {@link #STDIN_RELAY}'s frames; closing it sends the empty frame, its end. */
    private static final class FramedInput extends OutputStream {
        private final OutputStream out;
        private boolean closed;

        FramedInput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("the command's input is closed");
            }
            if (len == 0) {
                return;
            }
            byte[] frame = new byte[4 + len];
            frame[0] = (byte) (len >>> 24);
            frame[1] = (byte) (len >>> 16);
            frame[2] = (byte) (len >>> 8);
            frame[3] = (byte) len;
            System.arraycopy(b, off, frame, 4, len);
            out.write(frame);
            out.flush();
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                out.write(new byte[4]);
                out.flush();
            }
        }
    }
}
