package dev.atelier.core.port;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A runtime capability: sessions inside a running instance (an SSH shell, a command, SFTP) and connections to its
 * own ports (SSH port forwarding), as byte streams, so that the SSH gateway works the same whether the instance is
 * a sandboxed process, a container or a pod. Everything runs as the instance's user, in its working directory,
 * with its limits.
 */
public interface InstanceShell {

    /**
     * Starts a session in the instance.
     * @throws InstanceRuntime.RuntimeFailure when the instance has no running server to join
     */
    Session open(String instanceId, Request request) throws IOException;

    /** Whether {@code port} is a server of this instance's own (port forwarding may reach only those). */
    boolean servesPort(String instanceId, int port);

    /**
     * A connection to {@code port} inside the instance.
     * @throws IOException when nothing there accepts it
     */
    Connection connect(String instanceId, int port) throws IOException;

    /**
     * What to run: {@code argv} exactly (a subsystem such as SFTP), else {@code commandLine} through the user's shell,
     * else a login shell. With a {@code terminal}, it runs on a terminal of that kind and size.
     */
    record Request(List<String> argv, String commandLine, Terminal terminal) {
        public static Request loginShell(Terminal terminal) {
            return new Request(null, null, terminal);
        }
    }

    /** A terminal: its {@code TERM} and its size in characters. */
    record Terminal(String type, int columns, int rows) {
        public Terminal {
            type = type == null ? "xterm" : type.replaceAll("[^A-Za-z0-9._-]", "");
            columns = columns > 0 && columns < 10_000 ? columns : 80;
            rows = rows > 0 && rows < 10_000 ? rows : 24;
        }
    }

    /** A running session: its standard streams, a terminal that can be resized, and its exit. */
    interface Session extends Closeable {
        OutputStream stdin();

        InputStream stdout();

        InputStream stderr();

        /** The client's terminal changed size (no-op without a terminal). */
        void resize(int columns, int rows);

        /** Waits for the end; the exit status. */
        int waitFor() throws InterruptedException;

        /** Ends the session and everything it started. */
        @Override
        void close();
    }

    /** A connection to a port of the instance. */
    interface Connection extends Closeable {
        InputStream in() throws IOException;

        OutputStream out() throws IOException;

        /** A connection of two streams that {@code ending} ends: a socket's, or a relay's that runs inside. */
        static Connection of(InputStream in, OutputStream out, Closeable ending) {
            return new Connection() {
                @Override
                public InputStream in() {
                    return in;
                }

                @Override
                public OutputStream out() {
                    return out;
                }

                @Override
                public void close() throws IOException {
                    ending.close();
                }
            };
        }
    }
}
