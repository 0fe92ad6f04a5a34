package dev.atelier.api;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Refusals of what clients sent, logged so that a flood of them cannot push real history out of the log: each at
 * DEBUG, and at INFO the first, then at most one line a minute counting the rest, with the latest. What a client
 * sent goes into a line only through {@link #printable}: no line breaks or other control characters (which would
 * forge lines of their own) and no more than a short prefix.
 */
public final class SummedLog {
    private final Logger log;
    private final String what;
    private final long intervalMs;
    private final AtomicLong windowStart = new AtomicLong();
    private final AtomicLong count = new AtomicLong();

    /** {@code what}: the refusals counted, plural, e.g. "malformed requests". */
    public SummedLog(Logger log, String what, long intervalMs) {
        this.log = log;
        this.what = what;
        this.intervalMs = intervalMs;
    }

    /** One refusal, said in a line of its own making (values from clients through {@link #printable}). */
    public void refused(String line) {
        log.debug("{}", line);
        long n = count.incrementAndGet();
        long now = System.currentTimeMillis();
        long start = windowStart.get();
        if (now - start >= intervalMs && windowStart.compareAndSet(start, now)) {
            count.addAndGet(-n);
            if (start == 0) {
                log.info("{} (from now on such refusals are summed up once a minute)", line);
            } else {
                log.info("{} {} in the last {} s; the latest: {}", n, what, (now - start) / 1000, line);
            }
        }
    }

    /**
     * A client's text as it may go into a log line: control characters (line breaks, escapes) and other
     * unprintable ones as {@code \\uXXXX}, cut at {@code max} characters with the length said.
     */
    public static String printable(String text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16);
        for (int i = 0; i < text.length() && i < max; i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > max) {
            out.append("…(").append(text.length()).append(" characters)");
        }
        return out.toString();
    }
}
