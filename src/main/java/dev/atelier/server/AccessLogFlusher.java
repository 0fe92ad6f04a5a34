package dev.atelier.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The access log is written in 8 KB blocks (a write per line cost a quarter of a cheap request's CPU); on a quiet
 * server a block could wait hours to fill, so what it holds is written out every second as well.
 */
final class AccessLogFlusher implements AutoCloseable {
    private final ScheduledExecutorService timer;

    private AccessLogFlusher(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static AccessLogFlusher start() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "access-log-flush");
            t.setDaemon(true);
            return t;
        });
        if (LoggerFactory.getLogger("atelier.access") instanceof Logger logger) {
            timer.scheduleWithFixedDelay(() -> logger.iteratorForAppenders().forEachRemaining(
                    AccessLogFlusher::flush), 1, 1, TimeUnit.SECONDS);
        }
        return new AccessLogFlusher(timer);
    }

    private static void flush(Appender<?> appender) {
        if (appender instanceof OutputStreamAppender<?> a && a.isStarted()) {
            OutputStream out = a.getOutputStream();
            try {
                if (out != null) {
                    out.flush();
                }
            } catch (IOException | RuntimeException e) {
                // the next block or the next second will try again
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
