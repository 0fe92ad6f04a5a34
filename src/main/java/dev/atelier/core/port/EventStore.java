package dev.atelier.core.port;

import dev.atelier.core.model.InstanceEvent;
import java.util.List;

/**
 * Reading and expiring instances' events. They are written with the change they describe, through
 * {@link InstanceStore}, and removed with their instance.
 */
public interface EventStore {

    /** A page of one instance's events, newest first, and how many it has in all. */
    EventPage page(String instanceId, int offset, int limit);

    /** Removes every event older than {@code at} (epoch ms); returns how many went. */
    long deleteBefore(long at);

    record EventPage(List<InstanceEvent> items, long total) {
    }
}
