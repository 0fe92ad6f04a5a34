package dev.atelier.core.service;

import java.time.Clock;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When users last reached an instance through Atelier's gateways (notebook requests, SSH traffic), for idle
 * leases: a user busy in an SSH shell is not idle even when the notebook server sees nothing. Kept in memory by
 * each replica: after a restart, or on a replica other than the one serving the session, only the notebook
 * server's own record counts until the next request.
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
