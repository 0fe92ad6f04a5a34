package dev.atelier.api.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What passes through the notebook gateway, for metrics: bytes each way (HTTP bodies and WebSocket messages) and
 * the WebSockets open now.
 */
public final class GatewayTraffic {
    private final LongAdder toInstances = new LongAdder();
    private final LongAdder fromInstances = new LongAdder();
    private final AtomicInteger openWebSockets = new AtomicInteger();

    public long bytesToInstances() {
        return toInstances.sum();
    }

    public long bytesFromInstances() {
        return fromInstances.sum();
    }

    public int openWebSockets() {
        return openWebSockets.get();
    }

    void opened() {
        openWebSockets.incrementAndGet();
    }

    void closed() {
        openWebSockets.decrementAndGet();
    }

    void sentToInstance(long bytes) {
        toInstances.add(bytes);
    }

    void sentToClient(long bytes) {
        fromInstances.add(bytes);
    }

    /** The stream, counting what is read from it as going to an instance (a request's body on its way). */
    InputStream countingToInstance(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    toInstances.increment();
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    toInstances.add(n);
                }
                return n;
            }
        };
    }

    /** The bytes of {@code s} in UTF-8, without encoding it. */
    static long utf8Length(CharSequence s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
