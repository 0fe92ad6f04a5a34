package dev.atelier.api.ssh;

import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.service.Activity;
import dev.atelier.core.service.SshAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SSH to instances on one port: {@code ssh -p PORT <instance-id>@host} with a key of the instance's SSH endpoint,
 * from one of its allowed addresses, while it runs. Shells (with a PTY when asked), commands, SFTP (so scp and
 * sftp) and local port forwarding to the instance's own servers — each inside the instance's sandbox, as its
 * user, in its work directory. No passwords, no remote forwarding, no agent or X11 forwarding.
 */
public final class SshGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SshGateway.class);
    private static final AttributeRepository.AttributeKey<Instance> INSTANCE = new AttributeRepository.AttributeKey<>();
    private static final String SFTP_SERVER = "/usr/lib/openssh/sftp-server";

    private final SshServer server;
    private final SshAccess access;
    /** How often open sessions are checked against who may still log in. */
    public static final long RECHECK_SECONDS = 5;
    private static final AttributeRepository.AttributeKey<Login> LOGIN = new AttributeRepository.AttributeKey<>();
    private final java.util.concurrent.ScheduledExecutorService recheck =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("ssh-recheck").factory());

    /** What a session logged in with: asked at login, and again while the session is open. */
    private record Login(String user, String keyType, byte[] key, java.net.InetAddress address) {
        Optional<Instance> check(SshAccess access, List<String> refusal) {
            return access.login(dev.atelier.api.InstanceIds.canonical(user), keyType, key, address, refusal);
        }
    }

    public SshGateway(String host, int port, Path hostKeyFile, SshAccess access, InstanceRuntime runtime,
                      Activity activity) {
        this.access = access;
        this.server = SshServer.setUpDefaultServer();
        server.setHost(host);
        server.setPort(port);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        server.setKeyPairProvider(keys);
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setPublickeyAuthenticator((user, key, session) -> {
            List<String> refusal = new ArrayList<>();
            String[] entry = PublicKeyEntry.toString(key).split(" ");
            Login login = new Login(user, entry[0], java.util.Base64.getDecoder().decode(entry[1]),
                    ((InetSocketAddress) session.getClientAddress()).getAddress());
            Optional<Instance> inst = login.check(access, refusal);
            if (inst.isEmpty()) {
                log.info("ssh: refused {} from {}: {}", user, session.getClientAddress(), String.join("; ", refusal));
                return false;
            }
            session.setAttribute(INSTANCE, inst.get());
            session.setAttribute(LOGIN, login);
            return true;
        });
        server.setShellFactory(channel -> new InstanceCommand(runtime, instanceOf(channel), null, null, activity));
        // sessions, and forwarding to the instance's own ports (into its own network, where it has one)
        server.setChannelFactories(List.of(org.apache.sshd.server.channel.ChannelSessionFactory.INSTANCE,
                ForwardChannel.factory(runtime, session -> session.getAttribute(INSTANCE))));
        server.setCommandFactory((channel, command) -> new InstanceCommand(runtime, instanceOf(channel), command,
                null, activity));
        server.setSubsystemFactories(List.of(new SubsystemFactory() {
            @Override
            public String getName() {
                return "sftp";
            }

            @Override
            public Command createSubsystem(ChannelSession channel) {
                return new InstanceCommand(runtime, instanceOf(channel), null, List.of(SFTP_SERVER), activity);
            }
        }));
        server.setForwardingFilter(new ForwardingFilter() {
            @Override
            public boolean canForwardAgent(Session session, String requestType) {
                return false;
            }

            @Override
            public boolean canForwardX11(Session session, String requestType) {
                return false;
            }

            @Override
            public boolean canListen(SshdSocketAddress address, Session session) {
                return false;
            }

            @Override
            public boolean canConnect(TcpForwardingFilter.Type type, SshdSocketAddress address, Session session) {
                Instance inst = session.getAttribute(INSTANCE);
                String host = address.getHostName();
                boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
                boolean ok = type == TcpForwardingFilter.Type.Direct && inst != null && loopback
                        && runtime.servesPort(inst.id(), address.getPort());
                if (!ok) {
                    log.info("ssh: refused forwarding to {} for {}", address, inst == null ? "?" : inst.id());
                }
                return ok;
            }
        });
    }

    private static Instance instanceOf(ChannelSession channel) {
        return channel.getSession().getAttribute(INSTANCE);
    }

    /**
     * Closes every open session that would not be let in now: its user disabled or no longer allowed, its key
     * pair deleted, the instance stopped or deleted, its endpoint changed. When the store cannot be read,
     * sessions are left as they are until the next check.
     */
    void recheckSessions() {
        for (var session : server.getActiveSessions()) {
            Login login = session.getAttribute(LOGIN);
            if (login == null || session.isClosing()) {
                continue;
            }
            List<String> refusal = new ArrayList<>();
            try {
                if (login.check(access, refusal).isEmpty()) {
                    log.info("ssh: closing the session of {} from {}: {}", login.user(), login.address(),
                            String.join("; ", refusal));
                    session.close(true);
                }
            } catch (RuntimeException e) {
                log.warn("ssh: cannot check the session of {} again: {}", login.user(), e.toString());
            }
        }
    }

    public SshGateway start() {
        try {
            server.start();
        } catch (IOException e) {
            // one line that says what to do, for the CLI to print as it is
            throw new IllegalStateException("cannot start the SSH gateway on port " + server.getPort() + ": "
                    + e.getMessage() + " (choose another with --ssh-port, or -1 for no SSH)");
        }
        recheck.scheduleWithFixedDelay(this::recheckSessions, RECHECK_SECONDS, RECHECK_SECONDS,
                java.util.concurrent.TimeUnit.SECONDS);
        return this;
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        recheck.shutdownNow();
        try {
            server.stop(true);
        } catch (IOException e) {
            log.warn("ssh: stopping: {}", e.toString());
        }
    }

    /**
     * A shell, a command or a subsystem, run inside the instance by the runtime, its standard streams relayed.
     * With a PTY requested, {@code script} gives it a real terminal inside the sandbox.
     */
    static final class InstanceCommand implements Command {
        private final InstanceRuntime runtime;
        private final Instance instance;
        private final String commandLine;
        private final List<String> fixed;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private volatile Process process;

        private final Activity activity;

        InstanceCommand(InstanceRuntime runtime, Instance instance, String commandLine, List<String> fixed,
                        Activity activity) {
            this.activity = activity;
            this.runtime = runtime;
            this.instance = instance;
            this.commandLine = commandLine;
            this.fixed = fixed;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            Map<String, String> e = env.getEnv();
            String term = e.get(Environment.ENV_TERM);
            List<String> command = new ArrayList<>();
            if (fixed != null) {
                command.addAll(fixed);
            } else {
                String shell = commandLine == null ? "exec /bin/bash -l" : "exec /bin/bash -c " + quote(commandLine);
                if (term != null) {
                    // a real terminal inside the sandbox, of the client's size; resized when the client's is
                    String size = "stty rows " + number(e.get(Environment.ENV_LINES), 24) + " cols "
                            + number(e.get(Environment.ENV_COLUMNS), 80) + " 2>/dev/null; ";
                    command.addAll(List.of("/usr/bin/env", "TERM=" + term.replaceAll("[^A-Za-z0-9._-]", ""),
                            "/usr/bin/script", "-qfec", size + shell, "/dev/null"));
                    env.addSignalListener((ch, signal) -> resize(env), Signal.WINCH);
                } else {
                    command.addAll(List.of("/bin/bash", "-c", shell));
                }
            }
            List<String> host;
            try {
                host = runtime.enter(instance.id(), command);
            } catch (RuntimeException ex) {
                err.write((ex.getMessage() + "\n").getBytes());
                err.flush();
                exit.onExit(255, ex.getMessage());
                return;
            }
            ProcessBuilder pb = new ProcessBuilder(host);
            pb.environment().clear(); // nothing of the server's environment (a database URL, say) reaches it
            pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            process = pb.start();
            activity.touch(instance.id());
            Thread.ofVirtual().start(() -> pump(in, process.getOutputStream(), true));
            Thread errPump = Thread.ofVirtual().start(() -> pump(process.getErrorStream(), err, false));
            Thread outPump = Thread.ofVirtual().start(() -> pump(process.getInputStream(), out, false));
            Thread.ofVirtual().start(() -> {
                try {
                    int code = process.waitFor();
                    outPump.join();
                    errPump.join();
                    exit.onExit(code);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        /**
         * The client's terminal changed size: give the session's terminal the new one, which sends SIGWINCH to
         * what runs in it. Resizes come in bursts while a window is dragged: one runs at a time, and the last size
         * asked for is the one that stays.
         */
        private void resize(Environment env) {
            resizeAsked = true;
            if (resizing.compareAndSet(false, true)) {
                Thread.ofVirtual().start(() -> {
                    do {
                        try {
                            while (resizeAsked) {
                                resizeAsked = false;
                                applySize(number(env.getEnv().get(Environment.ENV_LINES), 24),
                                        number(env.getEnv().get(Environment.ENV_COLUMNS), 80));
                                Thread.sleep(100); // at most ten a second, however fast a client asks
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            resizing.set(false);
                        }
                    } while (resizeAsked && resizing.compareAndSet(false, true));
                });
            }
        }

        private final java.util.concurrent.atomic.AtomicBoolean resizing = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean resizeAsked;

        /**
         * Sets the size of the terminal that {@code script} made for the session: {@code stty} on it, run inside the
         * instance as its user (the terminal is the instance's, and nothing of the instance is opened as root).
         */
        private void applySize(String rows, String cols) {
            Process p = process;
            if (p == null || !p.isAlive()) {
                return;
            }
            // without a sandbox the session's process is script itself; in one, script runs further down
            Optional<String> tty = Optional.empty();
            for (int attempt = 0; attempt < 20 && tty.isEmpty() && p.isAlive(); attempt++) {
                if (attempt > 0) {
                    try {
                        Thread.sleep(100); // a session just opened: its terminal is being made
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                tty = java.util.stream.Stream.concat(java.util.stream.Stream.of(p.toHandle()), p.descendants())
                        .filter(h -> "script".equals(comm(h.pid()))).findFirst()
                        .flatMap(script -> script.children().findFirst())
                        .flatMap(shell -> terminalOf(shell.pid()));
            }
            if (tty.isEmpty()) {
                return; // already gone
            }
            try {
                ProcessBuilder pb = new ProcessBuilder(runtime.enter(instance.id(),
                        List.of("/usr/bin/stty", "-F", tty.get(), "rows", rows, "cols", cols)))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().clear();
                pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
                Process stty = pb.start();
                if (!stty.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    stty.destroyForcibly();
                }
            } catch (IOException | RuntimeException e) {
                log.debug("ssh: cannot resize the terminal of a session of {}: {}", instance.id(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The terminal on a process's standard input, as the process names it: {@code /dev/pts/N}. */
        private static Optional<String> terminalOf(long pid) {
            try {
                String target = java.nio.file.Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "0"))
                        .toString();
                return target.matches("/dev/pts/[0-9]{1,6}") ? Optional.of(target) : Optional.empty();
            } catch (IOException | UnsupportedOperationException e) {
                return Optional.empty();
            }
        }

        private static String comm(long pid) {
            try {
                return java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "comm")).get(0).trim();
            } catch (IOException | RuntimeException e) {
                return "";
            }
        }

        private void pump(InputStream from, OutputStream to, boolean closeWhenDone) {
            byte[] buf = new byte[32 * 1024];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    activity.touch(instance.id());
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the other side went away
            } finally {
                if (closeWhenDone) {
                    try {
                        to.close();
                    } catch (IOException e) {
                        // already closed
                    }
                }
            }
        }

        @Override
        public void destroy(ChannelSession channel) {
            Process p = process;
            if (p != null && p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
        }

        private static String number(String v, int otherwise) {
            try {
                int n = Integer.parseInt(v);
                return Integer.toString(n > 0 && n < 10_000 ? n : otherwise);
            } catch (NumberFormatException ex) {
                return Integer.toString(otherwise);
            }
        }

        private static String quote(String s) {
            return "'" + s.replace("'", "'\\''") + "'";
        }
    }
}
