package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A network namespace of its own for each sandboxed instance: bubblewrap makes it (with its own loopback), and
 * slirp4netns gives it a user-mode link to the outside, with the host's loopback unreachable
 * ({@code --disable-host-loopback}) and one port forwarded in: the notebook server's, on the host's 127.0.0.1, for
 * the gateway. Code in an instance therefore reaches neither the host's loopback services (Atelier's API, a local
 * PostgreSQL) nor other instances' ports; with outbound access off it reaches nothing outside at all.
 *
 * <p>slirp4netns runs in a session of its own, so that, like the notebook server, it outlives a restart of the
 * server; it is found again by its API socket's path, {@code <data-dir>/net/<id>.sock}.
 */
final class InstanceNetwork {
    static final String SLIRP = "/usr/bin/slirp4netns";
    static final String IP = "/usr/sbin/ip";
    private static final Logger log = LoggerFactory.getLogger(InstanceNetwork.class);

    /** How instances reach the network. */
    enum Mode {
        /** a namespace of their own, with outbound access (the default) */
        OUTBOUND,
        /** a namespace of their own, with no outbound access: only the forwarded notebook port */
        NONE,
        /** the host's network, shared (as without a sandbox) */
        HOST;

        static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--instance-network must be outbound, none or host, not " + s);
            }
        }
    }

    private final Path dir;
    private final Mode mode;
    /** The slirp4netns of each instance, as started or found here. */
    private final Map<String, ProcessHandle> links = new ConcurrentHashMap<>();

    private InstanceNetwork(Path dir, Mode mode) {
        this.dir = dir;
        this.mode = mode;
    }

    /** The network for sandboxes under {@code dataDir}, or empty when they share the host's (and why, if not asked). */
    static InstanceNetwork of(Path dataDir, Mode mode) {
        Path dir = dataDir.resolve("net");
        try {
            Files.createDirectories(dir);
            // the resolver file is read by instance uids inside their sandboxes; the sockets are root's
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Path resolv = dir.resolve("resolv.conf");
            Files.writeString(resolv, mode == Mode.OUTBOUND ? "nameserver 10.0.2.3\n" : "");
            Files.setPosixFilePermissions(resolv, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare " + dir, e);
        }
        return new InstanceNetwork(dir, mode);
    }

    /** Why instances cannot have networks of their own on this host, or null. */
    static String problem(Mode mode) {
        if (mode == Mode.HOST) {
            return "instances share the host's network (--instance-network host)";
        }
        if (!Files.isExecutable(Path.of(SLIRP))) {
            return "slirp4netns is not installed (apt-get install slirp4netns): instances share the host's network";
        }
        if (mode == Mode.NONE && !Files.isExecutable(Path.of(IP))) {
            return "iproute2 is not installed (apt-get install iproute2), which --instance-network none needs";
        }
        return null;
    }

    Mode mode() {
        return mode;
    }

    /** What bubblewrap needs for it: a network namespace, and a resolver inside it. */
    List<String> sandboxArguments() {
        return List.of("--unshare-net", "--ro-bind", dir.resolve("resolv.conf").toString(), "/etc/resolv.conf");
    }

    /**
     * Links the namespace that {@code holder} (a process inside the sandbox) is in, and forwards the host's
     * 127.0.0.1:{@code port} to the same port inside it.
     */
    void attach(String instanceId, long holder, int port) {
        detach(instanceId);
        Path socket = socket(instanceId);
        List<String> command = new ArrayList<>(List.of("/usr/bin/setsid", SLIRP, "--configure", "--mtu=65520",
                "--disable-host-loopback"));
        if (mode == Mode.NONE) {
            command.add("--disable-dns");
        }
        command.addAll(List.of("--netns-type=path", "--api-socket", socket.toString(), "/proc/" + holder + "/ns/net",
                "tap0"));
        Process slirp;
        try {
            slirp = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(instanceId + ".log").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new RuntimeFailure("cannot start the instance's network (slirp4netns): " + e.getMessage(), e);
        }
        links.put(instanceId, slirp.toHandle());
        // generous: ten sandboxes starting at once on two cores take a while to get there
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!Files.exists(socket)) {
            if (!slirp.isAlive() || System.nanoTime() > deadline) {
                throw new RuntimeFailure("the instance's network (slirp4netns) did not come up: "
                        + tail(dir.resolve(instanceId + ".log")));
            }
            sleep(5);
        }
        if (mode == Mode.NONE) { // the link stays for the forwarded port; nothing leaves through it
            run("/usr/bin/nsenter", "--net=/proc/" + holder + "/ns/net", IP, "route", "del", "default");
        }
        String answer = api(socket, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                + "\"host_addr\":\"127.0.0.1\",\"host_port\":" + port + ",\"guest_port\":" + port + "}}");
        if (!answer.contains("\"return\"")) {
            throw new RuntimeFailure("cannot forward the notebook port into the instance's network: " + answer);
        }
    }

    /** Ends the instance's link, if it has one. */
    void detach(String instanceId) {
        ProcessHandle known = links.remove(instanceId);
        String socket = socket(instanceId).toString();
        List<ProcessHandle> found = new ArrayList<>();
        if (known != null && known.isAlive()) {
            found.add(known);
        } else {
            ProcessHandle.allProcesses().filter(p -> Proc.commandLine(p.pid()).contains(socket)).forEach(found::add);
        }
        for (ProcessHandle p : found) {
            p.destroy();
            try {
                p.onExit().get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(socket(instanceId));
        } catch (IOException e) {
            log.debug("cannot remove {}: {}", socket, e.toString());
        }
    }

    /** Removes what is left of a detached link: the instance is being deleted. */
    void release(String instanceId) {
        try {
            Files.deleteIfExists(dir.resolve(instanceId + ".log"));
        } catch (IOException e) {
            log.warn("cannot remove the network log of {}: {}", instanceId, e.toString());
        }
    }

    /** Whether the instance's link runs (as started here, or found by its socket after a restart). */
    boolean attached(String instanceId) {
        ProcessHandle known = links.get(instanceId);
        if (known != null && known.isAlive()) {
            return true;
        }
        String socket = socket(instanceId).toString();
        Optional<ProcessHandle> found = ProcessHandle.allProcesses()
                .filter(p -> Proc.commandLine(p.pid()).contains(socket)).findFirst();
        found.ifPresent(p -> links.put(instanceId, p));
        return found.isPresent();
    }

    private Path socket(String instanceId) {
        return dir.resolve(instanceId + ".sock");
    }

    /** One request to slirp4netns's API socket, and its answer. */
    private static String api(Path socket, String request) {
        // the socket's file appears when it is bound, a moment before it accepts
        for (int attempt = 0; ; attempt++) {
            try {
                return apiOnce(socket, request);
            } catch (RuntimeFailure e) {
                if (attempt == 2000 || !(e.getCause() instanceof java.net.ConnectException)) {
                    throw e;
                }
                sleep(5);
            }
        }
    }

    private static String apiOnce(Path socket, String request) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0 && buf.hasRemaining()) {
                // read to the end of the answer
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot reach the instance's network (slirp4netns): " + e.getMessage(), e);
        }
    }

    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new RuntimeFailure("cannot configure the instance's network (" + String.join(" ", command)
                        + "): " + out.trim());
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot configure the instance's network: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while configuring the instance's network");
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while the instance's network came up");
        }
    }

}
