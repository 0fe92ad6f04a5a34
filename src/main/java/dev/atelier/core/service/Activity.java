package dev.atelier.core.service;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When an instance was last used, for idle leases: code or keys sent through the notebook gateway, a save, SSH
 * traffic, and a kernel seen computing by a health poll. Kept in memory by each replica: after a restart, or on a
 * replica other than the one serving the session, use counts from the next that this replica sees (the lease's own
 * start or renewal until then).
 *
 * <p>Code sent to a kernel is also followed until the kernel's notebook server is seen to have heard from that
 * kernel since ({@link #codeRunningUnseen}): a server can miss the kernel saying it is busy (its subscription to the
 * kernel's messages may join late), and would then show a long computation with no client attached as idle.
 */
public final class Activity {
    /** How long code sent to a kernel counts as running at most, where its server hears nothing of it. */
    static final Duration CODE_RUNS_AT_MOST = Duration.ofHours(24);

    private final Clock clock;
    private final LongSupplier wall;
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();
    /** Per instance, per kernel: when code was last sent to it, by the wall clock the notebook servers keep. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Long>> codeSent = new ConcurrentHashMap<>();

    public Activity(Clock clock) {
        this(clock, System::currentTimeMillis);
    }

    /**
     * @param clock the lifecycle's clock, which leases are counted by
     * @param wall the clock to compare with what notebook servers say of their kernels (the host's)
     */
    Activity(Clock clock, LongSupplier wall) {
        this.clock = clock;
        this.wall = wall;
    }

    public void touch(String instanceId) {
        last.put(instanceId, clock.millis());
    }

    /** Code (or an answer to its {@code input()}) was sent to a kernel of the instance: use, and followed. */
    public void codeSent(String instanceId, String kernelId) {
        touch(instanceId);
        codeSent.computeIfAbsent(instanceId, k -> new ConcurrentHashMap<>()).put(kernelId, wall.getAsLong());
    }

    /**
     * Whether code sent to a kernel of the instance may still be running though its notebook server shows it idle:
     * the server has not heard from that kernel since the code was sent ({@code heard}: when it last did, by kernel
     * id; null where the server did not say, which concludes nothing), and that was less than
     * {@link #CODE_RUNS_AT_MOST} ago. Code the server has heard of since, or sent to a kernel that is gone, is
     * forgotten: from then on the server's own state says.
     */
    public boolean codeRunningUnseen(String instanceId, Map<String, Long> heard) {
        var sent = codeSent.get(instanceId);
        if (sent == null || heard == null) {
            return false;
        }
        long now = wall.getAsLong();
        sent.entrySet().removeIf(e -> {
            Long at = heard.get(e.getKey());
            return at == null || at >= e.getValue() || now - e.getValue() > CODE_RUNS_AT_MOST.toMillis();
        });
        if (sent.isEmpty()) {
            codeSent.remove(instanceId, sent);
            return false;
        }
        return true;
    }

    public OptionalLong last(String instanceId) {
        Long at = last.get(instanceId);
        return at == null ? OptionalLong.empty() : OptionalLong.of(at);
    }
}
