package dev.atelier.runtime.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceShell;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Sessions inside a running container, through the engine's exec API: as the instance's user (uid 1000), in its
 * work directory, with its limits (an exec joins the container's cgroup and namespaces). Connections to its ports
 * go to the container's address on its own network, so port forwarding reaches that container and nothing else.
 */
final class DockerShell implements InstanceShell {
    private final DockerEngine engine;
    private final Function<String, String> containerOf;

    DockerShell(DockerEngine engine, Function<String, String> containerOf) {
        this.engine = engine;
        this.containerOf = containerOf;
    }

    @Override
    public Session open(String instanceId, Request request) throws IOException {
        String container = running(instanceId).getId();
        List<String> argv = request.argv() != null ? request.argv()
                : request.commandLine() != null ? List.of("/bin/sh", "-c", request.commandLine())
                : List.of("/bin/sh", "-c", "cd; exec \"$(command -v bash || echo /bin/sh)\" -l");
        List<String> env = new ArrayList<>(List.of("HOME=" + ContainerPlan.HOME, "USER=ma-user", "LANG=C.UTF-8",
                "SHELL=/bin/bash"));
        boolean tty = request.terminal() != null;
        if (tty) {
            env.add("TERM=" + request.terminal().type());
        }
        String exec;
        try {
            exec = engine.client().execCreateCmd(container).withUser(ContainerPlan.USER)
                    .withWorkingDir(ContainerPlan.WORK).withEnv(env).withCmd(argv.toArray(String[]::new))
                    .withTty(tty).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).exec().getId();
        } catch (RuntimeException e) {
            throw new IOException("cannot start a session in the container: " + DockerEngine.rootMessage(e), e);
        }
        return new ExecSession(exec, tty, request.terminal());
    }

    private InspectContainerResponse running(String instanceId) {
        try {
            InspectContainerResponse c = engine.client().inspectContainerCmd(containerOf.apply(instanceId)).exec();
            if (!Boolean.TRUE.equals(c.getState().getRunning())) {
                throw new RuntimeFailure("the instance is not running");
            }
            return c;
        } catch (NotFoundException e) {
            throw new RuntimeFailure("the instance is not running");
        } catch (RuntimeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RuntimeFailure(engine.unreachable(e), e);
        }
    }

    @Override
    public boolean servesPort(String instanceId, int port) {
        try {
            running(instanceId);
            return port > 0 && port < 65536; // every port of the container's own address is the instance's
        } catch (RuntimeFailure e) {
            return false;
        }
    }

    @Override
    public Connection connect(String instanceId, int port) throws IOException {
        InspectContainerResponse c;
        try {
            c = running(instanceId);
        } catch (RuntimeFailure e) {
            throw new IOException(e.getMessage(), e);
        }
        var net = c.getNetworkSettings().getNetworks().get(engine.nameOf(instanceId));
        if (net == null || net.getIpAddress() == null || net.getIpAddress().isBlank()) {
            throw new IOException("the container has no address on its network");
        }
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(net.getIpAddress(), port), 3000);
        return new Connection() {
            @Override
            public InputStream in() throws IOException {
                return socket.getInputStream();
            }

            @Override
            public OutputStream out() throws IOException {
                return socket.getOutputStream();
            }

            @Override
            public void close() throws IOException {
                socket.close();
            }
        };
    }

    /** One exec: its input fed from {@link #stdin()}, its output frames split into stdout and stderr. */
    private final class ExecSession implements Session {
        private final String exec;
        private final Pipe in = new Pipe();
        private final Pipe out = new Pipe();
        private final Pipe err = new Pipe();
        private final ResultCallback.Adapter<Frame> callback;

        ExecSession(String exec, boolean tty, Terminal terminal) {
            this.exec = exec;
            this.callback = engine.client().execStartCmd(exec).withTty(tty).withStdIn(in.input())
                    .exec(new ResultCallback.Adapter<>() {
                        @Override
                        public void onNext(Frame frame) {
                            (frame.getStreamType() == StreamType.STDERR ? err : out).write(frame.getPayload());
                        }

                        @Override
                        public void onComplete() {
                            out.close();
                            err.close();
                            super.onComplete();
                        }

                        @Override
                        public void onError(Throwable t) {
                            out.close();
                            err.close();
                            super.onError(t);
                        }
                    });
            if (terminal != null) {
                resize(terminal.columns(), terminal.rows());
            }
        }

        @Override
        public OutputStream stdin() {
            return in.output();
        }

        @Override
        public InputStream stdout() {
            return out.input();
        }

        @Override
        public InputStream stderr() {
            return err.input();
        }

        @Override
        public void resize(int columns, int rows) {
            try {
                engine.client().resizeExecCmd(exec).withSize(rows, columns).exec();
            } catch (RuntimeException e) {
                // not started yet, or over: the next resize or nothing
            }
        }

        @Override
        public int waitFor() throws InterruptedException {
            callback.awaitCompletion();
            Long code = engine.client().inspectExecCmd(exec).exec().getExitCodeLong();
            return code == null ? -1 : code.intValue();
        }

        @Override
        public void close() {
            in.close();
            try {
                callback.close();
            } catch (IOException e) {
                // closing anyway
            }
            out.close();
            err.close();
        }
    }
}
