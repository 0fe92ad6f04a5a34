package dev.atelier.runtime.docker;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Bytes handed from one thread to another: written chunks are read in order, and reads end (-1) once it is closed
 * and drained. Unlike the JDK's piped streams it does not care which threads write and read, or whether they still
 * live (the engine client's callbacks run on threads of its own).
 */
final class Pipe {
    private static final byte[] END = new byte[0];
    private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private volatile boolean closed;
    private byte[] current;
    private int position;

    void write(byte[] bytes) {
        if (!closed && bytes.length > 0) {
            chunks.add(bytes.clone());
        }
    }

    void close() {
        if (!closed) {
            closed = true;
            chunks.add(END);
        }
    }

    InputStream input() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                synchronized (Pipe.this) {
                    if (len == 0) {
                        return 0;
                    }
                    while (current == null || position == current.length) {
                        if (current == END) {
                            return -1;
                        }
                        try {
                            current = chunks.take();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new java.io.InterruptedIOException();
                        }
                        position = 0;
                        if (current == END) {
                            chunks.add(END); // every later read ends too
                            return -1;
                        }
                    }
                    int n = Math.min(len, current.length - position);
                    System.arraycopy(current, position, b, off, n);
                    position += n;
                    return n;
                }
            }

            @Override
            public void close() {
                Pipe.this.close();
            }
        };
    }
}
