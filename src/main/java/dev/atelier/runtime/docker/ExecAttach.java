package dev.atelier.runtime.docker;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The streams of a started exec, on a connection of its own to the engine: {@code POST /exec/<id>/start} upgraded to
 * a raw stream. Unlike the client library's attach, the end of the input is passed on (the connection's write side
 * is shut), so that a program that reads to the end of its input — an SFTP server whose client is done, {@code cat}
 * — sees it and exits.
 */
public final class ExecAttach implements Closeable {
    private final SocketChannel channel;
    private final Pipe out = new Pipe();
    private final Pipe err = new Pipe();
    private final Thread reader;
    private final OutputStream stdin;

    private ExecAttach(SocketChannel channel, InputStream raw, boolean tty) {
        this.channel = channel;
        this.stdin = input(tty);
        this.reader = Thread.ofVirtual().name("exec-output").start(() -> demultiplex(raw, tty));
    }

    /** Starts exec {@code execId} on the engine at {@code dockerHost} and attaches to it. */
    public static ExecAttach start(String dockerHost, String execId, boolean tty) throws IOException {
        URI uri = URI.create(dockerHost);
        SocketChannel channel = dockerHost.startsWith("unix://")
                ? SocketChannel.open(UnixDomainSocketAddress.of(uri.getPath()))
                : SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
        try {
            String body = "{\"Detach\":false,\"Tty\":" + tty + "}";
            String request = "POST /exec/" + execId + "/start HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body;
            OutputStream toEngine = Channels.newOutputStream(channel);
            toEngine.write(request.getBytes(StandardCharsets.US_ASCII));
            toEngine.flush();
            InputStream fromEngine = Channels.newInputStream(channel);
            String head = responseHead(fromEngine);
            String status = head.substring(0, Math.max(0, head.indexOf("\r\n")));
            if (!status.matches("HTTP/1\\.[01] 101 .*")) {
                throw new IOException("the engine did not attach to the session: " + status);
            }
            return new ExecAttach(channel, fromEngine, tty);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The response's status line and headers, read byte by byte so that nothing of the stream after them is lost. */
    private static String responseHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the engine closed the connection");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
            if (head.size() > 16_384) {
                throw new IOException("the engine's answer has no end of headers");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * With a terminal the stream is the terminal's output; without, frames of an 8-byte header (stream, 0, 0, 0,
     * length as 4 bytes big-endian) and the payload, stream 1 being stdout and 2 stderr.
     */
    private void demultiplex(InputStream raw, boolean tty) {
        try {
            if (tty) {
                byte[] buf = new byte[16 * 1024];
                for (int n; (n = raw.read(buf)) >= 0; ) {
                    out.write(java.util.Arrays.copyOf(buf, n));
                }
                return;
            }
            DataInputStream in = new DataInputStream(raw);
            byte[] header = new byte[8];
            while (true) {
                try {
                    in.readFully(header);
                } catch (EOFException e) {
                    return;
                }
                int length = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                        | (header[7] & 0xff);
                byte[] payload = new byte[length];
                in.readFully(payload);
                (header[0] == 2 ? err : out).write(payload);
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            out.close();
            err.close();
        }
    }

    public InputStream stdout() {
        return out.input();
    }

    public InputStream stderr() {
        return err.input();
    }

    /** Input for the program; closing it shuts the connection's write side, which the program sees as its end. */
    public OutputStream stdin() {
        return stdin;
    }


    /**
     * With a terminal, the end of the input is not passed on: the engine would hang up the terminal at once, before
     * the shell has read what came before it (a terminal's program ends by itself, on {@code exit} or Ctrl-D).
     */
    private OutputStream input(boolean tty) {
        OutputStream raw = Channels.newOutputStream(channel);
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                raw.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                raw.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (!tty && channel.isOpen()) {
                    channel.shutdownOutput();
                }
            }
        };
    }

    /** Waits until the program's output has ended. */
    public void awaitOutputEnd() throws InterruptedException {
        reader.join();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
