package dev.atelier.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on 127.0.0.1 that a test can cut (every connection dropped, new ones refused) and restore:
 * a database or a Docker engine that goes away and comes back, without touching the real one.
 */
public final class CuttableProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final java.nio.file.Path targetSocket;
    private final List<java.io.Closeable> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;

    /** To a TCP port on 127.0.0.1. */
    public CuttableProxy(int targetPort) throws IOException {
        this(targetPort, null);
    }

    /** To a unix socket, such as the Docker engine's. */
    public CuttableProxy(java.nio.file.Path targetSocket) throws IOException {
        this(-1, targetSocket);
    }

    private CuttableProxy(int targetPort, java.nio.file.Path targetSocket) throws IOException {
        this.targetPort = targetPort;
        this.targetSocket = targetSocket;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    public void cut() {
        cut = true;
        open.forEach(CuttableProxy::closeQuietly);
        open.clear();
    }

    public void restore() {
        cut = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    client.close();
                    continue;
                }
                open.add(client);
                if (targetSocket != null) {
                    var upstream = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(targetSocket));
                    open.add(upstream);
                    InputStream upIn = java.nio.channels.Channels.newInputStream(upstream);
                    OutputStream upOut = java.nio.channels.Channels.newOutputStream(upstream);
                    InputStream clientIn = client.getInputStream();
                    OutputStream clientOut = client.getOutputStream();
                    Thread.ofVirtual().start(() -> pump(clientIn, upOut, client, upstream));
                    Thread.ofVirtual().start(() -> pump(upIn, clientOut, client, upstream));
                } else {
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    open.add(upstream);
                    Thread.ofVirtual().start(() -> pump(client, upstream));
                    Thread.ofVirtual().start(() -> pump(upstream, client));
                }
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection drop
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void pump(InputStream in, OutputStream out, java.io.Closeable one, java.io.Closeable other) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(one);
            closeQuietly(other);
        }
    }

    private static void closeQuietly(java.io.Closeable s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
