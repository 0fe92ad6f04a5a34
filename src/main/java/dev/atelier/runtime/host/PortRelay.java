package dev.atelier.runtime.host;

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
        for (String table : List.of("tcp", "tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 7 && f[3].equals("0A") && f[1].contains(":")
                            && Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16) == port
                            && (uid < 0 || f[7].equals(Integer.toString(uid)))) {
                        return true;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // no such table (no IPv6), a process gone, or a line of another shape
            }
        }
        return false;
    }

}
