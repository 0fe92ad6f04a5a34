package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceShell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reaching a port inside an instance's own network from outside it: a relay run inside the instance, and a look
 * at which ports listen there.
 */
public final class PortRelay {
    private PortRelay() {
    }

    /** A relay of Python's standard library, run inside the instance as its user: stdin and stdout to the port. */
    public static final String SCRIPT = String.join("\n",
            "import os, socket, sys, threading",
            "try:",
            "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)",
            "except OSError:",
            "    sys.exit(1)",
            "s.settimeout(None)",
            "os.write(1, b'+')",
            "def up():",
            "    while True:",
            "        d = os.read(0, 65536)",
            "        if not d:",
            "            break",
            "        s.sendall(d)",
            "    s.shutdown(socket.SHUT_WR)",
            "threading.Thread(target=up, daemon=True).start()",
            "while True:",
            "    d = s.recv(65536)",
            "    if not d:",
            "        break",
            "    while d:",
            "        d = d[os.write(1, d):]");

    /**
     * Whether a socket listens on {@code port} in the network namespace of process {@code pid}, owned by {@code uid}
     * (any owner when negative).
     */
    public static boolean listensIn(long pid, int port, int uid) {
        StringBuilder tables = new StringBuilder();
        for (String table : List.of("tcp", "tcp6")) {
            try {
                tables.append(Files.readString(Path.of("/proc", Long.toString(pid), "net", table))).append('\n');
            } catch (IOException e) {
                // no such table (no IPv6), or a process gone
            }
        }
        return listensIn(tables.toString(), port, uid);
    }

    /** The command that prints what {@link #listensIn(String, int, int)} reads, run inside an instance. */
    public static final List<String> TABLES_COMMAND = List.of("/bin/sh", "-c",
            "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null");

    /**
     * Whether the socket tables {@code tables} (the text of {@code /proc/net/tcp} and {@code tcp6}) have a socket
     * listening on {@code port}, owned by {@code uid} (any owner when negative).
     */
    public static boolean listensIn(String tables, int port, int uid) {
        for (String line : tables.split("\n")) {
            String[] f = line.trim().split("\\s+");
            try {
                if (f.length > 7 && f[3].equals("0A") && f[1].contains(":")
                        && Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16) == port
                        && (uid < 0 || f[7].equals(Integer.toString(uid)))) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // a heading, or a line of another shape
            }
        }
        return false;
    }

    /**
     * A connection to {@code port} inside an instance through a relay run there as its user, in a session of
     * {@code shell}: what listens on the instance's own loopback is reached as well as what listens on its address,
     * and nothing outside the instance is.
     */
    public static InstanceShell.Connection connect(InstanceShell shell, String instanceId, int port)
            throws IOException {
        InstanceShell.Session relay;
        try {
            relay = shell.open(instanceId, new InstanceShell.Request(List.of("python3", "-c", SCRIPT,
                    Integer.toString(port)), null, null));
        } catch (RuntimeFailure e) {
            throw new IOException(e.getMessage(), e);
        }
        if (relay.stdout().read() != '+') { // the relay's word that it is connected
            relay.close();
            throw new java.net.ConnectException("nothing accepts connections on port " + port + " in the instance");
        }
        return InstanceShell.Connection.of(relay.stdout(), relay.stdin(), relay);
    }
}
