package dev.atelier.runtime.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.runtime.host.PortRelay;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Sessions inside a running container, through the engine's exec API: as the instance's user (uid 1000), in its
 * work directory, with its limits (an exec joins the container's cgroup and namespaces). Connections to its ports
 * are relayed from inside the container, so port forwarding reaches that container's ports and nothing else.
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
            throw engine.failure("cannot look at the instance's container", e);
        }
    }

    /** A socket of the container's user listens on the port, seen through the container's main process. */
    @Override
    public boolean servesPort(String instanceId, int port) {
        try {
            Long pid = running(instanceId).getState().getPidLong();
            return pid != null && pid > 0 && PortRelay.listensIn(pid, port, 1000);
        } catch (RuntimeFailure e) {
            return false;
        }
    }

    /**
     * A relay run inside the container as its user, so that what listens on the container's own loopback is reached
     * as well as what listens on its address, and nothing outside the container is.
     */
    @Override
    public Connection connect(String instanceId, int port) throws IOException {
        return PortRelay.connect(this, instanceId, port);
    }

    /** One exec, attached on a connection of its own. */
    private final class ExecSession implements Session {
        private final String exec;
        private final ExecAttach attached;

        ExecSession(String exec, boolean tty, Terminal terminal) throws IOException {
            this.exec = exec;
            this.attached = ExecAttach.start(engine.host(), exec, tty);
            if (terminal != null) {
                resize(terminal.columns(), terminal.rows());
            }
        }

        @Override
        public OutputStream stdin() {
            return attached.stdin();
        }

        @Override
        public InputStream stdout() {
            return attached.stdout();
        }

        @Override
        public InputStream stderr() {
            return attached.stderr();
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
            attached.awaitOutputEnd();
            // the output ends a moment before the engine records the exit code
            for (int i = 0; i < 50; i++) {
                var state = engine.client().inspectExecCmd(exec).exec();
                if (!Boolean.TRUE.equals(state.isRunning()) && state.getExitCodeLong() != null) {
                    return state.getExitCodeLong().intValue();
                }
                Thread.sleep(20);
            }
            return -1;
        }

        /** Ends the session and what it started: the exec's process (seen from the host) and its descendants. */
        @Override
        public void close() {
            try {
                attached.close();
            } catch (IOException e) {
                // closing anyway
            }
            try {
                var state = engine.client().inspectExecCmd(exec).exec();
                if (Boolean.TRUE.equals(state.isRunning()) && state.getPidLong() != null) {
                    ProcessHandle.of(state.getPidLong()).ifPresent(p -> {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                    });
                }
            } catch (RuntimeException e) {
                // the container is gone, and the session with it
            }
        }
    }
}
