package dev.atelier.core.service;

import dev.atelier.core.port.EventStore;
import dev.atelier.core.port.EventStore.EventPage;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances' event lists: read by those who may see the instance, kept for {@code retention}, and removed with their
 * instance whatever their age (the audit log keeps who asked for what, for its own time).
 */
public final class EventLog {
    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    /** How often events older than the retention are looked for. */
    static final Duration EXPIRY_INTERVAL = Duration.ofHours(1);

    private final EventStore store;
    private final InstanceService instances;
    private final Clock clock;
    private final Duration retention;
    private volatile Thread expiry;

    public EventLog(EventStore store, InstanceService instances, Clock clock, Duration retention) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("the event retention must be positive: " + retention);
        }
        this.store = store;
        this.instances = instances;
        this.clock = clock;
        this.retention = retention;
    }

    /** A page of the instance's events, newest first; the instance must be one of the project's. */
    public EventPage page(String projectId, String instanceId, int offset, int limit) {
        String id = instances.show(projectId, instanceId).id();
        return store.page(id, offset, limit);
    }

    /** Removes the events older than the retention; returns how many went. */
    public long expire() {
        return store.deleteBefore(clock.millis() - retention.toMillis());
    }

    /** Expires events now and every {@link #EXPIRY_INTERVAL} until {@link #stop()}. */
    public void start() {
        expiry = Thread.ofVirtual().name("event-expiry").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    long gone = expire();
                    if (gone > 0) {
                        log.info("removed {} instance events older than {} days", gone, retention.toDays());
                    }
                } catch (RuntimeException e) {
                    log.warn("cannot remove old instance events (the database may be unavailable): {}",
                            e.getMessage());
                }
                try {
                    Thread.sleep(EXPIRY_INTERVAL);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    public void stop() {
        Thread t = expiry;
        if (t != null) {
            t.interrupt();
        }
    }
}
