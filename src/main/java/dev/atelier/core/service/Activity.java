package dev.atelier.core.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When an instance was last used, for idle leases: code or keys sent through the notebook gateway, a save, SSH
 * traffic, and a kernel seen computing by a health poll. Kept in memory by each replica: after a restart, or on a
 * replica other than the one serving the session, use counts from the next that this replica sees (the lease's own
 * start or renewal until then).
 *
 * <p>Code sent to a kernel through the gateway is also followed, while its client stays attached, until the
 * kernel itself says it is done with it (its {@code idle} status in reply to that request, which the gateway reads
 * as it relays): {@link #executing}. The notebook server's own view of a kernel ({@code execution_state}) is not enough:
 * its subscription to the kernel can miss the "busy", and a kernel answering another client's
 * {@code kernel_info_request} says "idle" while its code still runs.
 */
public final class Activity {
    /** How long code sent to a kernel counts as running at most, where the kernel never says it is done. */
    static final Duration CODE_RUNS_AT_MOST = Duration.ofHours(24);

    private final Clock clock;
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();
    /** Per instance: the executions sent and not yet done, by a key of the caller's, with when they were sent. */
    private final ConcurrentHashMap<String, Map<String, Long>> running = new ConcurrentHashMap<>();

    public Activity(Clock clock) {
        this.clock = clock;
    }

    public void touch(String instanceId) {
        last.put(instanceId, clock.millis());
    }

    /** Code was sent to a kernel of the instance ({@code key} names that execution): use, and followed. */
    public void executionStarted(String instanceId, String key) {
        touch(instanceId);
        running.compute(instanceId, (id, runs) -> {
            Map<String, Long> next = runs == null ? new java.util.HashMap<>() : runs;
            next.put(key, clock.millis());
            return next;
        });
    }

    /** The kernel is done with that code (or can no longer say: its connection ended): use until now. */
    public void executionEnded(String instanceId, String key) {
        running.computeIfPresent(instanceId, (id, runs) -> {
            if (runs.remove(key) != null) {
                touch(instanceId);
            }
            return runs.isEmpty() ? null : runs;
        });
    }

    /**
     * Whether code sent to a kernel of the instance is still running by what the kernel said: sent, and not yet
     * done, less than {@link #CODE_RUNS_AT_MOST} ago.
     */
    public boolean executing(String instanceId) {
        long now = clock.millis();
        Map<String, Long> runs = running.computeIfPresent(instanceId, (id, r) -> {
            r.values().removeIf(sent -> now - sent > CODE_RUNS_AT_MOST.toMillis());
            return r.isEmpty() ? null : r;
        });
        return runs != null;
    }

    public OptionalLong last(String instanceId) {
        Long at = last.get(instanceId);
        return at == null ? OptionalLong.empty() : OptionalLong.of(at);
    }
}
