package dev.atelier.api.ssh;

import dev.atelier.api.SummedLog;
import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.core.service.Activity;
import dev.atelier.core.service.SshAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
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
    /** Sign-ins and forwardings refused: clients choose how many, and what they name. */
    private static final SummedLog REFUSALS = new SummedLog(log, "SSH refusals", 60_000);
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

    public SshGateway(String host, int port, Path hostKeyFile, SshAccess access, InstanceShell runtime,
                      Activity activity) {
        this.access = access;
        this.server = SshServer.setUpDefaultServer();
        server.setHost(host);
        server.setPort(port);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        server.setKeyPairProvider(keys);
        // sessions that never sign in are bounded per address and in all, and closed after 30 s
        server.addSessionListener(new SessionCaps(dev.atelier.api.Connections.ssh(),
                dev.atelier.api.Connections.SSH_UNAUTHENTICATED_PER_ADDRESS));
        org.apache.sshd.core.CoreModuleProperties.AUTH_TIMEOUT.set(server, java.time.Duration.ofSeconds(30));
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
                REFUSALS.refused("ssh: refused " + SummedLog.printable(user, 80) + " from "
                        + session.getClientAddress() + ": " + SummedLog.printable(String.join("; ", refusal), 300));
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
                    REFUSALS.refused("ssh: refused forwarding to " + SummedLog.printable(String.valueOf(address), 120)
                            + " for " + (inst == null ? "?" : inst.id()));
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

    /** The SSH sessions open now. */
    public int openSessions() {
        return server.getActiveSessions().size();
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
     * A shell, a command or a subsystem, run inside the instance by the runtime's shell, its standard streams
     * relayed; with a PTY requested, on a terminal of the client's size, resized when the client's is.
     */
    static final class InstanceCommand implements Command {
        private final InstanceShell runtime;
        private final Instance instance;
        private final String commandLine;
        private final List<String> fixed;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private volatile InstanceShell.Session session;

        private final Activity activity;

        InstanceCommand(InstanceShell runtime, Instance instance, String commandLine, List<String> fixed,
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
            InstanceShell.Terminal terminal = fixed != null || term == null ? null
                    : new InstanceShell.Terminal(term, number(e.get(Environment.ENV_COLUMNS)),
                    number(e.get(Environment.ENV_LINES)));
            InstanceShell.Session s;
            try {
                s = runtime.open(instance.id(), new InstanceShell.Request(fixed, commandLine, terminal));
            } catch (RuntimeException ex) {
                err.write((ex.getMessage() + "\n").getBytes());
                err.flush();
                exit.onExit(255, ex.getMessage());
                return;
            }
            session = s;
            if (terminal != null) {
                env.addSignalListener((ch, signal) -> s.resize(number(env.getEnv().get(Environment.ENV_COLUMNS)),
                        number(env.getEnv().get(Environment.ENV_LINES))), Signal.WINCH);
            }
            activity.touch(instance.id());
            Thread.ofVirtual().start(() -> pump(in, s.stdin(), true));
            Thread errPump = Thread.ofVirtual().start(() -> pump(s.stderr(), err, false));
            Thread outPump = Thread.ofVirtual().start(() -> pump(s.stdout(), out, false));
            Thread.ofVirtual().start(() -> {
                try {
                    int code = s.waitFor();
                    outPump.join();
                    errPump.join();
                    exit.onExit(code);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
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
            InstanceShell.Session s = session;
            if (s != null) {
                s.close();
            }
        }

        /** A size the client sent; 0 (the runtime's default) when it is not a number. */
        private static int number(String v) {
            try {
                return dev.atelier.core.AsciiNumbers.parseInt(v);
            } catch (NumberFormatException ex) {
                return 0;
            }
        }
    }
}
