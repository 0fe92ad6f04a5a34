package dev.atelier.core.service;

import java.time.Clock;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When an instance was last used, for idle leases: code or keys sent through the notebook gateway, a save, SSH
 * traffic, and a kernel seen computing by a health poll. Kept in memory by each replica: after a restart, or on a
 * replica other than the one serving the session, use counts from the next that this replica sees (the lease's own
 * start or renewal until then).
 */
public final class Activity {
    private final Clock clock;
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();

    public Activity(Clock clock) {
        this.clock = clock;
    }

    public void touch(String instanceId) {
        last.put(instanceId, clock.millis());
    }

    public OptionalLong last(String instanceId) {
        Long at = last.get(instanceId);
        return at == null ? OptionalLong.empty() : OptionalLong.of(at);
    }
}
